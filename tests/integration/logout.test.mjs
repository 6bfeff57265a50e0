// Sessions, the revocation fan-out and logout end to end (issue 7), against the real binary:
// a user signs in through hosted login and the demo test IdP (seed-demo), the demo application
// gets tokens; then
//  - revoking the user through the admin API: introspection says inactive, the refresh token
//    fails, the session.revoked and token.revoked webhooks arrive, and the OIDC Back-Channel
//    Logout token reaches the application's receiver although it was down for a while (its
//    signature checked here against the JWKS, its claims against the spec);
//  - a kill -9 of Gatehouse between the revocation and the delivery loses nothing;
//  - RP-initiated logout: end_session_endpoint in discovery, id_token_hint, exact
//    post_logout_redirect_uri, state, the cookie cleared, the session ended through the fan-out;
//  - an access token revoked by jti; another organization's ids answer 404.
// No npm packages: JWS verification with node:crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { cleanup, cli, freePort, startServer, tempDir, waitFor } from './lib.mjs';
import { CookieJar, signInWithTestIdp } from './login_driver.mjs';

let dir, srv, demo, appId, receiver, otherOrg;
const serverEnv = {
  GATEHOUSE_WEBHOOK_RETRY_BASE_MS: '200',
  GATEHOUSE_WEBHOOK_RETRY_MAX_MS: '1000',
  GATEHOUSE_WEBHOOK_MAX_ATTEMPTS: '100',
  GATEHOUSE_WEBHOOK_TIMEOUT_MS: '1000',  // a lease held across kill -9 ends within 25 s
};
const LOGGED_OUT = 'http://127.0.0.1:3000/logged-out';

// The RP's back-channel logout endpoint and a webhook endpoint on one port; it can go down
// (connection refused) and come back.
class Receiver {
  constructor(port) { this.port = port; this.got = []; this.server = null; }
  url(path) { return `http://127.0.0.1:${this.port}${path}`; }
  async up() {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        this.got.push({ path: req.url, headers: req.headers, body });
        res.writeHead(200).end();
      });
    });
    await new Promise((r) => this.server.listen(this.port, '127.0.0.1', r));
  }
  async down() {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
    this.server = null;
  }
  logoutTokens() {
    return this.got.filter((g) => g.path === '/bcl').map((g) => {
      assert.equal(g.headers['content-type'], 'application/x-www-form-urlencoded');
      return new URLSearchParams(g.body).get('logout_token');
    });
  }
  events(type) {
    return this.got.filter((g) => g.path === '/hook').map((g) => JSON.parse(g.body)).filter((e) => e.type === type);
  }
}

async function call(method, p, { key = demo.admin_api_key, body, headers = {} } = {}) {
  const r = await fetch(`${srv.url}/api/v1/environments/sandbox${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed, headers: r.headers };
}

const basic = () => `Basic ${Buffer.from(`${encodeURIComponent(demo.client_id)}:${encodeURIComponent(demo.client_secret)}`).toString('base64')}`;
async function form(path, params) {
  const r = await fetch(`${srv.url}/sandbox/oauth2/${path}`, {
    method: 'POST',
    headers: { Authorization: basic(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: r.status, body: await r.json() };
}
const introspect = async (token) => (await form('introspect', { token })).body;

// Signs in anyone@example.test through hosted login and redeems the code: the tokens and the jar.
async function signIn() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: demo.client_id, redirect_uri: demo.redirect_uri,
    scope: 'openid email profile offline_access', state: 's', nonce: crypto.randomBytes(8).toString('hex'),
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const jar = new CookieJar();
  const done = await signInWithTestIdp(`${srv.url}/sandbox/oauth2/authorize?${q}`, { email: 'anyone@example.test' }, jar);
  const code = new URL(done).searchParams.get('code');
  assert.ok(code, done);
  const t = await form('token', { grant_type: 'authorization_code', code, redirect_uri: demo.redirect_uri, code_verifier: verifier });
  assert.equal(t.status, 200, JSON.stringify(t.body));
  assert.ok(t.body.refresh_token, 'a refresh token');
  const claims = JSON.parse(Buffer.from(t.body.id_token.split('.')[1], 'base64url'));
  assert.ok(claims.sid, 'the ID token carries sid');
  return { ...t.body, claims, jar };
}

// Verifies a compact JWS against the environment's JWKS (RS*, PS*, ES*), returns header and claims.
async function verifyJws(token) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwks = await (await fetch(`${srv.url}/sandbox/.well-known/jwks.json`)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} in the JWKS`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const hash = `sha${header.alg.slice(2)}`;
  const opts = header.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' }
    : header.alg.startsWith('PS') ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(header.alg.slice(2)) / 8 }
      : key;
  assert.ok(crypto.verify(hash, Buffer.from(`${h}.${p}`), opts, Buffer.from(s, 'base64url')), 'signature verifies');
  return { header, claims: JSON.parse(Buffer.from(p, 'base64url')) };
}

