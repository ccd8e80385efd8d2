// The Discover journey in headless Chromium, on both database backends: an admin uploads an export
// on the Discover page, sees its top group, drafts an action from it, and finds the draft in the
// catalogue. `runway tickets import` stores a second export for the same page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { backends, bin, repoRoot, startServer, launchBrowser, watchErrors, waitForHydration, devSignIn } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

for (const backend of backends) {
  test(`${backend}: an admin sees the top group of an import, drafts an action and finds it in the catalogue`, async () => {
    const server = await startServer({ backend });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      const fixtures = path.join(repoRoot, 'discover', 'tests', 'fixtures');
      await devSignIn(page, server.url, 'ada', '/admin/discover');
      await waitForHydration(page);
      await page.locator('input[type=file][name=file]').setInputFiles(path.join(fixtures, 'jira-all-fields.csv'));
      await Promise.all([
        page.waitForURL((u) => u.search === '?source=jira'),
        page.getByRole('button', { name: 'Import' }).click(),
      ]);
      await waitForHydration(page);
      const imported = execFileSync(bin, ['tickets', 'import', path.join(fixtures, 'github.json')], { env: server.env, stdio: 'pipe' }).toString();
      assert.match(imported, /into source `github`: 2 tickets \(2 new, 0 updated\)/);
      await page.reload();
      await waitForHydration(page);
      assert.match(await page.locator('nav[aria-label="Ticket sources"]').innerText(), /github \(2\)[\s\S]*jira \(4\)/);
      const groups = page.getByTestId('discover-groups');
      const top = groups.locator('tbody tr').first();
      assert.match(await top.innerText(), /new starter <\*>/);
      assert.ok(await page.getByTestId('discover-chart').isVisible(), 'the weekly chart is drawn');

      await Promise.all([
        page.waitForURL((u) => u.pathname.startsWith('/actions/')),
        top.getByRole('button', { name: 'Draft an action' }).click(),
      ]);
      assert.equal(new URL(page.url()).pathname, '/actions/new-starter');
      await waitForHydration(page);
      assert.match(await page.locator('h1').innerText(), /New starter/);

      await page.goto(server.url + '/?q=starter');
      await waitForHydration(page);
      assert.match(await page.locator('li.card').first().innerText(), /New starter/);
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await context.close();
      await server.stop();
    }
  });
}
