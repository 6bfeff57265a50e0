// The OIDC provider's back channel against npm `openid-client` (an OpenID-certified relying
// party) and `jose`: discovery, client_credentials, introspection, revocation, UserInfo refusing
// a token without a user, and every token verified against our JWKS. Also the applications
// admin API (secrets shown once, rotation, organization isolation) and the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import * as client from 'openid-client';
import { cleanup, cli, cliFails, freePort, startServer, tempDir } from '../integration/lib.mjs';

let dir, srv, demo, api, issuer, config;
const json = { 'Content-Type': 'application/json' };
const RESOURCE = 'https://api.example.test';

async function call(method, path, { key = demo.admin_api_key, body, headers = {} } = {}) {
  const r = await fetch(`${api}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? json : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed, headers: r.headers };
}

async function discover(clientId, secret) {
  return client.discovery(new URL(issuer), clientId, undefined,
    client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
}

const isBasicChallenge = (e) => e instanceof client.WWWAuthenticateChallengeError &&
  e.response?.status === 401 && e.cause?.[0]?.scheme === 'basic';

const jwks = () => jose.createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));

before(async () => {
  dir = tempDir();
  const port = await freePort();
  demo = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn',
    '--public-url', `http://127.0.0.1:${port}`]));
  srv = await startServer({ dataDir: dir, port });
  api = `${srv.url}/api/v1/environments/sandbox`;
  issuer = `${srv.url}/sandbox`;
  config = await discover(demo.client_id, demo.client_secret);
});
after(async () => {
  await srv.stop();
  cleanup(dir);
});

test('seed-demo prints the demo application', () => {
  assert.match(demo.client_id, /^gh_app_[a-z2-7]+$/);
  assert.match(demo.client_secret, /^gh_cs_/);
  assert.equal(demo.redirect_uri, 'http://127.0.0.1:3000/callback');
  // Idempotent: the same application and secret on a second run.
  const again = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn',
    '--public-url', srv.url]));
  assert.equal(again.client_id, demo.client_id);
  assert.equal(again.client_secret, demo.client_secret);
});

test('discovery is what openid-client needs, and truthful', async () => {
  const m = config.serverMetadata();
  assert.equal(m.issuer, issuer);
  assert.equal(m.token_endpoint, `${issuer}/oauth2/token`);
  assert.equal(m.jwks_uri, `${issuer}/.well-known/jwks.json`);
  assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(m.response_types_supported, ['code']);
  assert.equal(m.authorization_response_iss_parameter_supported, true);
  assert.ok(m.grant_types_supported.includes('client_credentials'));
  assert.ok(m.id_token_signing_alg_values_supported.includes('RS256'));
  assert.ok(m.scopes_supported.includes('invoices:read'));
  assert.ok(m.claims_supported.includes('sub'));
  const keys = await (await fetch(m.jwks_uri)).json();
  for (const alg of m.id_token_signing_alg_values_supported) {
    assert.ok(keys.keys.some((k) => k.alg === alg), `a ${alg} key is published`);
  }
});

