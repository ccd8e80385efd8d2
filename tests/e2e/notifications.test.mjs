// Notification choices in headless Chromium: a developer finds "Notifications" next to her name,
// sees the defaults, switches finished-request e-mail off and "queued" e-mail on, saves, and finds
// her choices kept; an admin also sees the delivery report. (Delivery itself is tested against an
// SMTP sink and fakes of Slack and Jira in tests/tests/channels.rs; accessibility in a11y.test.mjs.)

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

const finishedByEmail = 'My request finished (succeeded, failed, cancelled or expired) by E-mail';
const queuedByEmail = 'My request was queued by E-mail';
const approvalBySlack = 'A request needs my approval by Slack';

for (const backend of backends) {
  test(`${backend}: a developer chooses what she hears about, and her choices are kept`, async () => {
    const server = await startServer({ backend });
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    try {
      await devSignIn(page, server.url, 'dana', '/');
      await waitForHydration(page);
      await page.getByRole('link', { name: 'Notifications' }).click();
      await page.waitForURL(server.url + '/settings/notifications');
      await waitForHydration(page);
      assert.equal(await page.getByLabel(finishedByEmail).isChecked(), true, 'finished: e-mail on by default');
      assert.equal(await page.getByLabel(queuedByEmail).isChecked(), false, 'queued: no e-mail by default');
      assert.equal(await page.getByLabel(approvalBySlack).isChecked(), true);
      assert.match(await page.locator('main').innerText(), /dana@example\.com/, 'says where e-mail goes');
      assert.match(await page.locator('main').innerText(), /not set up on this Runway yet/, 'says what is not set up');
      assert.equal(await page.getByRole('heading', { name: 'Delivery (admins)' }).count(), 0);

      await page.getByLabel(finishedByEmail).uncheck();
      await page.getByLabel(queuedByEmail).check();
      await page.getByRole('button', { name: 'Save choices' }).click();
      await page.waitForURL(server.url + '/settings/notifications?saved=1');
      await waitForHydration(page);
      assert.match(await page.getByRole('status').innerText(), /Your choices are saved/);
      assert.equal(await page.getByLabel(finishedByEmail).isChecked(), false);
      assert.equal(await page.getByLabel(queuedByEmail).isChecked(), true);
      assert.equal(await page.getByLabel(approvalBySlack).isChecked(), true, 'other choices unchanged');

      await page.reload();
      await waitForHydration(page);
      assert.equal(await page.getByLabel(finishedByEmail).isChecked(), false, 'kept after a reload');
      assert.deepEqual(errors.filter((e) => e.startsWith(server.url)), [], 'no console errors');

      const adminContext = await browser.newContext();
      const admin = await adminContext.newPage();
      await devSignIn(admin, server.url, 'ada', '/settings/notifications');
      await waitForHydration(admin);
      assert.match(await admin.getByTestId('delivery-counts').innerText(), /0 sent, 0 waiting or being retried, 0 failed for good/);
      assert.match(await admin.locator('main').innerText(), /No delivery has failed/);
      await adminContext.close();
    } finally {
      await context.close();
      await server.stop();
    }
  });
}
