#!/usr/bin/env node
// OIDC connections, two measurements against the running binary (SQLite in a temp dir):
//  1. callback processing per second: the hosted-login callback of an `oidc` connection (state,
//     RFC 9207 iss, the code exchange against a local IdP, ID token signature and claims, the
//     catalog mapping, identity resolution, the session), C callbacks one after another;
//  2. home-realm discovery of one domain among N organizations (N verified domains inserted
//     with sqlite3), p50/p99 of POST /{env}/login with the email, at 100 and at N organizations:
//     the lookup is one indexed read, so p99 should not grow with N.
//
//   node bench/oidc/run.mjs [BIN] [N=10000] [C=200]
// Needs: sqlite3 on PATH, tests/interop/node_modules (jose). Run it briefly: it is a probe.
import http from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { createRequire } from 'node:module';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, '../../tests/interop/package.json'));
const jose = await import(require.resolve('jose'));

const BIN = process.argv[2] ?? 'build/bench/src/app/gatehouse';
const N = Number(process.argv[3] ?? 10000);
const C = Number(process.argv[4] ?? 200);
const dir = mkdtempSync(path.join(tmpdir(), 'gh-oidc-bench-'));
const flags = ['--data-dir', dir, '--log-level', 'warn'];
const freePort = () => new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const sql = (q) => execFileSync('sqlite3', [path.join(dir, 'gatehouse.db'), q]).toString().trim();
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

