// The Audit page in headless Chromium: an admin finds it in the navigation and filters with the
// form. (Its accessibility is checked with every other page's in a11y.test.mjs.)

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
  test(`${backend}: an admin reads the audit log, and filters it by kind with the form`, async () => {
    const server = await startServer({ backend });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await devSignIn(page, server.url, 'ada', '/');
      await waitForHydration(page);
      await page.getByRole('link', { name: 'Audit', exact: true }).click();
      await page.waitForURL(server.url + '/admin/audit');
      assert.equal(await page.locator('h1').first().innerText(), 'Audit log');
      const table = page.getByTestId('audit');
      assert.match(await table.innerText(), /sign in/);
      assert.match(await table.innerText(), /catalog reload/);

      // The form is a plain GET form: the filter lands in the URL.
      await page.getByLabel('Kind').selectOption('sign_in');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/kind=sign_in/);
      await waitForHydration(page);
      const rows = await page.getByTestId('audit').locator('tbody tr').allInnerTexts();
      assert.equal(rows.length, 1, rows.join('\n'));
      assert.match(rows[0], /Ada Admin/);
      assert.equal(
        await page.getByTestId('audit-csv').getAttribute('href'),
        '/admin/audit.csv?kind=sign_in',
      );

      assert.deepEqual(errors.filter((e) => e.startsWith(server.url)), [], 'no console errors');
    } finally {
      await context.close();
      await server.stop();
    }
  });
}
