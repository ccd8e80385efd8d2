// Browser journey: a request that needs approval, followed live, in headless Chromium with the real
// OpenID Provider, on both backends.
//
// Alice (payments developer) asks for two exports of an action her team lead approves and that runs
// one at a time (tests/e2e/fixtures/approval-catalog). Lena (payments lead) signs in, finds both in
// her approvals inbox and approves them. Alice's page for the second request, opened before any of
// this and never reloaded, shows it waiting for approval, approved and queued behind the first,
// running with its log lines arriving, and finished with its outputs. The script waits for a "gate"
// file before it finishes, so the test decides when each request moves on.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backends, startServer, startProvider, launchBrowser, watchErrors, waitForHydration, ssoSignIn } from './harness.mjs';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'approval-catalog');

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Fills the export form as the signed-in user and submits it; resolves with the request's id. */
async function requestExport(page, serverUrl, dataset) {
  await page.goto(`${serverUrl}/actions/nightly-export`);
  await waitForHydration(page);
  await page.getByLabel('Dataset').selectOption(dataset);
  await page.getByLabel('Team').selectOption('payments');
  await Promise.all([page.waitForURL(/\/requests\/\d+$/), page.getByRole('button', { name: 'Submit request' }).click()]);
  await waitForHydration(page);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

/** As the approver: open the request from the approvals inbox and approve it with a comment. */
async function approveFromInbox(page, serverUrl, id, comment) {
  await page.goto(`${serverUrl}/approvals`);
  await waitForHydration(page);
  await Promise.all([
    page.waitForURL(`${serverUrl}/requests/${id}`),
    page.getByTestId('approvals').getByRole('link', { name: new RegExp(`^#${id} `) }).click(),
  ]);
  await waitForHydration(page);
  await page.getByLabel('Comment (required to reject)').fill(comment);
  const [post] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && r.url() === `${serverUrl}/requests/${id}/approve`),
    page.getByRole('button', { name: 'Approve' }).click(),
  ]);
  // The decision is recorded, and the browser sent back to the request.
  assert.equal((await post.response())?.status(), 303);
  await page.waitForURL(`${serverUrl}/requests/${id}`);
}

