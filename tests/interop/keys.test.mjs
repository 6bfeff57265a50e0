// Signing keys end to end against npm `jose` (an independent JOSE implementation): tokens the
// gatehouse binary signs with its stored, sealed keys verify with jose against the server's
// JWKS for every algorithm; the organization issuer is separate; rotation keeps old tokens
// verifying; revocation removes the key from the JWKS; admin API isolation answers 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { cleanup, cli, startServer, tempDir } from '../integration/lib.mjs';

let dir, srv, demo, api;
const json = { 'Content-Type': 'application/json' };

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

function sign(args) {
  return cli(['keys', 'sign', '--data-dir', dir, '--log-level', 'warn',
    '--public-url', srv.url, ...args]).trim();
}

// A fresh JWKS each time (no cross-test caching), as a relying party after a refresh.
function jwks(path) {
  return jose.createRemoteJWKSet(new URL(`${srv.url}${path}`), { cacheMaxAge: 0, cooldownDuration: 0 });
}

before(async () => {
  dir = tempDir();
  demo = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn']));
  srv = await startServer({ dataDir: dir });
  api = `${srv.url}/api/v1/environments/sandbox`;
});
after(async () => {
  await srv.stop();
  cleanup(dir);
});

test('the JWKS is public, cacheable and never carries private members', async () => {
  const r = await fetch(`${srv.url}/sandbox/.well-known/jwks.json`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('cache-control'), /^public, max-age=\d+$/);
  const body = await r.json();
  assert.ok(body.keys.length >= 1);
  for (const k of body.keys) {
    assert.ok(k.kid && k.alg && k.use === 'sig');
    for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[p], undefined);
  }
  assert.ok(body.keys.some((k) => k.alg === 'RS256'));
  const missing = await fetch(`${srv.url}/no-such-env/.well-known/jwks.json`);
  assert.equal(missing.status, 404);
});

test('tokens signed with every algorithm verify with jose against the JWKS', async () => {
  const s = await call('GET', '/key-settings');
  assert.equal(s.status, 200);
  const patched = await call('PATCH', '/key-settings', {
    body: { algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
    headers: { 'If-Match': s.headers.get('etag') },
  });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  const set = jwks('/sandbox/.well-known/jwks.json');
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
    const token = sign(['--alg', alg, '--claims', JSON.stringify({ sub: `user-${alg}` })]);
    const { payload, protectedHeader } = await jose.jwtVerify(token, set, {
      issuer: `${srv.url}/sandbox`, algorithms: [alg],
    });
    assert.equal(protectedHeader.alg, alg);
    assert.equal(payload.sub, `user-${alg}`);
  }
  // Bad settings are refused with a stable code and change nothing.
  const bad = await call('PATCH', '/key-settings', {
    body: { algorithms: ['HS256'] }, headers: { 'If-Match': patched.headers.get('etag') },
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'key.settings_invalid');
  assert.equal(bad.body.field ?? bad.body.extra?.field ?? 'algorithms', 'algorithms');
  const stale = await call('PATCH', '/key-settings', { body: { rsa_bits: 3072 }, headers: { 'If-Match': '"v0"' } });
  assert.equal(stale.status, 412);
});

test('rotation keeps old tokens verifying; revocation removes the key from the JWKS', async () => {
  const before = sign(['--alg', 'ES256']);
  const oldKid = jose.decodeProtectedHeader(before).kid;
  const rotated = await call('POST', '/keys/rotate', { body: { alg: 'ES256' } });
  assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
  assert.notEqual(rotated.body.kid, oldKid);
  const set = jwks('/sandbox/.well-known/jwks.json');
  await jose.jwtVerify(before, set, { issuer: `${srv.url}/sandbox` });  // retired, published
  const after = sign(['--alg', 'ES256']);
  assert.equal(jose.decodeProtectedHeader(after).kid, rotated.body.kid);
  const listed = await call('GET', '/keys');
  assert.equal(listed.body.data.find((k) => k.kid === oldKid).state, 'retired');
  const revoked = await call('POST', `/keys/${oldKid}/revoke`);
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.state, 'revoked');
  await assert.rejects(jose.jwtVerify(before, jwks('/sandbox/.well-known/jwks.json')),
    (e) => e.code === 'ERR_JWKS_NO_MATCHING_KEY');
  const again = await call('POST', `/keys/${oldKid}/revoke`);
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'key.already_revoked');
  const unknown = await call('POST', '/keys/not-a-kid/revoke');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, 'key.not_found');
  // The same through the CLI (actor "cli" on the audit trail).
  const cliArgs = ['--data-dir', dir, '--log-level', 'warn', '--public-url', srv.url];
  const cliRotated = JSON.parse(cli(['keys', 'rotate', '--alg', 'EdDSA', ...cliArgs]));
  assert.equal(cliRotated.alg, 'EdDSA');
  assert.equal(cliRotated.state, 'active');
  const cliRevoked = JSON.parse(cli(['keys', 'revoke', cliRotated.kid, ...cliArgs]));
  assert.equal(cliRevoked.state, 'revoked');
  const cliList = JSON.parse(cli(['keys', 'list', ...cliArgs]));
  assert.equal(cliList.issuer, `${srv.url}/sandbox`);
  assert.equal(cliList.data.find((k) => k.kid === cliRotated.kid).state, 'revoked');
  assert.ok(cliList.data.some((k) => k.alg === 'EdDSA' && k.state === 'active'));  // replaced
  // Audited.
  const audit = await call('GET', '/audit?limit=100');
  const actions = audit.body.data.map((a) => a.action);
  for (const a of ['key.created', 'key.retired', 'key.revoked', 'key_settings.updated']) {
    assert.ok(actions.includes(a), `${a} in ${actions}`);
  }
  assert.ok(audit.body.data.some((a) => a.action === 'key.revoked' && a.actor.type === 'cli'));
});

