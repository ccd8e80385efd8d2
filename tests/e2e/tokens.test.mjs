// API tokens in headless Chromium: a developer finds "API tokens" next to her name, makes a token
// (shown once), uses it against the API, sees its last use listed, and revokes it; a lead makes a
// service token for her team. (The pages' accessibility is checked in a11y.test.mjs.)

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

async function me(serverUrl, token) {
  const resp = await fetch(serverUrl + '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
  return { status: resp.status, body: resp.status === 200 ? await resp.json() : null };
}

for (const backend of backends) {
  test(`${backend}: a developer makes a token, sees it once, uses it, and revokes it`, async () => {
    const server = await startServer({ backend });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await devSignIn(page, server.url, 'dana', '/');
      await waitForHydration(page);
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.waitForURL(server.url + '/settings/tokens');
      await waitForHydration(page);
      assert.match(await page.getByRole('heading', { name: 'Your tokens' }).innerText(), /Your tokens/);
      assert.equal(await page.getByRole('heading', { name: 'New service token' }).count(), 0, 'developers make no service tokens');

      await page.getByLabel('Name').fill('laptop');
      await page.getByLabel(/^request:/).check();
      await page.getByLabel('Expires after (days)').fill('7');
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.waitForURL(server.url + '/settings/tokens');
      const token = await page.getByLabel('Token').inputValue();
      assert.match(token, /^rw_pat_[A-Za-z0-9_-]{43}$/);
      assert.match(await page.getByRole('status').innerText(), /Copy it now/);

      const first = await me(server.url, token);
      assert.equal(first.status, 200);
      assert.equal(first.body.name, 'Dana Developer');
      assert.deepEqual(first.body.scopes, ['read', 'request']);

      await page.getByRole('link', { name: 'Back to API tokens' }).click();
      await page.waitForURL(server.url + '/settings/tokens');
      await waitForHydration(page);
      const row = page.getByTestId('personal-tokens').locator('tbody tr').filter({ hasText: 'laptop' });
      const text = await row.innerText();
      assert.match(text, /read request/);
      assert.match(text, /from 127\.0\.0\.1/, 'its last use is listed');
      assert.match(text, /active/);
      assert.ok(!(await page.content()).includes(token), 'the list never shows the token');

      await page.getByRole('button', { name: 'Revoke laptop' }).click();
      await page.waitForURL(/revoked=1/);
      await waitForHydration(page);
      assert.match(await page.getByRole('status').innerText(), /revoked/);
      assert.match(await row.innerText(), /revoked/);
      assert.equal((await me(server.url, token)).status, 401, 'a revoked token is refused');

      assert.deepEqual(errors.filter((e) => e.startsWith(server.url)), [], 'no console errors');
    } finally {
      await context.close();
      await server.stop();
    }
  });

  test(`${backend}: a lead makes a service token that acts for her team`, async () => {
    const server = await startServer({ backend });
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await devSignIn(page, server.url, 'lee', '/settings/tokens');
      await waitForHydration(page);
      const form = page.getByTestId('new-service-token');
      await form.getByLabel('Team').selectOption('payments');
      await form.getByLabel('Name').fill('ci-bot');
      await form.getByLabel(/^request:/).check();
      await form.getByRole('button', { name: 'Create service token' }).click();
      const token = await page.getByLabel('Token').inputValue();
      assert.match(token, /^rw_svc_/);
      const who = await me(server.url, token);
      assert.equal(who.body.name, 'ci-bot (service, payments)');
      assert.deepEqual(who.body.teams, ['payments']);

      await page.goto(server.url + '/settings/tokens');
      await waitForHydration(page);
      assert.match(await page.getByTestId('service-tokens').innerText(), /ci-bot \(payments\)/);
    } finally {
      await context.close();
      await server.stop();
    }
  });
}
