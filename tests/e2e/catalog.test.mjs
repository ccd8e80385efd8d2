// Browser journeys through the catalogue, in headless Chromium, on both database backends.

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
  test(`${backend}: search filters cards instantly, and an action page opens without console errors`, async () => {
    const server = await startServer({ backend });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await devSignIn(page, server.url, 'dana');
      await page.goto(server.url + '/');
      await waitForHydration(page);
      const cards = page.locator('li.card');
      const total = await cards.count();
      assert.ok(total >= 5, `demo catalogue shows at least five cards, saw ${total}`);

      // Typing filters in the browser: no form submission, no navigation.
      const urlBefore = page.url();
      await page.getByRole('searchbox', { name: 'Search actions' }).pressSequentially('certificate');
      await page.waitForFunction(() => document.querySelectorAll('li.card').length === 1);
      assert.equal(page.url(), urlBefore, 'filtering happened without a page load');
      assert.match(await cards.first().innerText(), /TLS certificate/);
      assert.equal((await page.locator('.result-count').innerText()).trim(), '1 action');

      await page.getByRole('searchbox', { name: 'Search actions' }).fill('');
      await page.waitForFunction((n) => document.querySelectorAll('li.card').length === n, total);

      // Case does not matter: the browser lowercases with JavaScript's toLowerCase.
      await page.getByRole('searchbox', { name: 'Search actions' }).fill('TLS CERTIFICATE');
      await page.waitForFunction(() => document.querySelectorAll('li.card').length === 1);
      assert.equal(page.url(), urlBefore, 'filtering happened without a page load');
      await page.getByRole('searchbox', { name: 'Search actions' }).fill('');
      await page.waitForFunction((n) => document.querySelectorAll('li.card').length === n, total);

      // Category chips narrow the list.
      const chip = page.locator('.category-filters a.chip').nth(1);
      const category = (await chip.innerText()).trim();
      await chip.click();
      await page.waitForFunction(
        (c) => [...document.querySelectorAll('li.card')].every((el) => el.innerText.includes(c)),
        category,
      );
      assert.ok((await cards.count()) < total, `category ${category} narrows the list`);
      assert.equal(await chip.getAttribute('aria-current'), 'page');

      // Open an action from its card.
      await page.locator('li.card h2 a').first().click();
      await page.waitForURL(/\/actions\//);
      await page.waitForSelector('.action-page h1');
      assert.ok((await page.locator('.description').innerText()).length > 20, 'the description is shown');
      assert.ok((await page.locator('table.fields tbody tr').count()) > 0, 'the form fields are previewed');

      // A direct load of an action page hydrates cleanly too.
      await page.goto(server.url + '/actions/create-repo');
      await waitForHydration(page);
      assert.equal(await page.locator('h1').first().innerText(), 'Create a service repository');

      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await context.close();
      await server.stop();
    }
  });
}

test('without JavaScript, the search box is a plain GET form', async () => {
  const server = await startServer({ backend: 'sqlite' });
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    // Signing in is a plain form post too.
    await devSignIn(page, server.url, 'dana');
    await page.goto(server.url + '/');
    await page.getByRole('searchbox', { name: 'Search actions' }).fill('database');
    await Promise.all([page.waitForURL(/\?q=database/), page.getByRole('button', { name: 'Search' }).click()]);
    const titles = await page.locator('li.card h2').allInnerTexts();
    assert.ok(titles.length >= 1 && titles.every((t) => /database/i.test(t) || t.length > 0));
    assert.ok(titles.some((t) => /Database for a service/.test(t)), titles.join(', '));
    assert.ok(titles.length < 6, 'the list is filtered by the server');
  } finally {
    await context.close();
    await server.stop();
  }
});

test('keyboard users reach the skip link first and see where focus is', async () => {
  const server = await startServer({ backend: 'sqlite' });
  const page = await browser.newPage();
  try {
    await devSignIn(page, server.url, 'dana');
    await page.goto(server.url + '/');
    await waitForHydration(page);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({
      text: document.activeElement?.textContent,
      outline: getComputedStyle(document.activeElement).outlineStyle,
    }));
    assert.equal(focused.text, 'Skip to content');
    assert.notEqual(focused.outline, 'none', 'focus is visible');
  } finally {
    await page.close();
    await server.stop();
  }
});
