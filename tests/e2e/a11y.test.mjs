// Accessibility: axe-core finds no violations on any page Runway serves, in the light and the dark
// theme, on both backends, and no page scrolls sideways at 1280×900. Each page is checked as the
// demo user who sees it at its fullest (requests waiting, a decision form, a fulfilment form,
// Discover with an import and its column-mapping step), after it has hydrated. The catalogue is the
// demo one plus tests/e2e/fixtures/layout-catalog: a request whose log holds a 2,000-character
// line, and a manual action a lead approves.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backends, bin, repoRoot, startServer, launchBrowser, waitForHydration, devSignIn } from './harness.mjs';

const axeSource = createRequire(import.meta.url)('axe-core').source;
const viewport = { width: 1280, height: 900 };
let browser;
let catalogDir;
before(async () => {
  browser = await launchBrowser();
  catalogDir = mkdtempSync(path.join(tmpdir(), 'runway-a11y-catalog-'));
  cpSync(path.join(repoRoot, 'catalog'), catalogDir, { recursive: true });
  cpSync(path.join(repoRoot, 'tests', 'e2e', 'fixtures', 'layout-catalog'), catalogDir, { recursive: true });
});
after(async () => {
  await browser?.close();
  if (catalogDir) rmSync(catalogDir, { recursive: true, force: true });
});

/** One line per violation and element: rule, impact, what to fix, where. */
function describe(violations) {
  return violations
    .flatMap((v) =>
      v.nodes.map((n) => `  ${v.id} (${v.impact}): ${v.help}\n    at ${n.target.join(' ')}\n    ${(n.failureSummary ?? '').replace(/\n/g, '\n    ')}`),
    )
    .join('\n');
}

/**
 * Runs axe-core on the page as it is now, in both colour schemes; returns the violations found,
 * each line naming the page. The page's Content-Security-Policy does not apply to scripts the test
 * evaluates through the browser's protocol, so axe is injected as it is.
 */
async function audit(page, label) {
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
    const { passes, violations } = await page.evaluate(async () => {
      const results = await window.axe.run(document, { resultTypes: ['violations'] });
      return {
        passes: results.passes.length,
        violations: results.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
        })),
      };
    });
    assert.ok(passes > 10, `axe ran its rules on ${label}: ${passes} passed`);
    if (violations.length > 0) found.push(`${label} (${colorScheme}, ${page.url()}):\n${describe(violations)}`);
  }
  await page.emulateMedia({ colorScheme: null });
  // Reflow: nothing on the page makes it scroll sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) found.push(`${label} (${page.url()}): the page scrolls sideways by ${overflow} px`);
  return found;
}

/** Opens `pathname`, checks its status (200 unless told), waits for hydration and audits it. */
async function visit(page, serverUrl, pathname, label, found, status = 200) {
  const resp = await page.goto(serverUrl + pathname);
  assert.equal(resp?.status(), status, `${label}: ${pathname}`);
  await waitForHydration(page);
  found.push(...(await audit(page, label)));
}

/** Resolves once the page has posted to `pathname` and loaded the page it was sent to. */
async function posted(page, pathname) {
  const resp = await page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === pathname);
  assert.ok(resp.status() < 400, `POST ${pathname}: HTTP ${resp.status()}`);
  await page.waitForLoadState('load');
}

/** Submits the form of the action page open in `page`; resolves with the new request's path. */
async function submit(page) {
  await Promise.all([page.waitForURL(/\/requests\/\d+$/), page.getByRole('button', { name: 'Submit request' }).click()]);
  await waitForHydration(page);
  return new URL(page.url()).pathname;
}

