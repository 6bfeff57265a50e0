// The tenancy admin API end to end: organizations, API keys and their scopes, policies, audit,
// rate limits, and every kind of bad input (each its own code, changing nothing).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, cli, startServer, tempDir } from './lib.mjs';

let dir, srv, demo, base;
const auth = (key) => ({ Authorization: `Bearer ${key}` });
const json = { 'Content-Type': 'application/json' };

async function call(method, path, { key = demo.admin_api_key, body, headers = {}, raw } = {}) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? auth(key) : {}), ...(body !== undefined || raw !== undefined ? json : {}), ...headers },
    body: raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed, headers: r.headers };
}

async function orgCount() {
  const r = await call('GET', '/organizations?limit=100');
  return r.body.data.length;
}

before(async () => {
  dir = tempDir();
  demo = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn']));
  srv = await startServer({ dataDir: dir, env: { GATEHOUSE_RATE_LIMIT_ADMIN_PER_S: '20', GATEHOUSE_RATE_LIMIT_ADMIN_BURST: '40' } });
  base = `${srv.url}/api/v1/environments/sandbox`;
});
after(async () => {
  await srv.stop();
  cleanup(dir);
});

test('seed-demo prints an admin key and a demo organization, created once', () => {
  assert.match(demo.admin_api_key, /^gh_ak_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
  assert.match(demo.organization_id, /^[0-9a-f-]{36}$/);
  const again = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn']));
  assert.equal(again.admin_api_key, demo.admin_api_key);
  assert.equal(again.organization_id, demo.organization_id);
});

test('organizations: create, read, list with cursor, update with If-Match, delete, restore', async () => {
  const created = await call('POST', '/organizations', { body: { name: 'Acme', slug: 'acme', metadata: { tier: 'gold' } } });
  assert.equal(created.status, 201);
  assert.match(created.body.id, /^[0-9a-f-]{36}$/);
  assert.equal(created.headers.get('etag'), '"v1"');
  const id = created.body.id;

  const got = await call('GET', `/organizations/${id}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.metadata.tier, 'gold');

  for (let i = 0; i < 5; i++) await call('POST', '/organizations', { body: { name: `P${i}`, slug: `page-${i}` } });
  const seen = [];
  let after = '';
  for (;;) {
    const page = await call('GET', `/organizations?limit=2${after ? `&after=${after}` : ''}`);
    assert.equal(page.status, 200);
    seen.push(...page.body.data.map((o) => o.slug));
    if (!page.body.next_cursor) break;
    after = page.body.next_cursor;
  }
  assert.equal(new Set(seen).size, seen.length);
  assert.ok(seen.includes('acme') && seen.includes('page-4') && seen.includes('demo'));

  let r = await call('PATCH', `/organizations/${id}`, { body: { name: 'Acme Inc' } });
  assert.equal(r.status, 428);
  assert.equal(r.body.code, 'request.precondition_required');
  r = await call('PATCH', `/organizations/${id}`, { body: { name: 'Acme Inc' }, headers: { 'If-Match': '"v7"' } });
  assert.equal(r.status, 412);
  assert.equal(r.body.code, 'request.precondition_failed');
  r = await call('PATCH', `/organizations/${id}`, { body: { name: 'Acme Inc' }, headers: { 'If-Match': '"v1"' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.name, 'Acme Inc');
  assert.equal(r.headers.get('etag'), '"v2"');

  r = await call('POST', '/organizations', { body: { name: 'Dup', slug: 'acme' } });
  assert.equal(r.status, 409);
  assert.equal(r.body.code, 'tenant.slug_taken');

  r = await call('DELETE', `/organizations/${id}`);
  assert.equal(r.status, 200);
  assert.ok(r.body.restorable_until);
  assert.equal((await call('GET', `/organizations/${id}`)).status, 404);
  r = await call('POST', `/organizations/${id}/restore`);
  assert.equal(r.status, 200);
  assert.equal((await call('GET', `/organizations/${id}`)).status, 200);
});

test('bad input: each its own code and status, and nothing changes', async () => {
  const before = await orgCount();
  const cases = [
    [{ raw: '{"name": "x", "slug":' }, 400, 'request.invalid_json'],
    [{ raw: '[1,2]' }, 400, 'request.invalid_json'],
    [{ raw: Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]) }, 400, 'request.invalid_utf8'],
    [{ body: { name: 42, slug: 'x1' } }, 400, 'request.invalid_field'],
    [{ body: { name: 'X', slug: 'x1', color: 'red' } }, 400, 'request.invalid_field'],
    [{ body: { slug: 'x1' } }, 400, 'request.invalid_field'],
    [{ body: { name: 'X', slug: 'Not Valid' } }, 400, 'tenant.invalid_slug'],
    [{ body: { name: 'X', slug: 'x1', metadata: 'no' } }, 400, 'request.invalid_field'],
    [{ body: { name: 'X', slug: 'x1', status: 'gone' } }, 400, 'request.invalid_field'],
    [{ raw: JSON.stringify({ name: 'X', slug: 'x1', metadata: { big: 'a'.repeat(70000) } }) }, 413, 'request.body_too_large'],
  ];
  for (const [opts, status, code] of cases) {
    const r = await call('POST', '/organizations', opts);
    assert.equal(r.status, status, `${code}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.code, code);
    assert.ok(r.body.request_id);
  }
  let r = await fetch(`${base}/organizations`, { method: 'POST', headers: { ...auth(demo.admin_api_key), 'Content-Type': 'text/plain' }, body: '{}' });
  assert.equal(r.status, 415);
  r = await call('GET', '/organizations/00000000-0000-7000-8000-000000000000');
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'tenant.not_found');
  r = await call('GET', '/organizations?limit=0');
  assert.equal(r.body.code, 'request.invalid_parameter');
  r = await fetch(`${srv.url}/api/v1/environments/nowhere/organizations`, { headers: auth(demo.admin_api_key) });
  assert.equal(r.status, 404);
  assert.equal((await r.json()).code, 'environment.not_found');
  assert.equal(await orgCount(), before);
});

