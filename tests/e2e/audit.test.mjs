// The Audit page in headless Chromium: an admin finds it in the navigation, filters with the form,
// pages on and exports; the page has no accessibility violations (axe-core).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { backends, startServer, launchBrowser, watchErrors, waitForHydration, devSignIn } from './harness.mjs';

const require = createRequire(import.meta.url);
const axeSource = require('fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

for (const backend of backends) {
  test(`${backend}: an admin reads the audit log, filters it by kind, and it passes axe`, async () => {
    const server = await startServer({ backend });
    // The page's CSP blocks inline scripts: the accessibility check needs it bypassed.
    const context = await browser.newContext({ bypassCSP: true });
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

      await page.addScriptTag({ content: axeSource });
      const result = await page.evaluate(() =>
        // eslint-disable-next-line no-undef
        axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa', 'best-practice'] }),
      );
      assert.deepEqual(
        result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        [],
      );
      assert.deepEqual(errors.filter((e) => e.startsWith(server.url)), [], 'no console errors');
    } finally {
      await context.close();
      await server.stop();
    }
  });
}
