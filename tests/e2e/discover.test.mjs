// The Discover journey in headless Chromium, on both database backends: an admin uploads an export
// on the Discover page, sees its top group, drafts an action from it, and finds the draft in the
// catalogue. `runway tickets import` stores a second export for the same page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
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

for (const backend of backends) {
  test(`${backend}: a CSV of unknown shape uploads with a progress bar and imports once its columns are chosen`, async () => {
    const server = await startServer({ backend });
    const context = await browser.newContext();
    // Whether the page ever showed the upload's progress bar (it may last only a moment here).
    let sawProgress = false;
    await context.exposeBinding('runwaySawProgress', () => { sawProgress = true; });
    await context.addInitScript(() => {
      new MutationObserver(() => {
        if (document.querySelector('progress#upload-progress')) window.runwaySawProgress();
      }).observe(document, { childList: true, subtree: true });
    });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-desk-'));
    const file = path.join(dir, 'desk.csv');
    const rows = ['Number,Short_Description,Opened At,Closed At,Assignment Group'];
    for (let i = 0; i < 40; i++) {
      rows.push(`INC${i},Reset VPN token for user${i},2026-0${1 + (i % 9)}-1${i % 10} 09:00,2026-0${1 + (i % 9)}-1${i % 10} 1${i % 10}:30,${i % 2 ? 'payments' : 'search'}`);
    }
    fs.writeFileSync(file, rows.join('\n') + '\n');
    try {
      await devSignIn(page, server.url, 'ada', '/admin/discover');
      await waitForHydration(page);
      await page.getByLabel('Source', { exact: false }).fill('desk');
      await page.locator('input[type=file][name=file]').setInputFiles(file);
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/admin/discover/map'),
        page.getByRole('button', { name: 'Import' }).click(),
      ]);
      assert.ok(sawProgress, 'the upload showed its progress');
      await waitForHydration(page);
      assert.match(await page.locator('h1').innerText(), /Choose the columns/);
      const title = page.getByLabel('Title (what was asked)');
      assert.equal(await title.inputValue(), 'Short_Description', 'guessed from the header');
      assert.equal(await page.getByLabel('Team or group that asked').inputValue(), 'Assignment Group');
      await page.getByLabel('Ticket key or id').selectOption('Number');
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/admin/discover' && u.search === '?source=desk'),
        page.getByRole('button', { name: 'Import with these columns' }).click(),
      ]);
      await waitForHydration(page);
      const top = page.getByTestId('discover-groups').locator('tbody tr').first();
      assert.match((await top.innerText()).toLowerCase(), /reset vpn token/);
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await context.close();
      await server.stop();
    }
  });
}
