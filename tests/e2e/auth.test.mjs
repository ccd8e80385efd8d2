// Sign-in journeys in headless Chromium: through a real OpenID Provider, and development sign-in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, startServer, startProvider, launchBrowser, watchErrors, waitForHydration, devSignIn, ssoSignIn } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

for (const backend of backends) {
  test(`${backend}: sign in through the provider, land on the page asked for, sign out, be asked again`, async () => {
    const provider = await startProvider();
    const server = await startServer({
      backend,
      env: {
        RUNWAY_AUTH__ISSUER: provider.issuer,
        RUNWAY_AUTH__CLIENT_ID: 'runway',
        RUNWAY_AUTH__CLIENT_SECRET: 'runway-test-secret',
      },
    });
    await provider.register(server.url);
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      // Asking for a page redirects to sign-in, which remembers where we were going.
      await ssoSignIn(page, server.url, provider, 'lena', '/actions/create-repo');
      assert.equal(await page.getByTestId('user-name').innerText(), 'Lena Lead');
      assert.match(await page.getByTestId('user-teams').innerText(), /team lead · payments \(lead\)/);
      assert.equal(await page.locator('h1').first().innerText(), 'Create a service repository');

      // Sign out: Runway's session ends, then the provider's (RP-initiated logout).
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL((u) => u.href.startsWith(provider.issuer) || u.pathname === '/signin');
      if (page.url().startsWith(provider.issuer)) {
        await page.locator('button[value="yes"], button[name="logout"]').first().click();
      }
      await page.waitForURL(/\/signin\?signed_out=1/);
      assert.match(await page.locator('.signin').innerText(), /You are signed out/);

      await page.goto(server.url + '/');
      await page.waitForURL(/\/signin\?next=/);
      assert.equal(await page.getByTestId('user-name').count(), 0, 'nobody is signed in');
      assert.deepEqual(errors.filter((e) => e.startsWith(server.url)), [], 'no console errors on Runway pages');
    } finally {
      await context.close();
      await server.stop();
      provider.stop();
    }
  });
}

test('development sign-in shows the demo users and who is signed in', async () => {
  const server = await startServer({ backend: 'sqlite' });
  const page = await browser.newPage();
  const errors = watchErrors(page);
  try {
    await page.goto(server.url + '/signin');
    assert.match(await page.locator('.signin').innerText(), /Development sign-in/);
    await devSignIn(page, server.url, 'ada', '/admin/catalog');
    await page.waitForURL(server.url + '/admin/catalog');
    await waitForHydration(page);
    assert.equal(await page.getByTestId('user-name').innerText(), 'Ada Admin');
    assert.match(await page.getByTestId('user-teams').innerText(), /admin · platform/);
    assert.match(await page.locator('main').innerText(), /Every catalogue file is valid/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await server.stop();
  }
});