test('client_credentials: an RFC 9068 token that jose verifies against our JWKS', async () => {
  const t = await client.clientCredentialsGrant(config, { resource: RESOURCE, scope: 'invoices:read' });
  assert.equal(t.token_type.toLowerCase(), 'bearer');
  assert.equal(t.scope, 'invoices:read');
  const { payload, protectedHeader } = await jose.jwtVerify(t.access_token, jwks(), {
    issuer, audience: RESOURCE, typ: 'at+jwt',
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(payload.client_id, demo.client_id);
  assert.equal(payload.sub, demo.client_id);
  assert.deepEqual(payload.permissions, ['invoices:read']);
  assert.ok(payload.jti && payload.exp - payload.iat === 300);
  await assert.rejects(client.clientCredentialsGrant(config, { resource: RESOURCE, scope: 'admin' }),
    (e) => e.error === 'invalid_scope');
  await assert.rejects(client.clientCredentialsGrant(config, { resource: 'https://nope.example' }),
    (e) => e.error === 'invalid_target');
});

test('bad client authentication is invalid_client with a Basic challenge', async () => {
  const bad = await discover(demo.client_id, 'gh_cs_wrong_secret');
  // openid-client surfaces the 401 as the Basic challenge it carries.
  await assert.rejects(client.clientCredentialsGrant(bad, { resource: RESOURCE }), isBasicChallenge);
  const r = await fetch(`${issuer}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${demo.client_id}:nope`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate'), /^Basic/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

test('introspection and revocation', async () => {
  const t = await client.clientCredentialsGrant(config, { resource: RESOURCE });
  const active = await client.tokenIntrospection(config, t.access_token);
  assert.equal(active.active, true);
  assert.equal(active.client_id, demo.client_id);
  assert.equal(active.aud, RESOURCE);
  assert.equal(active.token_type, 'access_token');
  assert.equal(active.scope, 'invoices:read invoices:write');
  assert.equal((await client.tokenIntrospection(config, 'garbage')).active, false);
  await client.tokenRevocation(config, t.access_token);
  assert.equal((await client.tokenIntrospection(config, t.access_token)).active, false);
  await client.tokenRevocation(config, 'unknown-token');  // 200 for unknown tokens
});

test('UserInfo refuses a client_credentials token (it has no user)', async () => {
  const t = await client.clientCredentialsGrant(config, { resource: RESOURCE });
  await assert.rejects(client.fetchUserInfo(config, t.access_token, client.skipSubjectCheck),
    (e) => e.status === 401 || e.cause?.status === 401 || /invalid_token/.test(String(e.message) + JSON.stringify(e.cause ?? {})));
});

test('applications admin API: secrets once, rotation, grants, isolation', async () => {
  const res = await call('POST', '/resources', {
    body: { identifier: 'https://billing.example.test', permissions: ['bill:read', 'bill:write'] },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const created = await call('POST', '/applications', {
    body: { name: 'billing worker', grant_types: ['client_credentials'] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.match(created.body.client_secret, /^gh_cs_/);
  assert.equal(created.headers.get('cache-control'), 'no-store');
  const app = created.body;
  const got = await call('GET', `/applications/${app.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.client_secret, undefined);
  const grant = await call('PUT', `/applications/${app.id}/grants/${res.body.id}`,
    { body: { permissions: ['bill:read'] } });
  assert.equal(grant.status, 200, JSON.stringify(grant.body));
  const undefinedPerm = await call('PUT', `/applications/${app.id}/grants/${res.body.id}`,
    { body: { permissions: ['bill:delete'] } });
  assert.equal(undefinedPerm.status, 400);
  assert.equal(undefinedPerm.body.code, 'grant.invalid');

  const worker = await discover(app.client_id, app.client_secret);
  const t = await client.clientCredentialsGrant(worker, {});
  const { payload } = await jose.jwtVerify(t.access_token, jwks(), { issuer, audience: 'https://billing.example.test' });
  assert.deepEqual(payload.permissions, ['bill:read']);

  // Rotation: a second secret, then the first revoked.
  const second = await call('POST', `/applications/${app.id}/secrets`, { body: { expires_in_s: 3600 } });
  assert.equal(second.status, 201);
  const listed = await call('GET', `/applications/${app.id}/secrets`);
  assert.equal(listed.body.data.length, 2);
  assert.ok(listed.body.data.every((s) => s.client_secret === undefined));
  const first = listed.body.data.find((s) => s.id !== second.body.id);
  assert.equal((await call('POST', `/applications/${app.id}/secrets/${first.id}/revoke`)).status, 200);
  await assert.rejects(client.clientCredentialsGrant(worker, {}), isBasicChallenge);
  const rotated = await discover(app.client_id, second.body.client_secret);
  assert.ok((await client.clientCredentialsGrant(rotated, {})).access_token);

  // PATCH needs If-Match; validation names the field.
  assert.equal((await call('PATCH', `/applications/${app.id}`, { body: { name: 'x' } })).status, 428);
  const bad = await call('PATCH', `/applications/${app.id}`, {
    body: { redirect_uris: ['http://evil.example/cb'] }, headers: { 'If-Match': got.headers.get('etag') },
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'application.invalid');
  const renamed = await call('PATCH', `/applications/${app.id}`, {
    body: { name: 'renamed' }, headers: { 'If-Match': got.headers.get('etag') },
  });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  assert.equal(renamed.body.name, 'renamed');
});

test('organization machine clients: org_id in tokens, 404 across organizations', async () => {
  const mkorg = async (slug) => (await call('POST', '/organizations', { body: { name: slug, slug } })).body;
  const a = await mkorg('oauth-a');
  const b = await mkorg('oauth-b');
  const m = await call('POST', `/organizations/${a.id}/applications`, { body: { name: 'a m2m' } });
  assert.equal(m.status, 201, JSON.stringify(m.body));
  assert.deepEqual(m.body.grant_types, ['client_credentials']);
  const resources = await call('GET', '/resources');
  const demoApi = resources.body.data.find((r) => r.identifier === RESOURCE);
  assert.equal((await call('PUT', `/organizations/${a.id}/applications/${m.body.id}/grants/${demoApi.id}`,
    { body: { permissions: ['invoices:read'] } })).status, 200);
  const cfg = await discover(m.body.client_id, m.body.client_secret);
  const t = await client.clientCredentialsGrant(cfg, { resource: RESOURCE });
  const { payload } = await jose.jwtVerify(t.access_token, jwks(), { issuer, audience: RESOURCE });
  assert.equal(payload.org_id, a.id);
  // Another organization, the environment level: not found.
  for (const path of [`/organizations/${b.id}/applications/${m.body.id}`, `/applications/${m.body.id}`]) {
    const r = await call('GET', path);
    assert.equal(r.status, 404, path);
    assert.equal(r.body.code, 'application.not_found');
  }
  // The machine client introspects only its organization's tokens.
  const demoToken = await client.clientCredentialsGrant(config, { resource: RESOURCE });
  assert.equal((await client.tokenIntrospection(cfg, demoToken.access_token)).active, false);
  assert.equal((await client.tokenIntrospection(cfg, t.access_token)).active, true);
});

test('another environment does not know this environment\'s clients', async () => {
  const r = await fetch(`${srv.url}/no-such-env/oauth2/token`, { method: 'POST' });
  assert.equal(r.status, 404);
});

test('CLI: app and resource commands', () => {
  const base = ['--data-dir', dir, '--log-level', 'warn'];
  const res = JSON.parse(cli(['resource', 'create', ...base, '--identifier', 'urn:cli:api',
    '--permission', 'cli:read']));
  assert.equal(res.identifier, 'urn:cli:api');
  const app = JSON.parse(cli(['app', 'create', ...base, '--name', 'cli app',
    '--grant-type', 'client_credentials']));
  assert.match(app.client_secret, /^gh_cs_/);
  const g = JSON.parse(cli(['app', 'grant', ...base, app.id, res.id, '--permission', 'cli:read']));
  assert.deepEqual(g.permissions, ['cli:read']);
  const secrets = JSON.parse(cli(['app', 'secret', 'list', ...base, app.id]));
  assert.equal(secrets.data.length, 1);
  assert.ok(!JSON.stringify(secrets).includes(app.client_secret));
  cliFails(['app', 'create', ...base, '--name', 'bad', '--redirect-uri', 'http://evil.example/cb']);
});

// Issue 4: revoking a signing key ends its tokens for resource servers that introspect: the
// verified-token cache forgets the key within its TTL, and the revoked key is no longer
// published, so a token it signed is inactive.
test('a token signed by a revoked key is inactive at introspection', async () => {
  const t = await client.clientCredentialsGrant(config, { resource: RESOURCE });
  assert.equal((await client.tokenIntrospection(config, t.access_token)).active, true);
  const kid = jose.decodeProtectedHeader(t.access_token).kid;
  const { alg } = jose.decodeProtectedHeader(t.access_token);
  const rotated = await call('POST', '/keys/rotate', { body: { alg } });
  assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
  const revoked = await call('POST', `/keys/${kid}/revoke`);
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
  // Key sets are cached for a few seconds on each node; the verdict must change within that.
  const deadline = Date.now() + 15_000;
  let active = true;
  while (active && Date.now() < deadline) {
    active = (await client.tokenIntrospection(config, t.access_token)).active;
    if (active) await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(active, false, 'a revoked key\'s token is still active after 15 s');
  // Tokens from the new key are fine.
  const fresh = await client.clientCredentialsGrant(config, { resource: RESOURCE });
  assert.notEqual(jose.decodeProtectedHeader(fresh.access_token).kid, kid);
  assert.equal((await client.tokenIntrospection(config, fresh.access_token)).active, true);
});