test('API keys: missing, malformed, wrong, revoked, expired, read-only and other environment', async () => {
  const path = '/organizations';
  let r = await call('GET', path, { key: null });
  assert.equal(r.status, 401);
  assert.equal(r.body.code, 'auth.missing_credentials');
  assert.match(r.headers.get('www-authenticate'), /Bearer/);
  r = await call('GET', path, { key: 'not-a-key' });
  assert.equal(r.body.code, 'auth.invalid_credentials');
  const forged = demo.admin_api_key.slice(0, -4) + 'AAAA';
  r = await call('GET', path, { key: forged });
  assert.equal(r.status, 401);
  assert.equal(r.body.code, 'auth.invalid_credentials');
  r = await call('GET', path, { key: 'gh_ak_' + '0'.repeat(24) + '_' + 'A'.repeat(43) });
  assert.equal(r.body.code, 'auth.invalid_credentials');

  const ro = await call('POST', '/api-keys', { body: { name: 'dashboards', role: 'read_only' } });
  assert.equal(ro.status, 201);
  assert.match(ro.body.secret, /^gh_ak_/);
  assert.equal((await call('GET', path, { key: ro.body.secret })).status, 200);
  r = await call('POST', path, { key: ro.body.secret, body: { name: 'N', slug: 'nope' } });
  assert.equal(r.status, 403);
  assert.equal(r.body.code, 'auth.forbidden');
  const listed = await call('GET', '/api-keys');
  assert.ok(listed.body.data.every((k) => !('secret' in k) && !('secret_hash' in k)));

  r = await call('DELETE', `/api-keys/${ro.body.id}`);
  assert.equal(r.status, 200);
  r = await call('GET', path, { key: ro.body.secret });
  assert.equal(r.status, 401);
  assert.equal(r.body.code, 'auth.key_revoked');

  const soon = new Date(Date.now() + 2000).toISOString().replace(/\.\d+Z$/, 'Z');
  const exp = await call('POST', '/api-keys', { body: { name: 'short', expires_at: soon } });
  assert.equal(exp.status, 201);
  await new Promise((res) => setTimeout(res, 2600));
  r = await call('GET', path, { key: exp.body.secret });
  assert.equal(r.body.code, 'auth.key_expired');
  r = await call('POST', '/api-keys', { body: { name: 'past', expires_at: '2001-01-01T00:00:00Z' } });
  assert.equal(r.body.code, 'request.invalid_field');

  cli(['env', 'create', 'production', '--data-dir', dir, '--log-level', 'warn']);
  const prodKey = JSON.parse(cli(['apikey', 'create', '--env', 'production', '--name', 'prod', '--data-dir', dir, '--log-level', 'warn'])).secret;
  r = await call('GET', path, { key: prodKey });
  assert.equal(r.status, 403);
  assert.equal(r.body.code, 'auth.forbidden');
  r = await call('GET', `/organizations/${demo.organization_id}`, { key: prodKey });
  assert.equal(r.status, 403);
});

