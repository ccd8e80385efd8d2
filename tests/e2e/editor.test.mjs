// The catalogue editor journey in headless Chromium, on both database backends: an admin creates a
// manual action from scratch with three fields and a conditional one, sees a validation error appear
// and go, tries the form in the live preview, publishes it to one early-adopter team; a developer in
// that team sees it with its Beta badge and submits it, a developer of another team does not see it;
// the admin widens the rollout; the audit page shows each step.

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

/** The structured editor's box labelled `label` inside the editor of field `i` (0-based). */
function fieldBox(page, i, label) {
  return page.getByTestId(`field-editor-${i}`).getByLabel(label, { exact: true });
}

for (const backend of backends) {
  test(`${backend}: an admin builds, previews and publishes a beta action; developers see it by team; the rollout widens`, async () => {
    const server = await startServer({ backend });
    const admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await admin.newPage();
    const errors = watchErrors(page);
    try {
      await devSignIn(page, server.url, 'ada', '/catalog/new?kind=manual');
      await waitForHydration(page);
      await page.getByRole('tab', { name: 'Form' }).click();
      await page.getByLabel('Id', { exact: true }).fill('db-access');
      await page.getByLabel('Title', { exact: true }).fill('Database access');
      await page.getByLabel('Summary', { exact: true }).fill('Read or write access to a team database.');

      // Field 1 (from the template), then two more: a select and a text shown only for "write".
      await fieldBox(page, 0, 'Field name').fill('database');
      await fieldBox(page, 0, 'Field label').fill('Database');
      await page.getByRole('button', { name: 'Add field' }).click();
      await fieldBox(page, 1, 'Field name').fill('level');
      await fieldBox(page, 1, 'Field label').fill('Access level');
      await fieldBox(page, 1, 'Field type').selectOption('select');
      await fieldBox(page, 1, 'Options').fill('read = Read\nwrite = Write');
      await page.getByRole('button', { name: 'Add field' }).click();
      await fieldBox(page, 2, 'Field label').fill('Why write access');
      await fieldBox(page, 2, 'Field type').selectOption('text');
      await fieldBox(page, 2, 'Required').check();
      await fieldBox(page, 2, 'Show only when field').fill('level');
      await fieldBox(page, 2, 'has the value').fill('write');

      // A name that breaks the rules: the problem appears at its field and in the list, with its line.
      await fieldBox(page, 2, 'Field name').fill('Why');
      const problems = page.getByTestId('editor-problems');
      await problems.getByText(/inputs\[2\]\.name/).waitFor();
      assert.match(await problems.innerText(), /line \d+: inputs\[2\]\.name/);
      assert.equal(await fieldBox(page, 2, 'Field name').getAttribute('aria-invalid'), 'true');
      await fieldBox(page, 2, 'Field name').fill('why');
      await problems.getByText('No problems: ready to publish.').waitFor();

      // The YAML view is the same action.
      await page.getByRole('tab', { name: 'YAML' }).click();
      const yaml = await page.getByRole('textbox', { name: 'Action YAML' }).inputValue();
      assert.match(yaml, /visible_if: \{field: level, equals: write\}/);
      assert.match(yaml, /id: db-access/);
      await page.getByRole('tab', { name: 'Form' }).click();

      // The preview is the developer's form, validation included; nothing is sent.
      const preview = page.getByTestId('editor-preview');
      assert.equal(await preview.getByLabel('Why write access').isVisible(), false, 'hidden until write is chosen');
      await preview.getByLabel('Access level').selectOption('write');
      await preview.getByLabel('Why write access').waitFor();
      await preview.getByRole('button', { name: 'Submit request' }).click();
      assert.match(await preview.innerText(), /required/i);
      // Valid values give a dry run of what the request would do: nothing is sent.
      await preview.getByLabel('Database').fill('orders');
      await preview.getByLabel('Why write access').fill('Schema migration');
      await preview.getByRole('button', { name: 'Submit request' }).click();
      assert.match(await preview.getByTestId('preview-ok').innerText(), /Would wait in the \S+ team's inbox/);

      // Beta for payments, then publish with a note.
      await page.getByLabel('Early-adopter teams only (Beta)').check();
      await page.getByLabel('Early-adopter teams', { exact: true }).fill('payments');
      await problems.getByText('No problems: ready to publish.').waitFor();
      await page.getByLabel('Change note').fill('First version, for payments');
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/actions/db-access'),
        page.getByRole('button', { name: 'Publish' }).click(),
      ]);
      await waitForHydration(page);
      assert.match(await page.locator('header.action-header').innerText(), /Beta/);

      // A developer in payments sees it with its Beta badge and submits it.
      const dana = await browser.newContext();
      const dpage = await dana.newPage();
      await devSignIn(dpage, server.url, 'dana', '/?q=database');
      await waitForHydration(dpage);
      const card = dpage.locator('li.card', { hasText: 'Database access' });
      assert.match(await card.innerText(), /Beta/);
      await dpage.goto(server.url + '/actions/db-access');
      await waitForHydration(dpage);
      await dpage.getByLabel('Database').fill('orders');
      await dpage.getByLabel('Access level').selectOption('read');
      await Promise.all([
        dpage.waitForURL((u) => /^\/requests\/\d+$/.test(u.pathname)),
        dpage.getByRole('button', { name: 'Submit request' }).click(),
      ]);
      await dana.close();

      // A developer of another team does not see it.
      const sam = await browser.newContext();
      const spage = await sam.newPage();
      await devSignIn(spage, server.url, 'sam', '/actions/db-access');
      assert.match(await spage.locator('main').innerText(), /No such action/);

      // The admin widens the rollout from the action's history page, in one step.
      await page.goto(server.url + '/actions/db-access/history');
      await waitForHydration(page);
      await page.getByLabel('Teams', { exact: true }).fill('all');
      const [posted] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/actions/db-access/rollout')),
        page.getByRole('button', { name: 'Change rollout' }).click(),
      ]);
      assert.equal(posted.status(), 303);
      await page.waitForURL((u) => u.pathname === '/actions/db-access/history');
      await spage.goto(server.url + '/actions/db-access');
      await waitForHydration(spage);
      assert.match(await spage.locator('h1').innerText(), /Database access/);
      await sam.close();

      // The audit page shows each step.
      await page.goto(server.url + '/admin/audit?object=action%3Adb-access');
      await waitForHydration(page);
      const audit = await page.locator('main').innerText();
      assert.match(audit, /catalog publish/);
      assert.match(audit, /catalog rollout/);
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await admin.close();
      await server.stop();
    }
  });
}
