// Test harness for browser tests: starts a real `runway serve` process on a free port with a fresh
// database (SQLite file or a new Postgres database), and a headless Chromium driven by Playwright.
//
// Environment (set by scripts/test; defaults suit a local checkout):
//   RUNWAY_E2E_BIN        the runway binary (built by `cargo test`, or scripts/build-site)
//   RUNWAY_E2E_SITE_ROOT  the site directory holding pkg/ (wasm, js, css)
//   RUNWAY_TEST_POSTGRES_URL  admin URL of the test Postgres server
//   CHROMIUM              the browser executable (default /usr/bin/chromium)

import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = process.env.RUNWAY_E2E_BIN ?? path.join(root, 'target', 'debug', 'runway');
export const repoRoot = root;
const siteRoot = process.env.RUNWAY_E2E_SITE_ROOT ?? path.join(root, 'target', 'site');
const pgAdmin = process.env.RUNWAY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const backends = ['sqlite', 'postgres'];

// Servers and providers still running when this process exits (a test failed midway) are stopped.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function psql(sql) {
  execFileSync('psql', [pgAdmin, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: 'pipe' });
}

/** Starts runway on 127.0.0.1:0 and resolves once it logs the address it bound. */
export async function startServer({ backend = 'sqlite', catalogDir = path.join(root, 'catalog'), env = {} } = {}) {
  // Scripts run as unprivileged users when the tests run as root: give them a readable copy of the
  // catalogue beside the data directory (which Runway keeps private, 0700), not inside it. Runway
  // puts the scripts' state and run directories beside it too (`data-state`, `data-runs`).
  const base = mkdtempSync(path.join(tmpdir(), 'runway-e2e-'));
  chmodSync(base, 0o755);
  const dataDir = path.join(base, 'data');
  const catalogCopy = path.join(base, 'catalog');
  cpSync(catalogDir, catalogCopy, { recursive: true });
  chmodSync(catalogCopy, 0o755);
  let databaseUrl = `sqlite://${path.join(dataDir, 'runway.db')}`;
  let pgName = null;
  if (backend === 'postgres') {
    pgName = `runway_e2e_${process.pid}_${Date.now()}`;
    psql(`CREATE DATABASE ${pgName}`);
    databaseUrl = pgAdmin.replace(/\/[^/]*$/, `/${pgName}`);
  }
  const child = spawn(bin, ['serve', '--log-format', 'json'], {
    env: {
      PATH: process.env.PATH,
      RUNWAY_LISTEN: '127.0.0.1:0',
      RUNWAY_DATA_DIR: dataDir,
      RUNWAY_DATABASE_URL: databaseUrl,
      RUNWAY_CATALOG_DIR: catalogCopy,
      RUNWAY_SITE_ROOT: siteRoot,
      RUNWAY_LOG__FILTER: 'info',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const logs = [];
  const address = await new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`runway did not start:\n${logs.join('\n')}`)), 60_000);
    child.stderr.on('data', (chunk) => {
      buffered += chunk.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        logs.push(line);
        try {
          const event = JSON.parse(line);
          if (event.message === 'listening' && event.address) {
            clearTimeout(timer);
            resolve(event.address);
          }
        } catch {
          // not JSON: keep it for the error message
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runway exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  return {
    url: `http://${address}`,
    logs,
    // What `runway` subcommands need to reach this server's database (Discover's imports).
    env: { PATH: process.env.PATH, RUNWAY_DATA_DIR: dataDir, RUNWAY_DATABASE_URL: databaseUrl, RUNWAY_CATALOG_DIR: catalogCopy },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
      rmSync(base, { recursive: true, force: true });
      if (pgName) psql(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
    },
  };
}

/** Launches headless Chromium (Debian's package; Playwright never downloads a browser here). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Records console errors, uncaught exceptions and failed requests of a page. Each entry starts with
 * the page's URL at the time, so a test can ignore pages that are not Runway's (the provider's).
 */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${page.url()} console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`${page.url()} pageerror: ${err.message}`));
  page.on('response', (resp) => {
    if (resp.status() >= 400) errors.push(`${resp.url()} HTTP ${resp.status()}`);
  });
  return errors;
}

/** Waits until the WebAssembly app has hydrated the server-rendered page. */
export async function waitForHydration(page) {
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
}

/** Signs in with development sign-in as a demo user (dana, lee, sam, ada) and waits for `next`. */
export async function devSignIn(page, serverUrl, login, next = '/') {
  await page.goto(`${serverUrl}/signin?next=${encodeURIComponent(next)}`);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.locator(`button[data-login="${login}"]`).click()]);
}

/**
 * Signs in through the OpenID Provider as `login` (tests/oidc/provider.mjs accounts), starting from
 * `next` on Runway, and waits until the browser is back on that page.
 */
export async function ssoSignIn(page, serverUrl, provider, login, next = '/') {
  await page.goto(serverUrl + next);
  await page.waitForURL(/\/signin\?next=/);
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  // The provider's own login page (oidc-provider's development interactions), then its consent.
  await page.waitForURL((u) => u.href.startsWith(provider.issuer));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((u) => u.href.startsWith(provider.issuer) || u.href.startsWith(serverUrl));
  if (page.url().startsWith(provider.issuer)) {
    await page.locator('button[type="submit"]').click();
  }
  await page.waitForURL(serverUrl + next);
  await waitForHydration(page);
}

/** Starts the test OpenID Provider (tests/oidc/provider.mjs) and resolves with its issuer. */
export async function startProvider() {
  const child = spawn(process.execPath, [path.join(root, 'tests', 'oidc', 'provider.mjs')], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const issuer = await new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString();
      const nl = buffered.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buffered.slice(0, nl)).issuer);
    });
    child.on('exit', (code) => reject(new Error(`provider exited with ${code}`)));
  });
  return {
    issuer,
    async register(appUrl) {
      const resp = await fetch(`${issuer}/__test/client`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          redirect_uri: `${appUrl}/auth/callback`,
          post_logout_redirect_uri: `${appUrl}/signin?signed_out=1`,
        }),
      });
      if (!resp.ok) throw new Error(`cannot register the client: ${resp.status}`);
    },
    stop() {
      child.kill('SIGTERM');
    },
  };
}