test('an organization key sees only its own organization', async () => {
  const a = (await call('POST', '/organizations', { body: { name: 'Initech', slug: 'initech' } })).body;
  const b = (await call('POST', '/organizations', { body: { name: 'Hooli', slug: 'hooli' } })).body;
  const k = await call('POST', `/organizations/${a.id}/api-keys`, { body: { name: 'initech tooling' } });
  assert.equal(k.status, 201);
  assert.equal(k.body.role, 'organization');
  const key = k.body.secret;
  assert.equal((await call('GET', `/organizations/${a.id}`, { key })).status, 200);
  const etag = (await call('GET', `/organizations/${a.id}`, { key })).headers.get('etag');
  assert.equal((await call('PATCH', `/organizations/${a.id}`, { key, body: { metadata: { x: 1 } }, headers: { 'If-Match': etag } })).status, 200);
  for (const [method, path, body] of [
    ['GET', `/organizations/${b.id}`],
    ['PATCH', `/organizations/${b.id}`, { name: 'pwned' }],
    ['GET', `/organizations/${b.id}/policy`],
    ['PUT', `/organizations/${b.id}/policy`, {}],
    ['GET', `/organizations/${b.id}/api-keys`],
    ['POST', `/organizations/${b.id}/api-keys`, { name: 'x' }],
    ['GET', `/organizations/${b.id}/audit`],
  ]) {
    const r = await call(method, path, { key, body, headers: { 'If-Match': '"v1"' } });
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.body.code, 'tenant.not_found');
  }
  for (const [method, path, body] of [
    ['GET', '/organizations'], ['POST', '/organizations', { name: 'x', slug: 'xx' }], ['GET', '/api-keys'],
    ['DELETE', `/organizations/${a.id}`], ['GET', '/audit'], ['PUT', '/policy', {}],
  ]) {
    const r = await call(method, path, { key, body });
    assert.equal(r.status, 403, `${method} ${path}`);
    assert.equal(r.body.code, 'auth.forbidden');
  }
  assert.equal((await call('GET', `/organizations/${b.id}`)).body.name, 'Hooli');
  // Another organization's key id through this organization's path: not found.
  const bKey = await call('POST', `/organizations/${b.id}/api-keys`, { body: { name: 'hooli' } });
  const r = await call('DELETE', `/organizations/${a.id}/api-keys/${bKey.body.id}`);
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'apikey.not_found');
  assert.equal((await call('GET', '/organizations', { key: bKey.body.secret })).status, 403);
});