async function assertLogoutToken(token, session) {
  const { header, claims } = await verifyJws(token);
  assert.equal(header.typ, 'logout+jwt');
  assert.equal(claims.iss, `${srv.url}/sandbox`);
  assert.equal(claims.aud, demo.client_id);
  assert.equal(claims.sid, session.claims.sid);
  assert.equal(claims.sub, session.claims.sub);
  assert.deepEqual(claims.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
  assert.ok(claims.jti);
  assert.ok(claims.iat <= Math.floor(Date.now() / 1000) + 1 && claims.exp > claims.iat);
  assert.equal(claims.nonce, undefined);
}

const tokensFor = (sid) => receiver.logoutTokens().filter((t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url')).sid === sid);

async function startGatehouse(port) {
  srv = await startServer({ dataDir: dir, port, env: serverEnv });
}

before(async () => {
  dir = tempDir();
  const flags = ['--data-dir', dir, '--log-level', 'warn'];
  demo = JSON.parse(cli(['seed-demo', ...flags]));
  receiver = new Receiver(await freePort());
  await startGatehouse();
  const apps = await call('GET', '/applications');
  appId = apps.body.data.find((a) => a.client_id === demo.client_id).id;
  const got = await call('GET', `/applications/${appId}`);
  const patched = await call('PATCH', `/applications/${appId}`, {
    // §2.2: this RP needs sid in every logout token (assertLogoutToken checks it is there).
    body: { backchannel_logout_uri: receiver.url('/bcl'), post_logout_redirect_uris: [LOGGED_OUT],
      backchannel_logout_session_required: true },
    headers: { 'If-Match': got.headers.get('etag') },
  });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.equal(patched.body.backchannel_logout_session_required, true);
  const hook = await call('POST', '/webhooks', { body: { url: receiver.url('/hook'), event_types: ['session.revoked', 'token.revoked'] } });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  otherOrg = (await call('POST', '/organizations', { body: { name: 'Other', slug: 'other-logout' } })).body;
});

after(async () => {
  await srv?.stop();
  await receiver?.down();
  cleanup(dir);
});

test('discovery names the end_session_endpoint and back-channel logout support', async () => {
  const d = await (await fetch(`${srv.url}/sandbox/.well-known/openid-configuration`)).json();
  assert.equal(d.end_session_endpoint, `${srv.url}/sandbox/oauth2/logout`);
  assert.equal(d.backchannel_logout_supported, true);
  assert.equal(d.backchannel_logout_session_supported, true);
});

test('revoking a user: tokens inactive, refresh fails, webhooks and the logout token arrive after the receiver comes back', async () => {
  const s = await signIn();
  assert.equal((await introspect(s.access_token)).active, true);
  const org = demo.organization_id;
  const listed = await call('GET', `/organizations/${org}/sessions`);
  assert.equal(listed.status, 200);
  assert.ok(listed.body.data.some((x) => x.sid === s.claims.sid && x.clients.includes(demo.client_id)));

  // Another organization's path never reaches this user.
  const foreign = await call('DELETE', `/organizations/${otherOrg.id}/users/${s.claims.sub}/sessions`);
  assert.equal(foreign.status, 404);
  assert.equal((await introspect(s.access_token)).active, true);

  // The receiver is down when the user is revoked.
  const revoked = await call('DELETE', `/organizations/${org}/users/${s.claims.sub}/sessions`);
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  assert.deepEqual(revoked.body.revoked.map((x) => x.sid), [s.claims.sid]);
  // Within the verified-token cache TTL (2 s; this node drops it at once).
  await waitFor(async () => (await introspect(s.access_token)).active === false, { timeoutMs: 3000 });
  const refreshed = await form('token', { grant_type: 'refresh_token', refresh_token: s.refresh_token });
  assert.equal(refreshed.status, 400);
  assert.equal(refreshed.body.error, 'invalid_grant');

  // Attempts fail while it is down, and the admin API shows it.
  await waitFor(async () => {
    const d = await call('GET', `/organizations/${org}/backchannel-logout/deliveries?application=${appId}`);
    return d.body.data.some((x) => x.sid === s.claims.sid && x.status === 'pending' && x.attempts >= 2 && x.last_error);
  }, { timeoutMs: 15000, intervalMs: 100 });
  await receiver.up();
  // The logout token and the two webhooks are separate deliveries: wait for all three.
  const sessionEnded = () => receiver.events('session.revoked').find((e) => JSON.stringify(e).includes(s.claims.sid));
  await waitFor(() => tokensFor(s.claims.sid).length > 0 && receiver.events('token.revoked').length > 0 && sessionEnded(), { timeoutMs: 15000, intervalMs: 100 });
  await assertLogoutToken(tokensFor(s.claims.sid)[0], s);
  assert.ok(sessionEnded(), 'session.revoked webhook');
  assert.ok(JSON.stringify(receiver.events('token.revoked')).includes(s.claims.sid));
  await waitFor(async () => {
    const d = await call('GET', `/organizations/${org}/backchannel-logout/deliveries?application=${appId}`);
    return d.body.data.some((x) => x.sid === s.claims.sid && x.status === 'succeeded');
  }, { timeoutMs: 5000 });
  // Other organizations see none of it.
  const other = await call('GET', `/organizations/${otherOrg.id}/backchannel-logout/deliveries`);
  assert.equal(other.status, 200);
  assert.deepEqual(other.body.data, []);
});

test('kill -9 between the revocation and the delivery loses nothing', async () => {
  const s = await signIn();
  await receiver.down();
  const r = await call('DELETE', `/organizations/${demo.organization_id}/sessions/${s.claims.sid}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const port = srv.port;
  srv.child.kill('SIGKILL');
  await srv.exited;
  await receiver.up();
  await startGatehouse(port);
  await waitFor(() => tokensFor(s.claims.sid).length > 0, { timeoutMs: 40000, intervalMs: 200 });
  await assertLogoutToken(tokensFor(s.claims.sid)[0], s);
  assert.equal((await introspect(s.access_token)).active, false);
});

test('RP-initiated logout: id_token_hint, exact post_logout_redirect_uri, state, cookie cleared, fan-out', async () => {
  const s = await signIn();
  const logout = (params, jar = s.jar) => {
    const url = `${srv.url}/sandbox/oauth2/logout?${new URLSearchParams(params)}`;
    return fetch(url, { redirect: 'manual', headers: { Cookie: jar.header(url) } });
  };
  // Not registered (exact match, not a prefix): an error page, no redirect, nothing ended.
  for (const bad of [`${LOGGED_OUT}/x`, 'https://evil.example/']) {
    const r = await logout({ id_token_hint: s.id_token, post_logout_redirect_uri: bad });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /session\.invalid_logout_request/);
  }
  const forged = await logout({ id_token_hint: `${s.id_token.slice(0, -4)}AAAA`, post_logout_redirect_uri: LOGGED_OUT });
  assert.equal(forged.status, 400);
  const mismatch = await logout({ id_token_hint: s.id_token, client_id: 'gh_app_someoneelse', post_logout_redirect_uri: LOGGED_OUT });
  assert.equal(mismatch.status, 400);
  assert.equal((await introspect(s.access_token)).active, true);

  const r = await logout({ id_token_hint: s.id_token, post_logout_redirect_uri: LOGGED_OUT, state: 'st 1' });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), `${LOGGED_OUT}?state=st%201`);
  const cleared = r.headers.getSetCookie().find((c) => c.startsWith('gh_session_sandbox='));
  assert.match(cleared, /Max-Age=0/);
  await waitFor(async () => (await introspect(s.access_token)).active === false, { timeoutMs: 3000 });
  const refreshed = await form('token', { grant_type: 'refresh_token', refresh_token: s.refresh_token });
  assert.equal(refreshed.status, 400);
  await waitFor(() => tokensFor(s.claims.sid).length > 0, { timeoutMs: 15000, intervalMs: 100 });
  await assertLogoutToken(tokensFor(s.claims.sid)[0], s);
  // Without a redirect: the signed-out page.
  const page = await logout({});
  assert.equal(page.status, 200);
  assert.match(await page.text(), /signed out/);
});

test('an access token revoked by jti; families and tenants', async () => {
  const s = await signIn();
  const jti = JSON.parse(Buffer.from(s.access_token.split('.')[1], 'base64url')).jti;
  const org = demo.organization_id;
  assert.equal((await call('DELETE', `/organizations/${otherOrg.id}/access-tokens/${jti}`)).status, 200);
  assert.equal((await introspect(s.access_token)).active, true, 'another organization’s deny-list');
  const r = await call('DELETE', `/organizations/${org}/access-tokens/${jti}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.already_revoked, false);
  await waitFor(async () => (await introspect(s.access_token)).active === false, { timeoutMs: 3000 });
  // The session and its refresh token live on.
  const refreshed = await form('token', { grant_type: 'refresh_token', refresh_token: s.refresh_token });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  const unknown = await call('DELETE', `/organizations/${org}/refresh-token-families/not-a-family`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 'session.token_not_found');
  const noOrg = await call('DELETE', '/organizations/00000000-0000-7000-8000-000000000000/sessions');
  assert.equal(noOrg.status, 404);

  // The CLI: the same service and fan-out (the running server delivers what it queues).
  const flags = ['--org', org, '--data-dir', dir, '--log-level', 'warn'];
  const listed = JSON.parse(cli(['session', 'list', ...flags]));
  assert.ok(listed.data.some((x) => x.sid === s.claims.sid));
  const byCli = JSON.parse(cli(['session', 'revoke-user', ...flags, s.claims.sub]));
  assert.ok(byCli.revoked.some((x) => x.sid === s.claims.sid));
  const after = await form('token', { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token });
  assert.equal(after.status, 400);
  await waitFor(() => tokensFor(s.claims.sid).length > 0, { timeoutMs: 15000, intervalMs: 100 });
});