for (const backend of backends) {
  test(`${backend}: axe-core finds no violations on any page, and none scrolls sideways`, async () => {
    const server = await startServer({ backend, catalogDir });
    const contexts = [];
    const as = async (login) => {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      if (login) await devSignIn(page, server.url, login);
      return page;
    };
    const found = [];
    try {
      // Signed out: the sign-in page.
      const visitor = await as(null);
      await visit(visitor, server.url, '/signin', 'sign-in page', found);
      // The check itself works on Runway's pages (under their Content-Security-Policy): an image
      // without a text alternative is found.
      await visitor.evaluate(() => document.querySelector('main').append(Object.assign(document.createElement('img'), { src: '/favicon.svg' })));
      const canary = await audit(visitor, 'sign-in page with an image without alt');
      assert.match(canary.join('\n'), /image-alt/, 'axe reports a planted violation');

      // Dana, a developer: the catalogue, action pages, her requests, and pages with nothing in them.
      const dana = await as('dana');
      await visit(dana, server.url, '/', 'catalogue', found);
      await visit(dana, server.url, '/?q=database', 'catalogue, searched', found);
      await visit(dana, server.url, '/actions/create-repo', 'action page (create-repo)', found);
      await visit(dana, server.url, '/actions/access-request', 'action page (access-request)', found);
      await visit(dana, server.url, '/actions/deploy-pipeline', 'action page (deploy-pipeline, Beta)', found);

      // The create-repo form showing its errors.
      await dana.goto(server.url + '/actions/create-repo');
      await waitForHydration(dana);
      await dana.getByRole('button', { name: 'Submit request' }).click();
      await dana.getByTestId('error-name').filter({ hasText: /\S/ }).waitFor();
      found.push(...(await audit(dana, 'action page with field errors')));

      await visit(dana, server.url, '/actions/long-line', 'action page (long-line)', found);
      const longLine = await submit(dana);
      await dana.getByTestId('request-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
      await dana.getByTestId('log').filter({ hasText: 'long-line: done' }).waitFor();
      await visit(dana, server.url, longLine, 'request page (succeeded, long log line)', found);

      await visit(dana, server.url, '/actions/lead-check', 'action page (lead-check)', found);
      await dana.getByLabel('Your team').selectOption('payments');
      const leadCheck = await submit(dana);
      await visit(dana, server.url, leadCheck, 'request page (waiting for approval, requester)', found);
      await visit(dana, server.url, '/requests', 'history', found);
      // Where each request came from: the Via column, and the Channel filter (a plain GET form).
      assert.match(await dana.getByTestId('history').innerText(), /Portal/);
      await dana.getByLabel('Channel').selectOption('slack');
      await Promise.all([dana.waitForURL(/channel=slack/), dana.getByRole('button', { name: 'Filter' }).click()]);
      await dana.getByTestId('history-empty').waitFor();
      found.push(...(await audit(dana, 'history filtered by channel (none)')));
      await visit(dana, server.url, '/inbox', 'inbox (empty)', found);
      await visit(dana, server.url, '/approvals', 'approvals (empty)', found);
      await visit(dana, server.url, '/pulse', 'pulse (nothing to answer)', found);
      await visit(dana, server.url, '/settings/tokens', 'API tokens (none yet)', found);
      await dana.getByLabel('Name').fill('a11y');
      await Promise.all([posted(dana, '/settings/tokens'), dana.getByRole('button', { name: 'Create token' }).click()]);
      found.push(...(await audit(dana, 'API token created (shown once)')));
      await visit(dana, server.url, '/settings/tokens', 'API tokens (one)', found);
      await visit(dana, server.url, '/settings/notifications', 'notifications (choices)', found);
      await dana.goto(server.url + '/api/v1/docs');
      found.push(...(await audit(dana, 'API reference')));
      await visit(dana, server.url, '/actions/no-such-action', 'unknown action', found, 404);
      await visit(dana, server.url, '/no/such/page', 'not found', found, 404);

      // Lee, the payments lead: the approvals inbox, the decision form, the team page.
      const lee = await as('lee');
      await visit(lee, server.url, '/approvals', 'approvals (one waiting)', found);
      await visit(lee, server.url, leadCheck, 'request page (decision form)', found);
      await lee.getByLabel('Comment (required to reject)').fill('Fine');
      await Promise.all([posted(lee, `${leadCheck}/approve`), lee.getByRole('button', { name: 'Approve' }).click()]);
      await visit(lee, server.url, '/teams/payments', 'team page', found);
      await visit(lee, server.url, '/settings/tokens', 'API tokens (lead: service tokens)', found);
      await visit(lee, server.url, '/requests?scope=team&team=payments', 'history (team)', found);

      // Ada, an admin on the platform team: the fulfilment inbox and form, and every admin page.
      const ada = await as('ada');
      await visit(ada, server.url, '/inbox', 'inbox (one waiting)', found);
      await visit(ada, server.url, leadCheck, 'request page (to take)', found);
      await Promise.all([posted(ada, `${leadCheck}/take`), ada.getByRole('button', { name: 'Take it' }).click()]);
      await visit(ada, server.url, leadCheck, 'request page (fulfilment form)', found);
      await visit(ada, server.url, '/admin/catalog', 'admin: catalogue health', found);
      await visit(ada, server.url, '/admin/audit', 'admin: audit log', found);
      await visit(ada, server.url, '/impact', 'admin: impact', found);
      await visit(ada, server.url, '/settings/tokens', "admin: API tokens (everyone's)", found);
      await visit(ada, server.url, '/settings/notifications', 'admin: notifications (delivery report)', found);
      // The catalogue editor (Form and YAML tabs, a problem showing) and an action's history.
      await visit(ada, server.url, '/catalog/new?kind=manual', 'editor: new action (Form tab)', found);
      await ada.getByLabel('Id', { exact: true }).fill('Not An Id');
      await ada.getByTestId('editor-problems').getByText(/id:/).waitFor();
      found.push(...(await audit(ada, 'editor: new action with a problem')));
      await ada.getByRole('tab', { name: 'YAML' }).click();
      found.push(...(await audit(ada, 'editor: new action (YAML tab)')));
      await visit(ada, server.url, '/actions/create-repo/edit', 'editor: create-repo', found);
      await visit(ada, server.url, '/actions/create-repo/history', 'history of create-repo', found);
      await visit(ada, server.url, '/actions/create-repo/history?from=0&to=0', 'history of create-repo, comparing', found);
      const fixtures = path.join(repoRoot, 'discover', 'tests', 'fixtures');
      execFileSync(bin, ['tickets', 'import', path.join(fixtures, 'github.json')], { env: server.env, stdio: 'pipe' });
      await visit(ada, server.url, '/admin/discover', 'admin: discover', found);
      // A CSV whose columns Runway cannot tell: the column-mapping step.
      const csv = 'Number,Short_Description,Opened At,Closed At,Assignment Group\nINC1,Reset VPN token for ana,2026-01-05 09:00,2026-01-05 12:00,payments\n';
      await ada.locator('input[type=file][name=file]').setInputFiles({ name: 'desk.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await Promise.all([ada.waitForURL(/\/admin\/discover\/map\?upload=/), ada.getByRole('button', { name: 'Import' }).click()]);
      await waitForHydration(ada);
      await ada.locator('main select').first().waitFor();
      found.push(...(await audit(ada, 'admin: discover, choosing the columns')));

      assert.equal(found.length, 0, `axe-core violations:\n${found.join('\n')}`);
    } finally {
      for (const context of contexts) await context.close();
      await server.stop();
    }
  });
}