// A minimal IdP: discovery, JWKS, an authorization endpoint that answers at once, a token endpoint.
const idpPort = await freePort();
const issuer = `http://127.0.0.1:${idpPort}`;
const { publicKey, privateKey } = await jose.generateKeyPair('RS256');
const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
const codes = new Map();
const idp = http.createServer(async (req, res) => {
  const u = new URL(req.url, issuer);
  const json = (o, s = 200) => { res.writeHead(s, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(o)); };
  if (u.pathname === '/.well-known/openid-configuration') {
    return json({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
      id_token_signing_alg_values_supported: ['RS256'], authorization_response_iss_parameter_supported: true });
  }
  if (u.pathname === '/jwks') return json({ keys: [jwk] });
  if (u.pathname === '/authorize') {
    const code = randomBytes(8).toString('hex');
    codes.set(code, Object.fromEntries(u.searchParams));
    const back = new URL(u.searchParams.get('redirect_uri'));
    back.search = new URLSearchParams({ code, state: u.searchParams.get('state'), iss: issuer }).toString();
    res.writeHead(302, { Location: back.href });
    return res.end();
  }
  if (u.pathname === '/token') {
    let body = '';
    for await (const c of req) body += c;
    const a = codes.get(new URLSearchParams(body).get('code'));
    if (!a) return json({ error: 'invalid_grant' }, 400);
    const idToken = await new jose.SignJWT({ nonce: a.nonce, email: a.login_hint, email_verified: true })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench-1' }).setIssuer(issuer).setSubject(a.login_hint)
      .setAudience(a.client_id).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    return json({ access_token: 'x', token_type: 'Bearer', id_token: idToken });
  }
  res.writeHead(404); res.end();
});
await new Promise((r) => idp.listen(idpPort, '127.0.0.1', r));

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const demo = JSON.parse(execFileSync(BIN, ['seed-demo', ...flags, '--public-url', base]).toString());
const srv = spawn(BIN, ['serve', ...flags, '--listen', `127.0.0.1:${port}`, '--public-url', base, '--access-log', 'false'], { stdio: 'ignore' });
try {
  for (let i = 0; i < 100; i++) { try { await fetch(`${base}/healthz`); break; } catch { await new Promise((r) => setTimeout(r, 100)); } }
  const api = async (method, p, body) => (await fetch(`${base}/api/v1/environments/sandbox${p}`, {
    method, headers: { Authorization: `Bearer ${demo.admin_api_key}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) })).json();
  const org = await api('POST', '/organizations', { name: 'Bench', slug: 'bench' });
  await api('POST', `/organizations/${org.id}/domains`, { domain: 'bench-target.example' });
  sql("UPDATE domains SET state = 'verified' WHERE name = 'bench-target.example'");
  // Discovery reads the verified claim (domain_claims), which verification writes.
  sql(`INSERT INTO domain_claims (environment_id, name, organization_id, claimed_at) SELECT environment_id, name, organization_id, 0 FROM domains WHERE name = 'bench-target.example'`);
  const conn = await api('POST', `/organizations/${org.id}/connections`, { type: 'oidc', name: 'Bench IdP', domains: ['bench-target.example'],
    settings: { discovery_url: `${issuer}/.well-known/openid-configuration`, client_id: 'bench', client_secret: 'bench-secret' } });
  await api('POST', `/organizations/${org.id}/connections/${conn.id}/activate`);

  const pending = async () => {
    const q = new URLSearchParams({ response_type: 'code', client_id: demo.client_id, redirect_uri: demo.redirect_uri, scope: 'openid email',
      state: 's', code_challenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'), code_challenge_method: 'S256' });
    const r = await fetch(`${base}/sandbox/oauth2/authorize?${q}`, { redirect: 'manual' });
    return new URL(r.headers.get('location')).searchParams.get('request');
  };
  const startLogin = async (request, email) => {
    const t0 = performance.now();
    const r = await fetch(`${base}/sandbox/login`, { method: 'POST', redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ request, email }) });
    const ms = performance.now() - t0;
    if (r.status !== 303) throw new Error(`login start ${r.status}: ${(await r.text()).match(/class="code">([^<]*)/)?.[1]}`);
    return { ms, location: r.headers.get('location'), cookie: r.headers.getSetCookie()[0].split(';')[0] };
  };

  // 1. Callbacks per second.
  let callbackMs = 0;
  const lat = [];
  for (let i = 0; i < C; i++) {
    const s = await startLogin(await pending(), `user${i}@bench-target.example`);
    const cb = (await fetch(s.location, { redirect: 'manual' })).headers.get('location');
    const t0 = performance.now();
    const r = await fetch(cb, { redirect: 'manual', headers: { Cookie: s.cookie } });
    const ms = performance.now() - t0;
    if (r.status !== 303) throw new Error(`callback ${r.status}: ${(await r.text()).slice(0, 300)}`);
    callbackMs += ms;
    lat.push(ms);
  }
  console.log(`callbacks=${C} per_second=${(C / (callbackMs / 1000)).toFixed(1)} p50_ms=${pct(lat, 0.5).toFixed(2)} p99_ms=${pct(lat, 0.99).toFixed(2)} (sequential, one client)`);

  // 2. Discovery among 100 then N organizations.
  const envId = sql("SELECT id FROM environments WHERE name = 'sandbox'");
  const fill = (from, to) => sql(`BEGIN;
    WITH RECURSIVE s(g) AS (SELECT ${from} UNION ALL SELECT g + 1 FROM s WHERE g < ${to})
    INSERT INTO organizations (id, environment_id, slug, name, metadata, status, version, created_at, updated_at)
      SELECT 'bench-org-' || g, '${envId}', 'bench-' || g, 'Org ' || g, '{}', 'active', 1, 0, 0 FROM s;
    WITH RECURSIVE s(g) AS (SELECT ${from} UNION ALL SELECT g + 1 FROM s WHERE g < ${to})
    INSERT INTO domains (organization_id, name, id, environment_id, token, state, last_error, created_at, updated_at, verified_at, checked_at, next_check_at)
      SELECT 'bench-org-' || g, 'org' || g || '.example', 'bench-dom-' || g, '${envId}', 't', 'verified', '', 0, 0, 0, 0, 9223372036854775807 FROM s;
    WITH RECURSIVE s(g) AS (SELECT ${from} UNION ALL SELECT g + 1 FROM s WHERE g < ${to})
    INSERT INTO domain_claims (environment_id, name, organization_id, claimed_at)
      SELECT '${envId}', 'org' || g || '.example', 'bench-org-' || g, 0 FROM s;
    COMMIT;`);
  const request = await pending();
  const measure = async (label) => {
    const xs = [];
    for (let i = 0; i < 300; i++) xs.push((await startLogin(request, `u${i}@bench-target.example`)).ms);
    console.log(`discovery orgs=${label} p50_ms=${pct(xs, 0.5).toFixed(2)} p99_ms=${pct(xs, 0.99).toFixed(2)}`);
  };
  fill(1, 100);
  await measure(101);
  fill(101, N);
  await measure(N + 1);
} finally {
  srv.kill('SIGTERM');
  idp.close();
  rmSync(dir, { recursive: true, force: true });
}
