// Browser journeys of Impact (issue #14), in headless Chromium on both backends, found by visible
// labels:
// - a request finishes, its requester answers the ease question on the request page, and the admin
//   sees the answer (and its comment) on the Impact page;
// - an admin opens a cognitive-load pulse for payments, members answer from the navigation's Pulse
//   link; after four answers the team's results stay hidden, after the fifth the aggregate appears.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backends, repoRoot, startServer, launchBrowser, waitForHydration, devSignIn, watchErrors } from './harness.mjs';

let browser;
let catalogDir;
before(async () => {
  browser = await launchBrowser();
  // The demo catalogue plus long-line (a script that succeeds at once), in a copy.
  catalogDir = mkdtempSync(path.join(tmpdir(), 'runway-impact-catalog-'));
  cpSync(path.join(repoRoot, 'catalog'), catalogDir, { recursive: true });
  cpSync(path.join(repoRoot, 'tests', 'e2e', 'fixtures', 'layout-catalog'), catalogDir, { recursive: true });
});
after(async () => {
  await browser?.close();
  if (catalogDir) rmSync(catalogDir, { recursive: true, force: true });
});

async function as(server, login, contexts) {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  await devSignIn(page, server.url, login);
  return page;
}

for (const backend of backends) {
  test(`${backend}: a requester rates a finished request and the admin sees it on the Impact page`, async () => {
    const server = await startServer({ backend, catalogDir });
    const contexts = [];
    try {
      const dana = await as(server, 'dana', contexts);
      const errors = watchErrors(dana);
      await dana.goto(`${server.url}/actions/long-line`);
      await waitForHydration(dana);
      await Promise.all([dana.waitForURL(/\/requests\/\d+$/), dana.getByRole('button', { name: 'Submit request' }).click()]);
      await waitForHydration(dana);
      await dana.getByTestId('request-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 30_000 });
      // The question appears once the request has ended, on the page that followed it live.
      const question = dana.getByRole('group', { name: /Overall, how easy or difficult was this\?/ });
      await question.waitFor({ timeout: 15_000 });
      await question.getByRole('radio', { name: '6', exact: true }).check();
      await dana.getByLabel('Comment (optional)').fill('The form told me exactly what to fill in');
      const id = new URL(dana.url()).pathname.split('/').pop();
      const [post] = await Promise.all([
        dana.waitForRequest((r) => r.method() === 'POST' && r.url() === `${server.url}/requests/${id}/rating`),
        dana.getByRole('button', { name: 'Send' }).click(),
      ]);
      assert.equal((await post.response())?.status(), 303);
      await dana.getByText('You answered 6 of 7').waitFor();
      assert.deepEqual(errors, []);

      const ada = await as(server, 'ada', contexts);
      await ada.getByRole('link', { name: 'Impact' }).click();
      await ada.waitForURL(`${server.url}/impact`);
      await waitForHydration(ada);
      const row = ada.getByTestId('effort').getByRole('row', { name: /Print a long line/ });
      await row.waitFor();
      assert.equal((await row.locator('[data-col="mean"]').textContent()).trim(), '6.0');
      await ada.getByTestId('ease-comments').getByText('The form told me exactly what to fill in').waitFor();
      // The charts have labelled axes and a text summary.
      const chart = ada.getByTestId('adoption-chart');
      assert.match(await chart.getAttribute('aria-label'), /Distinct teams and people using any action/);
      assert.match(await chart.textContent(), /Distinct users/);
    } finally {
      for (const c of contexts) await c.close();
      await server.stop();
    }
  });

  test(`${backend}: a pulse shows a team's results only from five answers, once its round has closed`, async () => {
    const server = await startServer({ backend, catalogDir });
    const contexts = [];
    try {
      const ada = await as(server, 'ada', contexts);
      const errors = watchErrors(ada);
      await ada.goto(`${server.url}/impact`);
      await waitForHydration(ada);
      await ada.getByText('Start a pulse').click();
      // payments is offered as a box (a beta rollout names it); search is typed in.
      await ada.getByRole('group', { name: 'Teams' }).getByRole('checkbox', { name: 'payments', exact: true }).check();
      await ada.getByLabel('Other teams (comma-separated)').fill('search');
      await ada.getByLabel('Repeats').selectOption('once');
      await Promise.all([ada.waitForURL(/\/impact/), ada.getByRole('button', { name: 'Start pulse' }).click()]);
      await waitForHydration(ada);
      const paymentsRow = () => ada.getByTestId('pulse-results').locator('tr[data-who="payments"]');
      await paymentsRow().waitFor();

      const members = ['dana', 'lee', 'pia', 'raj', 'kai'];
      for (const [i, login] of members.entries()) {
        const page = await as(server, login, contexts);
        const pageErrors = watchErrors(page);
        await waitForHydration(page);
        // The navigation shows the waiting pulse (and the page with it hydrates).
        await page.getByRole('link', { name: /^Pulse/ }).click();
        await page.waitForURL(`${server.url}/pulse`);
        await waitForHydration(page);
        const form = page.getByTestId('pulse-form');
        // The pulse page is loaded lazily: wait for its form before reading it.
        await form.locator('fieldset legend').first().waitFor();
        const statements = await form.locator('fieldset legend').allTextContents();
        assert.equal(statements.length, 5);
        for (const s of statements) {
          await form.getByRole('group', { name: s }).getByRole('radio', { name: new RegExp(`^${1 + ((i + 2) % 5)} `) }).check();
        }
        await Promise.all([page.waitForURL(/\/pulse\?answered=1/), page.getByRole('button', { name: 'Send answers' }).click()]);
        await page.getByText('Your answer was counted anonymously').waitFor();
        await page.getByText('Nothing to answer right now').waitFor();
        assert.deepEqual(pageErrors, [], `${login}'s pages`);

        await ada.reload();
        await waitForHydration(ada);
        const row = paymentsRow();
        await row.waitFor();
        const answered = (await row.locator('td').nth(1).textContent()).trim();
        assert.equal(answered, String(i + 1));
        if (i < 4) {
          await row.getByText(/from 5 answers/).waitFor();
          assert.equal(await row.locator('[data-col="mean"]').count(), 0, `hidden at ${i + 1} answers`);
          assert.match(await ada.getByTestId('pulse-chart').getAttribute('aria-label'), /payments: \d{4}-\d{2}-\d{2} hidden/);
        } else {
          // Five answers, but the round is still open: nothing shows until it closes.
          await row.getByText('Shown once this round closes').waitFor();
          assert.equal(await row.locator('[data-col="mean"]').count(), 0, 'hidden while the round is open');
          await Promise.all([ada.waitForURL(/\/impact/), ada.getByRole('button', { name: 'Stop this pulse' }).click()]);
          await waitForHydration(ada);
          await paymentsRow().locator('[data-col="mean"]').first().waitFor();
          const closed = paymentsRow();
          assert.equal(await closed.locator('[data-col="mean"]').count(), 5, 'the aggregate once closed, at five answers');
          // Scores 3, 4, 5, 1, 2: the mean of every statement is 3.0.
          for (const cell of await closed.locator('[data-col="mean"]').allTextContents()) assert.equal(cell.trim(), '3.0');
          // The trend chart (labelled axes, values on hover) carries it too.
          const chart = ada.getByTestId('pulse-chart');
          assert.match(await chart.getAttribute('aria-label'), /payments: \d{4}-\d{2}-\d{2} 3\.0/);
          assert.match(await chart.textContent(), /Mean \(1-5\)/);
        }
      }
      assert.deepEqual(errors, [], "the admin's pages");
    } finally {
      for (const c of contexts) await c.close();
      await server.stop();
    }
  });
}
