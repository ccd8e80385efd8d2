// Browser journeys of the split front end (issue #11), in headless Chromium on both backends:
// - a developer's catalogue, action and request pages download only the main WebAssembly module,
//   never a lazily loaded page's module;
// - following a link to a lazily loaded page (API tokens) fetches its module, renders it and keeps
//   it working, without errors;
// - an admin page opened directly (Impact) names its module in its head, fetches it once and
//   hydrates once it has arrived, with its title.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends, startServer, launchBrowser, waitForHydration, devSignIn, watchErrors } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The WebAssembly files a page fetches, by file name. */
function wasmFetches(page) {
  const seen = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/pkg/') && u.pathname.endsWith('.wasm')) seen.push(u.pathname.slice('/pkg/'.length));
  });
  return seen;
}

const lazyModule = (name) => /^(split_|chunk_)/.test(name);

for (const backend of backends) {
  test(`${backend}: developers' pages load the main module only; lazy pages load theirs when opened`, async () => {
    const server = await startServer({ backend });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      const fetched = wasmFetches(page);
      await devSignIn(page, server.url, 'dana');
      await waitForHydration(page);
      await page.getByRole('link', { name: 'Create a service repository' }).click();
      await page.waitForURL(/\/actions\/create-repo$/);
      await page.getByLabel('Repository name').waitFor();
      await page.goto(`${server.url}/actions/create-repo`);
      await waitForHydration(page);
      assert.ok(fetched.some((f) => /^runway\.[0-9a-f]{16}\.wasm$/.test(f)), `the main module: ${fetched}`);
      assert.deepEqual(fetched.filter(lazyModule), [], 'no lazy page module on a developer page');
      const head = await page.locator('head').innerHTML();
      assert.doesNotMatch(head, /split_/, 'nothing lazy is preloaded');

      // A lazily loaded page, reached by its link: its module arrives, it renders and works.
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.waitForURL(`${server.url}/settings/tokens`);
      await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
      assert.ok(fetched.some((f) => f.startsWith('split___tokens_view')), `the tokens page's module: ${fetched}`);
      await page.getByLabel('Name').fill('laptop');
      await page.getByRole('button', { name: 'Create token' }).click();
      assert.match(await page.getByLabel('Token').inputValue(), /^rw_pat_/);
      assert.deepEqual(errors, []);

      // An admin page opened directly: its modules are named in the head, and it hydrates.
      const admin = await context.browser().newContext();
      try {
        const ada = await admin.newPage();
        const adaErrors = watchErrors(ada);
        const adaFetched = wasmFetches(ada);
        await devSignIn(ada, server.url, 'ada', '/impact');
        await ada.waitForURL(`${server.url}/impact`);
        await waitForHydration(ada);
        // Named in the head by the server every time (not in a race with the render), and fetched
        // once: the loader is handed the preloaded response.
        const preloaded = await ada.locator('head link[rel="preload"][as="fetch"][href*="/pkg/split___impact_view_"]').count();
        assert.equal(preloaded, 1, 'the head preloads the page\'s module');
        assert.equal(await ada.locator('head link[rel="modulepreload"][href*="/pkg/__wasm_split."]').count(), 1, 'and its loader');
        const impact = adaFetched.filter((f) => /^split___impact_view_\d+\.[0-9a-f]{16}\.wasm$/.test(f));
        assert.equal(impact.length, 1, `fetched once: ${adaFetched}`);
        await ada.getByRole('heading', { name: 'Impact', level: 1 }).waitFor();
        assert.equal(await ada.title(), 'Impact · Runway');
        assert.deepEqual(adaErrors, []);
      } finally {
        await admin.close();
      }
    } finally {
      await context.close();
      await server.stop();
    }
  });
}
