// A real OpenID Provider for Runway's tests: panva's certified `oidc-provider`, with test accounts
// that carry group claims, behind a small proxy that tests use to misbehave on purpose (forged ID
// tokens, rotated keys, a tampered PKCE verifier).
//
//   node tests/oidc/provider.mjs            listens on 127.0.0.1 (free port), prints one JSON line:
//                                           {"issuer": "http://127.0.0.1:PORT"}
//
// Test control endpoints (loopback only, never part of a real provider):
//   POST /__test/client   {"redirect_uri": "...", "post_logout_redirect_uri": "..."}  registers Runway
//   POST /__test/mode     {"mode": "normal" | "wrong-nonce" | "wrong-aud" | "expired" | "alg-none"
//                                  | "unknown-key" | "rotated-key" | "tamper-pkce"}
//
// Accounts: any login works; these carry groups:
//   alice -> [payments]            developer of team A
//   bob   -> [search]              developer of team B
//   lena  -> [payments-leads]      lead of team A
//   root  -> [platform, platform-admins]   admin

import http from 'node:http';
import { URL } from 'node:url';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const ACCOUNTS = {
  alice: { name: 'Alice Payments', groups: ['payments'] },
  bob: { name: 'Bob Search', groups: ['search'] },
  lena: { name: 'Lena Lead', groups: ['payments-leads'] },
  root: { name: 'Root Admin', groups: ['platform', 'platform-admins'] },
};

// In-memory storage that lets tests register the client after Runway has bound its port.
const store = new Map();
class MemoryAdapter {
  constructor(name) {
    this.name = name;
  }
  key(id) {
    return `${this.name}:${id}`;
  }
  async upsert(id, payload) {
    store.set(this.key(id), { ...payload });
  }
  async find(id) {
    return store.get(this.key(id));
  }
  async findByUserCode(code) {
    return [...store.values()].find((v) => v.userCode === code);
  }
  async findByUid(uid) {
    return [...store.entries()].find(([k, v]) => k.startsWith(`${this.name}:`) && v.uid === uid)?.[1];
  }
  async consume(id) {
    const v = store.get(this.key(id));
    if (v) v.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    store.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const [k, v] of store) if (v.grantId === grantId) store.delete(k);
  }
}

const signingKey = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(signingKey.privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
const rotatedKey = await jose.generateKeyPair('RS256', { extractable: true });
const rotatedPublic = { ...(await jose.exportJWK(rotatedKey.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' };
const rogueKey = await jose.generateKeyPair('RS256');

let mode = 'normal';
let rotated = false;

const front = http.createServer();
await new Promise((resolve) => front.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${front.address().port}`;

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  cookies: { keys: ['runway-tests-only'] },
  jwks: { keys: [signingJwk] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // Release the groups claim (and profile and email) in the ID token.
  claims: { openid: ['sub', 'groups'], profile: ['name'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id] ?? { name: id, groups: [] };
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: account.name, email: `${id}@example.com`, email_verified: true, groups: account.groups };
      },
    };
  },
});
provider.proxy = false;
const backend = http.createServer(provider.callback());
await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));
const backendPort = backend.address().port;

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Re-signs (or breaks) an ID token according to the current mode. */
async function tamper(idToken) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'wrong-nonce':
      return sign({ ...claims, nonce: 'forged-nonce' }, signingKey.privateKey, 'k1');
    case 'wrong-aud':
      return sign({ ...claims, aud: 'someone-else' }, signingKey.privateKey, 'k1');
    case 'expired':
      return sign({ ...claims, iat: now - 600, exp: now - 300 }, signingKey.privateKey, 'k1');
    case 'alg-none': {
      const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
    }
    case 'unknown-key':
      return sign(claims, rogueKey.privateKey, 'rogue');
    case 'rotated-key':
      rotated = true;
      return sign(claims, rotatedKey.privateKey, 'k2');
    default:
      return idToken;
  }
}

function sign(claims, key, kid) {
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

front.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/__test/mode' && req.method === 'POST') {
      mode = JSON.parse((await readBody(req)).toString()).mode;
      return json(res, 200, { mode });
    }
    if (url.pathname === '/__test/client' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)).toString());
      await new MemoryAdapter('Client').upsert('runway', {
        client_id: 'runway',
        client_secret: 'runway-test-secret',
        redirect_uris: [body.redirect_uri],
        post_logout_redirect_uris: body.post_logout_redirect_uri ? [body.post_logout_redirect_uri] : [],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      });
      return json(res, 200, { ok: true });
    }
    let body = await readBody(req);
    if (url.pathname === '/token' && mode === 'tamper-pkce') {
      const params = new URLSearchParams(body.toString());
      params.set('code_verifier', 'x'.repeat(43));
      body = Buffer.from(params.toString());
    }
    const headers = { ...req.headers, 'content-length': String(body.length) };
    const upstream = http.request(
      { host: '127.0.0.1', port: backendPort, path: req.url, method: req.method, headers },
      async (up) => {
        let payload = await readBody(up);
        const outHeaders = { ...up.headers };
        if (url.pathname === '/token' && up.statusCode === 200 && mode !== 'normal' && mode !== 'tamper-pkce') {
          const tokens = JSON.parse(payload.toString());
          tokens.id_token = await tamper(tokens.id_token);
          payload = Buffer.from(JSON.stringify(tokens));
        }
        if (url.pathname === '/jwks' && rotated) {
          const jwks = JSON.parse(payload.toString());
          jwks.keys.push(rotatedPublic);
          payload = Buffer.from(JSON.stringify(jwks));
        }
        outHeaders['content-length'] = String(payload.length);
        delete outHeaders['transfer-encoding'];
        res.writeHead(up.statusCode, outHeaders);
        res.end(payload);
      },
    );
    upstream.on('error', (e) => json(res, 502, { error: String(e) }));
    upstream.end(body);
  } catch (e) {
    json(res, 500, { error: String(e) });
  }
});

// The test reads only the first line; never die of a closed pipe afterwards.
process.stdout.on('error', () => {});
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
const stop = () => {
  front.close();
  backend.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Stop with the parent: when our stdin closes (the test process ended), exit.
process.stdin.on('end', stop);
process.stdin.resume();