test('security policy: typed, versioned, environment defaults beneath, audited with a diff', async () => {
  const org = demo.organization_id;
  let r = await call('GET', `/organizations/${org}/policy`);
  assert.equal(r.status, 200);
  assert.equal(r.body.version, 0);
  assert.equal(r.body.effective.provisioning_mode, 'jit');
  assert.equal(r.headers.get('etag'), '"v0"');

  r = await call('PUT', '/policy', { body: { session: { absolute_lifetime_s: 43200 } }, headers: { 'If-Match': '"v0"' } });
  assert.equal(r.status, 200);
  r = await call('PUT', `/organizations/${org}/policy`, { body: { provisioning_mode: 'directory_only', guest_domains: ['partner.example'] } });
  assert.equal(r.status, 428);
  r = await call('PUT', `/organizations/${org}/policy`, { body: { provisioning_mode: 'sometimes' }, headers: { 'If-Match': '"v0"' } });
  assert.equal(r.status, 400);
  assert.equal(r.body.code, 'policy.invalid');
  assert.equal(r.body.field, 'provisioning_mode');
  r = await call('PUT', `/organizations/${org}/policy`, { body: { session: { idle_lifetime_s: 5 } }, headers: { 'If-Match': '"v0"' } });
  assert.equal(r.body.code, 'policy.invalid');
  r = await call('PUT', `/organizations/${org}/policy`, { body: { provisioning_mode: 'directory_only', guest_domains: ['partner.example'] }, headers: { 'If-Match': '"v0"' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.version, 1);
  assert.equal(r.body.effective.session.absolute_lifetime_s, 43200, 'environment default beneath');
  assert.equal(r.body.effective.provisioning_mode, 'directory_only');
  r = await call('PUT', `/organizations/${org}/policy`, { body: { provisioning_mode: 'jit' }, headers: { 'If-Match': '"v0"' } });
  assert.equal(r.status, 412);

  const audit = await call('GET', `/organizations/${org}/audit`);
  const rec = audit.body.data.filter((a) => a.action === 'policy.updated').pop();
  assert.ok(rec);
  assert.deepEqual(rec.summary.changes.find((c) => c.field === '/provisioning_mode'), { field: '/provisioning_mode', from: null, to: 'directory_only' });
});

test('audit: every mutation through the API, with actor, request id and source ip; failures leave none', async () => {
  const r = await call('POST', '/organizations', { body: { name: 'Audited', slug: 'audited' } });
  const rid = r.headers.get('x-request-id');
  const records = (await call('GET', '/audit?limit=1000')).body.data;
  const rec = records.find((a) => a.request_id === rid);
  assert.ok(rec, 'the audit record carries the request id');
  assert.equal(rec.action, 'organization.created');
  assert.equal(rec.actor.type, 'api_key');
  assert.equal(rec.source_ip, '127.0.0.1');
  assert.equal(rec.target.id, r.body.id);
  const seqs = records.map((a) => a.seq);
  assert.deepEqual([...seqs].sort((x, y) => x - y), seqs);
  const bad = await call('POST', '/organizations', { body: { name: 'Dup', slug: 'audited' } });
  assert.equal(bad.status, 409);
  const after = (await call('GET', '/audit?limit=1000')).body.data;
  assert.ok(!after.some((a) => a.request_id === bad.headers.get('x-request-id')));
  // Secrets never reach the audit trail.
  const k = await call('POST', '/api-keys', { body: { name: 'audit-me' } });
  const text = JSON.stringify((await call('GET', '/audit?limit=1000')).body);
  assert.ok(!text.includes(k.body.secret));
});

test('rate limits: a noisy organization gets 429 and Retry-After, others are not starved', async () => {
  const noisy = (await call('POST', '/organizations', { body: { name: 'Noisy', slug: 'noisy' } })).body;
  const quiet = (await call('POST', '/organizations', { body: { name: 'Quiet', slug: 'quiet' } })).body;
  const noisyKey = (await call('POST', `/organizations/${noisy.id}/api-keys`, { body: { name: 'n' } })).body.secret;
  const quietKey = (await call('POST', `/organizations/${quiet.id}/api-keys`, { body: { name: 'q' } })).body.secret;
  const flood = await Promise.all(Array.from({ length: 120 }, () => call('GET', `/organizations/${noisy.id}`, { key: noisyKey })));
  const limited = flood.filter((r) => r.status === 429);
  assert.ok(limited.length > 0, 'the flood is limited');
  assert.equal(limited[0].body.code, 'tenant.rate_limited');
  assert.ok(Number(limited[0].headers.get('retry-after')) >= 1);
  const calm = await Promise.all(Array.from({ length: 10 }, () => call('GET', `/organizations/${quiet.id}`, { key: quietKey })));
  assert.ok(calm.every((r) => r.status === 200), 'the quiet organization is served');
});

test('CLI: org and apikey commands go through the same audited service', () => {
  const created = JSON.parse(cli(['org', 'create', '--name', 'Via CLI', '--slug', 'via-cli', '--data-dir', dir, '--log-level', 'warn']));
  assert.equal(created.slug, 'via-cli');
  const listed = JSON.parse(cli(['org', 'list', '--data-dir', dir, '--log-level', 'warn']));
  assert.ok(listed.some((o) => o.id === created.id));
  const updated = JSON.parse(cli(['org', 'update', created.id, '--name', 'Via CLI 2', '--data-dir', dir, '--log-level', 'warn']));
  assert.equal(updated.version, 2);
  const key = JSON.parse(cli(['apikey', 'create', '--org', created.id, '--name', 'cli', '--data-dir', dir, '--log-level', 'warn']));
  assert.equal(key.role, 'organization');
  const revoked = JSON.parse(cli(['apikey', 'revoke', key.id, '--org', created.id, '--data-dir', dir, '--log-level', 'warn']));
  assert.equal(revoked.status, 'revoked');
  assert.equal(JSON.parse(cli(['org', 'delete', created.id, '--data-dir', dir, '--log-level', 'warn'])).slug, 'via-cli');
  assert.equal(JSON.parse(cli(['org', 'restore', created.id, '--data-dir', dir, '--log-level', 'warn'])).slug, 'via-cli');
});
