// Browser journey: request an action through its form, in headless Chromium, on both backends.
// A mistake is caught in the browser next to its field (with focus on it); once fixed, the form
// submits, the request runs the real script, and its page shows the result without a reload. A
// server with a request page open still stops at once (the page's event stream ends with it).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, startServer, launchBrowser, watchErrors, waitForHydration, devSignIn } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

for (const backend of backends) {
  test(`${backend}: the create-repo form shows a field error, then submits and the request succeeds`, async () => {
    const server = await startServer({ backend });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await devSignIn(page, server.url, 'dana');
      await page.goto(server.url + '/actions/create-repo?name=Web+Portal');
      await waitForHydration(page);
      const name = page.getByLabel('Repository name');
      assert.equal(await name.inputValue(), 'Web Portal', 'pre-filled from the link');

      // Submitting with mistakes is stopped in the browser; errors appear and focus moves to the first.
      await page.getByRole('button', { name: 'Submit request' }).click();
      const nameError = page.getByTestId('error-name');
      await nameError.filter({ hasText: 'Must match the pattern' }).waitFor();
      assert.equal(await name.getAttribute('aria-invalid'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'field-name', 'focus on the first error');
      assert.match(await page.getByTestId('error-description').innerText(), /Required/);
      assert.ok(page.url().includes('/actions/create-repo'), 'no navigation happened');

      // Fix the mistakes: errors clear as the user types.
      await name.fill('web-portal');
      await page.getByLabel('Short description').fill('The web portal for customers');
      await page.waitForFunction(() => !document.querySelector('[data-testid=error-name]')?.textContent);

      // Conditional field: appears only for private repositories.
      const reason = page.locator('[data-field=private_reason]');
      assert.equal(await reason.isHidden(), true);
      await page.getByLabel('Visibility').selectOption('private');
      await reason.waitFor({ state: 'visible' });
      await page.getByLabel('Visibility').selectOption('internal');
      await reason.waitFor({ state: 'hidden' });

      await Promise.all([
        page.waitForURL(/\/requests\/\d+$/),
        page.getByRole('button', { name: 'Submit request' }).click(),
      ]);
      await waitForHydration(page);
      // The page refreshes itself until the request is final.
      await page.getByTestId('request-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
      const clone = await page.locator('[data-output=clone_url]').innerText();
      assert.match(clone, /web-portal\.git/);
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await context.close();
      await server.stop();
    }
  });

  test(`${backend}: the server stops at once while a request page follows its request`, async () => {
    // A deploy must not wait on the people watching their requests: the page's event stream
    // ends when the server starts shutting down (the page polls, then reconnects).
    const server = await startServer({ backend });
    const context = await browser.newContext();
    const page = await context.newPage();
    let stopping = false;
    try {
      await devSignIn(page, server.url, 'dana');
      await page.goto(server.url + '/actions/service-database');
      await waitForHydration(page);
      await page.getByLabel('Service name').fill('billing');
      await page.getByLabel('Environment').selectOption('staging');
      const streamOpened = page.waitForResponse((r) => /\/requests\/\d+\/events$/.test(r.url()));
      await Promise.all([
        page.waitForURL(/\/requests\/\d+$/),
        page.getByRole('button', { name: 'Submit request' }).click(),
      ]);
      await waitForHydration(page);
      // Waiting for approval: the stream stays open until someone decides.
      assert.equal((await streamOpened).status(), 200);
      stopping = true;
      let timer;
      const timedOut = new Promise((resolve) => (timer = setTimeout(() => resolve('still running after 20 s'), 20_000)));
      const outcome = await Promise.race([server.stop().then(() => 'stopped'), timedOut]);
      clearTimeout(timer);
      assert.equal(outcome, 'stopped', 'the server stops while a request page is open');
    } finally {
      await context.close();
      // A server that did not stop is killed when the test process exits (harness).
      if (!stopping) await server.stop();
    }
  });
}