test('an organization issuer has its own keys; other tenants get 404', async () => {
  const org = demo.organization_id;
  const none = await fetch(`${srv.url}/sandbox/o/${org}/.well-known/jwks.json`);
  assert.equal(none.status, 404);
  assert.equal((await none.json()).code, 'key.issuer_not_found');
  const s = await call('PATCH', `/organizations/${org}/key-settings`, {
    body: { own_issuer: true, algorithms: ['ES256'], default_alg: 'ES256' }, headers: { 'If-Match': '"v0"' },
  });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.issuer, `${srv.url}/sandbox/o/${org}`);
  const token = sign(['--org', org]);
  const { protectedHeader } = await jose.jwtVerify(token, jwks(`/sandbox/o/${org}/.well-known/jwks.json`), {
    issuer: `${srv.url}/sandbox/o/${org}`,
  });
  assert.equal(protectedHeader.alg, 'ES256');
  // The environment's JWKS does not verify the organization's tokens, nor the reverse.
  await assert.rejects(jose.jwtVerify(token, jwks('/sandbox/.well-known/jwks.json')),
    (e) => e.code === 'ERR_JWKS_NO_MATCHING_KEY');
  await assert.rejects(jose.jwtVerify(sign([]), jwks(`/sandbox/o/${org}/.well-known/jwks.json`)),
    (e) => e.code === 'ERR_JWKS_NO_MATCHING_KEY');
  // Another organization, and an organization-scoped key of the demo organization.
  const other = await call('POST', '/organizations', { body: { name: 'Initech', slug: 'initech' } });
  assert.equal(other.status, 201);
  const orgKey = await call('POST', `/organizations/${org}/api-keys`, { body: { name: 'acme tooling' } });
  assert.equal(orgKey.status, 201, JSON.stringify(orgKey.body));
  const key = orgKey.body.secret;
  const own = await call('GET', `/organizations/${org}/keys`, { key });
  assert.equal(own.status, 200);
  assert.ok(own.body.data.length >= 2);
  for (const path of [`/organizations/${other.body.id}/keys`, `/organizations/${other.body.id}/key-settings`,
    `/organizations/${other.body.id}/kek`]) {
    const r = await call('GET', path, { key });
    assert.equal(r.status, 404, path);
  }
  const kid = own.body.data[0].kid;
  const cross = await call('POST', `/organizations/${other.body.id}/keys/${kid}/revoke`);
  assert.equal(cross.status, 404);
  const envRevoke = await call('POST', `/keys/${kid}/revoke`);
  assert.equal(envRevoke.status, 404);
  // The environment's keys are not the organization key's business.
  const envKeys = await call('GET', '/keys', { key });
  assert.equal(envKeys.status, 403);
  // The KEK status: the master key, working.
  const kek = await call('GET', `/organizations/${org}/kek`, { key });
  assert.equal(kek.status, 200);
  assert.equal(kek.body.provider, 'local');
  assert.equal(kek.body.status, 'available');
  const evil = await call('PUT', `/organizations/${org}/kek`, {
    key, body: { provider: 'pkcs11', module: '/tmp/evil.so', token_label: 't', key_label: 'k', pin: '1234' },
  });
  assert.equal(evil.status, 400);
  assert.equal(evil.body.code, 'crypto.kek_module_not_allowed');
});
