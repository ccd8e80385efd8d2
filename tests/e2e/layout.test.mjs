// The pages a developer sees, at a laptop's 1280×900 in headless Chromium, on both backends: the
// request form is the action page's main job (its first field is in view without scrolling, the
// facts beside it), and a request whose log holds a 2,000-character line wraps it inside the log
// box: the page never scrolls sideways. The catalogue is the demo one plus the `long-line` action
// of tests/e2e/fixtures/layout-catalog.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backends, repoRoot, startServer, launchBrowser, watchErrors, waitForHydration, devSignIn } from './harness.mjs';

const viewport = { width: 1280, height: 900 };
let browser;
let catalogDir;
before(async () => {
  browser = await launchBrowser();
  catalogDir = mkdtempSync(path.join(tmpdir(), 'runway-layout-catalog-'));
  cpSync(path.join(repoRoot, 'catalog'), catalogDir, { recursive: true });
  cpSync(path.join(repoRoot, 'tests', 'e2e', 'fixtures', 'layout-catalog'), catalogDir, { recursive: true });
});
after(async () => {
  await browser?.close();
  if (catalogDir) rmSync(catalogDir, { recursive: true, force: true });
});

/** How far the page scrolls sideways: 0 when it does not. */
const sideways = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

for (const backend of backends) {
  test(`${backend}: the action form comes first, and a long log line wraps inside the log box`, async () => {
    const server = await startServer({ backend, catalogDir });
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await devSignIn(page, server.url, 'dana');
      await page.goto(server.url + '/actions/create-repo');
      await waitForHydration(page);
      assert.equal(await page.evaluate(() => window.scrollY), 0);
      const first = await page.getByLabel('Repository name').boundingBox();
      assert.ok(first, 'the first field is rendered');
      assert.ok(first.y < 500, `the first field is in view without scrolling, near the top: ${first.y} px down`);
      // The facts sit beside the form, near the top; the description follows them, collapsible.
      const facts = await page.locator('aside.facts').boundingBox();
      assert.ok(facts.x > first.x + first.width / 2 && facts.y < 500, `the facts are beside the form: ${JSON.stringify(facts)}`);
      assert.match(await page.locator('aside.facts').innerText(), /Approval[\s\S]*Usually takes[\s\S]*Version/i);
      const about = page.locator('details.about');
      assert.equal(await about.locator('summary').innerText(), 'About this action');
      assert.ok((await about.locator('.description').innerText()).length > 20, 'the description is shown');
      await about.locator('summary').click();
      assert.equal(await about.locator('.description').isVisible(), false, 'the description collapses');
      assert.ok(await page.getByLabel('Repository name').isVisible(), 'the form stays');
      assert.ok((await sideways(page)) <= 0, 'the action page does not scroll sideways');

      // A narrow screen: the form still comes before the facts and the description.
      await page.setViewportSize({ width: 390, height: 844 });
      const narrowField = await page.getByLabel('Repository name').boundingBox();
      const narrowFacts = await page.locator('aside.facts').boundingBox();
      assert.ok(narrowField.y < narrowFacts.y, 'on a narrow screen the form comes first');
      assert.ok((await sideways(page)) <= 0, 'the narrow action page does not scroll sideways');
      await page.setViewportSize(viewport);

      // A request whose log holds a 2,000-character line (and whose input is one long word).
      await page.goto(server.url + '/actions/long-line');
      await waitForHydration(page);
      await page.getByLabel('Note').fill('n'.repeat(300));
      await Promise.all([page.waitForURL(/\/requests\/\d+$/), page.getByRole('button', { name: 'Submit request' }).click()]);
      await waitForHydration(page);
      await page.getByTestId('request-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
      const log = page.getByTestId('log');
      await log.filter({ hasText: 'long-line: done' }).waitFor();
      assert.ok((await log.innerText()).includes('0123456789'.repeat(200)), 'the whole line is in the log');
      const box = await log.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, height: el.clientHeight }));
      assert.ok(box.scroll <= box.client, `the line wraps inside the log box: ${JSON.stringify(box)}`);
      assert.ok(box.height > 60, `the wrapped line takes several rows: ${JSON.stringify(box)}`);
      const overflow = await sideways(page);
      assert.ok(overflow <= 0, `the request page does not scroll sideways (by ${overflow} px)`);

      // The same after a full load of the page (server-rendered, then hydrated).
      await page.reload();
      await waitForHydration(page);
      assert.ok((await sideways(page)) <= 0, 'the reloaded request page does not scroll sideways');
      await page.setViewportSize({ width: 390, height: 844 });
      assert.ok((await sideways(page)) <= 0, 'nor on a narrow screen');

      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await context.close();
      await server.stop();
    }
  });
}