for (const backend of backends) {
  test(`${backend}: a lead approves in the inbox and the requester's open page follows the run live`, async () => {
    const gates = mkdtempSync(path.join(tmpdir(), 'runway-gates-'));
    chmodSync(gates, 0o755); // the script may run as an unprivileged user
    const provider = await startProvider();
    const server = await startServer({
      backend,
      catalogDir: fixture,
      env: {
        RUNWAY_AUTH__ISSUER: provider.issuer,
        RUNWAY_AUTH__CLIENT_ID: 'runway',
        RUNWAY_AUTH__CLIENT_SECRET: 'runway-test-secret',
        RUNWAY_CATALOG_VARS__E2E_GATES: gates,
      },
    });
    await provider.register(server.url);
    const alice = await browser.newContext();
    const lena = await browser.newContext();
    const dev = await alice.newPage();
    const lead = await lena.newPage();
    const devErrors = watchErrors(dev);
    const streams = [];
    dev.on('request', (r) => {
      if (/\/requests\/\d+\/events$/.test(new URL(r.url()).pathname)) streams.push(new URL(r.url()).pathname);
    });
    const leadErrors = watchErrors(lead);
    try {
      await ssoSignIn(dev, server.url, provider, 'alice', '/');
      const first = await requestExport(dev, server.url, 'orders');
      const second = await requestExport(dev, server.url, 'refunds');
      const status = dev.getByTestId('request-status');
      assert.equal(await status.innerText(), 'Waiting for approval');
      // Nobody approves their own request: Alice gets no decision form, only who will decide.
      assert.equal(await dev.getByRole('button', { name: 'Approve' }).count(), 0);
      assert.match(await dev.getByTestId('waiting-approval').innerText(), /lead/i);

      // From here on Alice's page must follow without a reload: a reload would drop this marker.
      // Every status the page shows is recorded, in order.
      await dev.evaluate(() => {
        window.__sameDocument = true;
        window.__statuses = [document.querySelector('[data-testid=request-status]').textContent];
        new MutationObserver(() => {
          const now = document.querySelector('[data-testid=request-status]')?.textContent;
          if (now && now !== window.__statuses.at(-1)) window.__statuses.push(now);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });

      // Lena signs in through the provider; her navigation counts both requests.
      await ssoSignIn(lead, server.url, provider, 'lena', '/approvals');
      await lead.locator('.badge-count[aria-label="2 waiting"]').waitFor();
      const inbox = await lead.getByTestId('approvals').innerText();
      assert.match(inbox, new RegExp(`#${first} Export a dataset`));
      assert.match(inbox, new RegExp(`#${second} Export a dataset`));
      assert.match(inbox, /Alice Payments \(payments\)/);

      // The first export is approved and starts; it holds the action's only slot at its gate.
      await approveFromInbox(lead, server.url, first, 'Fine for the orders report');
      await lead.getByTestId('request-status').filter({ hasText: 'Running' }).waitFor({ timeout: 30_000 });

      // The second is approved too; the lead sees what was asked before deciding.
      await lead.goto(`${server.url}/requests/${second}`);
      await waitForHydration(lead);
      assert.match(await lead.locator('dl.inputs').innerText(), /refunds/);
      await approveFromInbox(lead, server.url, second, 'Approved for the quarter close');

      // Alice's page: approved (by whom, with the comment), then queued behind the first export.
      await status.filter({ hasText: 'Queued' }).waitFor({ timeout: 30_000 });
      const timeline = dev.getByTestId('timeline');
      await timeline.filter({ hasText: 'Approved for the quarter close' }).waitFor();
      assert.match(await timeline.innerText(), /Lena Lead/);

      // The first export finishes; the second starts and its first log line arrives.
      writeFileSync(path.join(gates, 'orders'), '');
      await status.filter({ hasText: 'Running' }).waitFor({ timeout: 30_000 });
      const log = dev.getByTestId('log');
      await log.filter({ hasText: 'export refunds: preparing' }).waitFor({ timeout: 30_000 });
      assert.doesNotMatch(await log.innerText(), /copying rows/);

      // Let it finish: the rest of the log, the outputs (a link rendered as a link) and the status.
      writeFileSync(path.join(gates, 'refunds'), '');
      await status.filter({ hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
      await log.filter({ hasText: 'export refunds: done' }).waitFor();
      const report = dev.locator('[data-output=report_url] a');
      assert.equal(await report.getAttribute('href'), 'https://reports.example.internal/refunds');
      assert.equal(await dev.locator('[data-output=rows]').innerText(), '1200');
      const kinds = await timeline.locator('li').evaluateAll((items) => items.map((li) => li.dataset.kind));
      for (const kind of ['submitted', 'approved', 'queued', 'started', 'succeeded']) {
        assert.ok(kinds.includes(kind), `timeline has ${kind}: ${kinds.join(', ')}`);
      }

      assert.equal(await dev.evaluate(() => window.__sameDocument), true, 'the page was never reloaded');
      assert.ok(streams.includes(`/requests/${second}/events`), `the page listened to the live stream: ${streams}`);
      const seen = await dev.evaluate(() => window.__statuses);
      assert.deepEqual(seen, ['Waiting for approval', 'Queued', 'Running', 'Succeeded'], 'every status, in order');

      // Run again: the form opens with the same values.
      await Promise.all([
        dev.waitForURL(/\/actions\/nightly-export\?/),
        dev.getByRole('link', { name: 'Run again with these values' }).click(),
      ]);
      await waitForHydration(dev);
      assert.equal(await dev.getByLabel('Dataset').inputValue(), 'refunds');
      assert.equal(await dev.getByLabel('Team').inputValue(), 'payments');

      // Lena's inbox is empty now, and so is her badge.
      await lead.goto(`${server.url}/approvals`);
      await waitForHydration(lead);
      await lead.getByTestId('approvals-empty').waitFor();
      assert.equal(await lead.locator('.badge-count').count(), 0);

      const onRunway = (list) => list.filter((e) => e.startsWith(server.url));
      assert.deepEqual(onRunway(devErrors), [], 'no errors on the developer pages');
      assert.deepEqual(onRunway(leadErrors), [], 'no errors on the lead pages');
    } finally {
      await alice.close();
      await lena.close();
      await server.stop();
      provider.stop();
      rmSync(gates, { recursive: true, force: true });
    }
  });
}
