// Hosted login end to end against the real binary: an organization, its domain verified
// through DNS (a throwaway dnsmasq) and a test IdP connection, all through the admin API; then
// the hosted login with a cookie jar (email page → discovery → the test IdP's form → the
// callback → the session cookie and the redirect to the login request's resume_url), the
// login's trace, "test connection" (every check reported, no session), the seeded demo login
// for anyone@example.test, sandbox-only, and cross-tenant 404s.
//
// Every login starts as a real authorization request of the seeded demo application
// (/oauth2/authorize → 303 to /login?request=ID) and ends at the application's redirect_uri
// with a code: the real OIDC provider, identity service and session service, no stand-ins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cleanup, cli, DnsServer, startServer, tempDir, testStore } from './lib.mjs';
import { CookieJar, parseForm, signInWithTestIdp } from './login_driver.mjs';

// SQLite by default; PostgreSQL in integration_login_pg (GATEHOUSE_TEST_ON_PG=1).
const STORE = testStore('gh_login');
const storeFlags = STORE ? ['--store', STORE] : [];
const dns = new DnsServer();
let dir, srv, demo, flags, prodKey;

async function call(method, p, { key = demo.admin_api_key, env = 'sandbox', body, headers = {} } = {}) {
  const r = await fetch(`${srv.url}/api/v1/environments/${env}${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed, headers: r.headers };
}

// A real pending authorization request of the demo application: its id, as the authorization
// endpoint hands it to hosted login.
async function pendingRequest(params = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: demo.client_id, redirect_uri: demo.redirect_uri,
    scope: 'openid email profile', state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256', ...params,
  });
  const r = await fetch(`${srv.url}/sandbox/oauth2/authorize?${q}`, { redirect: 'manual' });
  assert.equal(r.status, 303, await r.text());
  const login = new URL(r.headers.get('location'));
  assert.equal(login.pathname, '/sandbox/login');
  return login.searchParams.get('request');
}
// The journey ends at the demo application's redirect_uri with a code, state and iss.
function assertAtClient(url) {
  const u = new URL(url);
  assert.equal(`${u.origin}${u.pathname}`, demo.redirect_uri);
  assert.ok(u.searchParams.get('code'), url);
  assert.equal(u.searchParams.get('iss'), `${srv.url}/sandbox`);
}

before(async () => {
  await dns.restart();
  dir = tempDir();
  flags = ['--data-dir', dir, '--log-level', 'warn', ...storeFlags];
  demo = JSON.parse(cli(['seed-demo', ...flags]));
  cli(['env', 'create', 'production', ...flags]);
  prodKey = JSON.parse(cli(['apikey', 'create', '--env', 'production', '--name', 'prod', ...flags])).secret;
  srv = await startServer({
    dataDir: dir,
    store: STORE,
    env: { GATEHOUSE_DNS_NAMESERVER: dns.address },
  });
});

after(async () => {
  await srv?.stop();
  await dns.stop();
  cleanup(dir);
});

let org, conn;
const domain = 'login-acme.example';

test('an organization with a verified domain and an active test connection, through the API', async () => {
  org = (await call('POST', '/organizations', { body: { name: 'Acme', slug: 'acme-login' } })).body;
  const claimed = await call('POST', `/organizations/${org.id}/domains`, { body: { domain } });
  assert.equal(claimed.status, 201);
  await dns.set(claimed.body.verification.name, claimed.body.verification.value);
  const verified = await call('POST', `/organizations/${org.id}/domains/${domain}/verify`);
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.equal(verified.body.state, 'verified');

  const created = await call('POST', `/organizations/${org.id}/connections`, {
    body: { type: 'test', name: 'Acme test IdP', domains: [domain, 'Other.Example'], acr_mapping: { password: 'urn:acr:pwd', mfa: 'urn:acr:mfa' } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  conn = created.body;
  assert.equal(conn.type, 'test');
  assert.equal(conn.status, 'draft');
  assert.deepEqual(conn.domains, [domain, 'other.example']);
  assert.deepEqual(conn.settings.acr_levels, ['mfa', 'password']);
  assert.equal(created.headers.get('location'), `/api/v1/environments/sandbox/organizations/${org.id}/connections/${conn.id}`);

  const got = await call('GET', `/organizations/${org.id}/connections/${conn.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('etag'), '"v1"');
  const list = await call('GET', `/organizations/${org.id}/connections`);
  assert.deepEqual(list.body.data.map((c) => c.id), [conn.id]);

  const noMatch = await call('PATCH', `/organizations/${org.id}/connections/${conn.id}`, { body: { domains: [domain] } });
  assert.equal(noMatch.status, 428);
  const patched = await call('PATCH', `/organizations/${org.id}/connections/${conn.id}`, { body: { domains: [domain] }, headers: { 'If-Match': '"v1"' } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.equal(patched.body.version, 2);
  const stale = await call('PATCH', `/organizations/${org.id}/connections/${conn.id}`, { body: { name: 'x' }, headers: { 'If-Match': '"v1"' } });
  assert.equal(stale.status, 412);
  const bad = await call('POST', `/organizations/${org.id}/connections`, { body: { type: 'test', name: 'B', domains: ['not a domain'] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'connection.invalid');
  assert.equal(bad.body.field, 'domains');
  const unknownType = await call('POST', `/organizations/${org.id}/connections`, { body: { type: 'ldap', name: 'L' } });
  assert.equal(unknownType.body.code, 'connection.type_unsupported');

  const active = await call('POST', `/organizations/${org.id}/connections/${conn.id}/activate`);
  assert.equal(active.status, 200);
  assert.equal(active.body.status, 'active');
  assert.equal((await call('POST', `/organizations/${org.id}/connections/${conn.id}/activate`)).body.code, 'connection.invalid_transition');
});

test('another organization sees 404 for the connection; the test IdP is refused outside sandbox', async () => {
  const other = await call('GET', `/organizations/${demo.organization_id}/connections/${conn.id}`);
  assert.equal(other.status, 404);
  assert.equal(other.body.code, 'connection.not_found');
  const del = await call('DELETE', `/organizations/${demo.organization_id}/connections/${conn.id}`);
  assert.equal(del.status, 404);
  const orgKey = JSON.parse(cli(['apikey', 'create', '--name', 'org', '--role', 'organization', '--org', demo.organization_id, ...flags])).secret;
  const scoped = await call('GET', `/organizations/${org.id}/connections`, { key: orgKey });
  assert.equal(scoped.status, 404);

  const prodOrg = (await call('POST', '/organizations', { key: prodKey, env: 'production', body: { name: 'Acme', slug: 'acme' } })).body;
  const refused = await call('POST', `/organizations/${prodOrg.id}/connections`, { key: prodKey, env: 'production', body: { type: 'test', name: 'T' } });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'connection.sandbox_only');
});

test('hosted login: email page, discovery, the test IdP form, the session cookie, back to resume_url', async () => {
  const jar = new CookieJar();
  const id = await pendingRequest();
  const page = await fetch(`${srv.url}/sandbox/login?request=${id}`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'/);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  const html = await page.text();
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<label for="email">/);
  assert.match(html, /Sign in to Demo app/);

  const done = await signInWithTestIdp(`${srv.url}/sandbox/login?request=${id}`, {
    email: `jane@${domain}`, name: 'Jane Doe', groups: ['eng', 'admins'], acr: 'mfa', amr: ['pwd', 'otp'],
  }, jar);
  assertAtClient(done);
  assert.match(jar.get('gh_session_sandbox'), /^gh_ss_/);
  const line = jar.lines.find((l) => l.startsWith('gh_session_sandbox='));
  assert.match(line, /; Path=\/sandbox\/; HttpOnly; SameSite=Lax/);
  assert.doesNotMatch(line, /Secure/);  // public_url is http on loopback
  assert.ok(!jar.cookies.some((c) => c.name.startsWith('gh_login_sandbox_')), 'the binding is cleared');

  const trace = await call('GET', `/organizations/${org.id}/login-traces/${id}`);
  assert.equal(trace.status, 200, JSON.stringify(trace.body));
  assert.equal(trace.body.error, null);
  assert.equal(trace.body.connection_id, conn.id);
  const steps = trace.body.steps.map((s) => s.step);
  assert.deepEqual(steps.slice(0, 4), ['discovery', 'start', 'testidp.redirect', 'callback']);
  const callback = trace.body.steps.find((s) => s.step === 'testidp.callback');
  assert.equal(callback.message.state, '[redacted]');
  assert.equal(callback.message.email, `jane@${domain}`);
  const checks = trace.body.steps.flatMap((s) => s.checks);
  for (const code of ['login.state_invalid', 'login.browser_mismatch', 'login.transaction_used', 'login.domain_not_allowed', 'identity.resolve', 'sessions.start']) {
    assert.ok(checks.some((c) => c.code === code && c.passed), `${code} passed: ${JSON.stringify(checks)}`);
  }
  const identity = trace.body.steps.find((s) => s.step === 'testidp.identity').message;
  assert.equal(identity.acr, 'urn:acr:mfa');
  assert.deepEqual(identity.amr, ['pwd', 'otp']);
  assert.deepEqual(identity.attributes.groups, ['eng', 'admins']);

  assert.equal((await call('GET', `/organizations/${demo.organization_id}/login-traces/${id}`)).status, 404);
});

test('a login_hint skips the email page; a replayed callback is refused', async () => {
  const jar = new CookieJar();
  const start = await fetch(`${srv.url}/sandbox/login?request=${await pendingRequest({ login_hint: `pat@${domain}` })}`, { redirect: 'manual' });
  assert.equal(start.status, 303);
  jar.store(srv.url, start);
  const formUrl = new URL(start.headers.get('location'));
  assert.equal(formUrl.pathname, `/sandbox/login/testidp/${conn.id}`);
  const formPage = await fetch(formUrl, { headers: { Cookie: jar.header(formUrl.toString()) } });
  const form = parseForm(await formPage.text());
  assert.equal(form.inputs.find((i) => i.name === 'email').value, `pat@${domain}`);
  const body = new URLSearchParams({ state: form.inputs.find((i) => i.name === 'state').value, email: `pat@${domain}`, acr: 'password' });
  const post = () => fetch(form.action, {
    method: 'POST', redirect: 'manual', body: body.toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(form.action) },
  });
  const first = await post();
  assert.equal(first.status, 303);
  const replay = await post();
  assert.equal(replay.status, 409);
  assert.match(await replay.text(), /login\.transaction_used/);

  // Tampered state.
  const tampered = new URLSearchParams(body);
  tampered.set('state', 'x' + body.get('state').slice(1));
  const forged = await fetch(form.action, { method: 'POST', redirect: 'manual', body: tampered.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(form.action) } });
  assert.equal(forged.status, 400);
});

test('test connection: every check reported, no session', async () => {
  const started = await call('POST', `/organizations/${org.id}/connections/${conn.id}/test`);
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const jar = new CookieJar();
  const r1 = await fetch(started.body.url, { redirect: 'manual' });
  assert.equal(r1.status, 303);
  jar.store(started.body.url, r1);
  const formUrl = new URL(r1.headers.get('location'), started.body.url).toString();
  const form = parseForm(await (await fetch(formUrl)).text());
  const result = await fetch(form.action, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(form.action) },
    body: new URLSearchParams({ state: form.inputs.find((i) => i.name === 'state').value, email: 'eve@elsewhere.example', acr: 'mfa' }).toString(),
  });
  const html = await result.text();
  assert.equal(result.status, 403);
  assert.match(html, /Connection test: <span class="fail">failed<\/span>/);
  assert.match(html, /login\.domain_not_allowed/);
  assert.ok(!result.headers.getSetCookie().some((c) => c.startsWith('gh_session_')));
  const trace = await call('GET', `/organizations/${org.id}/login-traces/${started.body.request_id}`);
  assert.equal(trace.body.test_mode, true);
  assert.equal(trace.body.error, 'login.domain_not_allowed');
});

test('seed-demo: anyone@example.test signs in through the demo test IdP', async () => {
  assert.equal(demo.login.login_hint, 'anyone@example.test');
  const jar = new CookieJar();
  const done = await signInWithTestIdp(`${srv.url}/sandbox/login?request=${await pendingRequest()}`,
    { email: 'anyone@example.test' }, jar);
  assertAtClient(done);
  assert.ok(jar.get('gh_session_sandbox'));
  await assert.rejects(
    signInWithTestIdp(`${srv.url}/sandbox/login?request=${await pendingRequest()}`, { email: 'someone@unverified.example' }, new CookieJar()),
    (e) => e.code === 'login.no_organization');
});
