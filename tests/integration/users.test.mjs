// Users, identity bindings and sessions through the admin API and the CLI, end to end on the
// real binary (SQLite). Users and sessions are written straight into the store first (hosted
// login, which creates them, is another module's): reads with their bindings, paging, explicit
// re-binding with its audit record, session listing and revocation, suspension that revokes
// every session, and cross-tenant probes that answer 404 exactly like unknown ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { cleanup, cli, cliFails, startServer, tempDir } from './lib.mjs';

let dir, srv, demo, flags, db, envId, globex, globexKey, prodKey, prodOrg;
const ids = {};

function sql(query) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', '-json', db, query], { encoding: 'utf8' }).trim();
}
const rows = (query) => JSON.parse(sql(query) || '[]');
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;

function insertUser(org, email, { state = 'active' } = {}) {
  const id = randomUUID();
  const now = Date.now();
  sql(`INSERT INTO users (organization_id, id, environment_id, state, email, email_verified, name, given_name, family_name, attributes, version, created_at, updated_at, last_login_at) VALUES (${q(org)}, ${q(id)}, ${q(envId)}, ${q(state)}, ${q(email)}, 1, 'N', 'G', 'F', '{"department":"R&D"}', 1, ${now}, ${now}, 0)`);
  return id;
}
function insertBinding(org, user, conn, subject) {
  const id = randomUUID();
  sql(`INSERT INTO identity_bindings (organization_id, id, environment_id, user_id, connection_id, issuer, subject, created_at, last_login_at) VALUES (${q(org)}, ${q(id)}, ${q(envId)}, ${q(user)}, ${q(conn)}, 'https://idp.example', ${q(subject)}, ${Date.now()}, 0)`);
  return id;
}
function insertSession(org, user, lookup) {
  const sid = randomUUID();
  const now = Date.now();
  sql(`INSERT INTO sessions (organization_id, sid, environment_id, user_id, connection_id, cookie_lookup, cookie_hash, auth_time, acr, amr, created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, clients) VALUES (${q(org)}, ${q(sid)}, ${q(envId)}, ${q(user)}, 'conn-1', ${q(lookup)}, 'secret-hash-${lookup}', ${now}, 'urn:acr:pwd', '["pwd"]', ${now}, ${now}, ${now + 3600000}, ${now + 7200000}, 0, '', '["app-1"]')`);
  return sid;
}

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

before(async () => {
  dir = tempDir();
  flags = ['--data-dir', dir, '--log-level', 'warn'];
  demo = JSON.parse(cli(['seed-demo', ...flags]));
  cli(['env', 'create', 'production', ...flags]);
  prodKey = JSON.parse(cli(['apikey', 'create', '--env', 'production', '--name', 'prod', ...flags])).secret;
  srv = await startServer({ dataDir: dir });
  db = path.join(dir, 'gatehouse.db');
  envId = rows("SELECT id FROM environments WHERE name = 'sandbox'")[0].id;
  const g = await call('POST', '/organizations', { body: { name: 'Globex', slug: 'globex' } });
  assert.equal(g.status, 201);
  globex = g.body.id;
  globexKey = (await call('POST', `/organizations/${globex}/api-keys`, { body: { name: 'globex' } })).body.secret;
  const p = await call('POST', '/organizations', { key: prodKey, env: 'production', body: { name: 'Prod', slug: 'prod' } });
  assert.equal(p.status, 201);
  prodOrg = p.body.id;

  const org = demo.organization_id;
  ids.alice = insertUser(org, 'alice@example.test');
  ids.bob = insertUser(org, 'bob@example.test');
  ids.carol = insertUser(org, 'carol@example.test');
  ids.gina = insertUser(globex, 'gina@globex.test');
  ids.aliceBinding = insertBinding(org, ids.alice, 'conn-1', 'alice-sub');
  ids.ginaBinding = insertBinding(globex, ids.gina, 'conn-1', 'gina-sub');
  ids.s1 = insertSession(org, ids.alice, 'a'.repeat(24));
  ids.s2 = insertSession(org, ids.alice, 'b'.repeat(24));
  ids.gs = insertSession(globex, ids.gina, 'c'.repeat(24));
});

after(async () => {
  await srv.stop();
  cleanup(dir);
});

test('users: list with cursor paging, read with bindings and ETag', async () => {
  const org = `/organizations/${demo.organization_id}`;
  const seen = [];
  let after = '';
  for (let i = 0; i < 5; i++) {
    const r = await call('GET', `${org}/users?limit=2${after ? `&after=${after}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    seen.push(...r.body.data.map((u) => u.email));
    if (!r.body.next_cursor) break;
    after = r.body.next_cursor;
  }
  assert.deepEqual(seen.sort(), ['alice@example.test', 'bob@example.test', 'carol@example.test']);

  const r = await call('GET', `${org}/users/${ids.alice}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), '"v1"');
  assert.equal(r.body.state, 'active');
  assert.equal(r.body.attributes.department, 'R&D');
  assert.equal(r.body.bindings.length, 1);
  assert.equal(r.body.bindings[0].subject, 'alice-sub');
  assert.equal(r.body.bindings[0].issuer, 'https://idp.example');

  const b = await call('GET', `${org}/users/${ids.alice}/bindings`);
  assert.equal(b.status, 200);
  assert.deepEqual(b.body.data.map((x) => x.id), [ids.aliceBinding]);

  const bad = await call('GET', `${org}/users?limit=0`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'request.invalid_parameter');
});

test('users: other organizations and environments answer 404 like unknown ids', async () => {
  const org = `/organizations/${demo.organization_id}`;
  // The environment key, through the wrong organization.
  for (const p of [`/organizations/${globex}/users/${ids.alice}`, `/organizations/${globex}/users/${ids.alice}/bindings`,
    `/organizations/${globex}/users/${ids.alice}/sessions`, `${org}/users/${ids.gina}`, `${org}/users/${randomUUID()}`]) {
    const r = await call('GET', p);
    assert.equal(r.status, 404, p);
    assert.equal(r.body.code, 'identity.user_not_found', p);
  }
  let r = await call('DELETE', `/organizations/${globex}/users/${ids.alice}/bindings/${ids.aliceBinding}`);
  assert.equal(r.status, 404);
  r = await call('DELETE', `${org}/users/${ids.alice}/bindings/${ids.ginaBinding}`);
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'identity.binding_not_found');
  r = await call('PATCH', `/organizations/${globex}/users/${ids.alice}`, { body: { state: 'suspended' }, headers: { 'If-Match': '"v1"' } });
  assert.equal(r.status, 404);
  r = await call('DELETE', `/organizations/${globex}/sessions/${ids.s1}`);
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'session.not_found');

  // Globex's own key: its users only; the demo organization looks unknown.
  r = await call('GET', `/organizations/${globex}/users`, { key: globexKey });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data.map((u) => u.id), [ids.gina]);
  for (const [m, p] of [['GET', `${org}/users`], ['GET', `${org}/users/${ids.alice}`], ['DELETE', `${org}/sessions/${ids.s1}`],
    ['GET', `${org}/users/${ids.alice}/sessions`]]) {
    r = await call(m, p, { key: globexKey });
    assert.equal(r.status, 404, `${m} ${p}`);
    assert.equal(r.body.code, 'tenant.not_found');
  }

  // Another environment: its key cannot reach sandbox, and sandbox ids mean nothing there.
  r = await call('GET', `${org}/users`, { key: prodKey });
  assert.equal(r.status, 403);
  r = await call('GET', `${org}/users`, { key: prodKey, env: 'production' });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'tenant.not_found');
  r = await call('GET', `/organizations/${prodOrg}/users/${ids.alice}`, { key: prodKey, env: 'production' });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'identity.user_not_found');
  r = await call('DELETE', `/organizations/${prodOrg}/sessions/${ids.s1}`, { key: prodKey, env: 'production' });
  assert.equal(r.status, 404);

  // Nothing changed.
  assert.equal(rows(`SELECT COUNT(*) AS n FROM identity_bindings`)[0].n, 2);
  assert.equal(rows(`SELECT COUNT(*) AS n FROM sessions WHERE revoked_at <> 0`)[0].n, 0);
  assert.equal(rows(`SELECT state FROM users WHERE id = ${q(ids.alice)}`)[0].state, 'active');
});

test('bindings: explicit, audited re-binding', async () => {
  const org = `/organizations/${demo.organization_id}`;
  // Bound to alice: bob cannot take it.
  let r = await call('POST', `${org}/users/${ids.bob}/bindings`, { body: { connection_id: 'conn-1', issuer: 'https://idp.example', subject: 'alice-sub' } });
  assert.equal(r.status, 409);
  assert.equal(r.body.code, 'identity.binding_exists');
  for (const body of [{}, { connection_id: 'c', issuer: 'i' }, { connection_id: '', issuer: 'i', subject: 's' },
    { connection_id: 'c', issuer: 'i', subject: 's', extra: 1 }, { connection_id: 7, issuer: 'i', subject: 's' }]) {
    r = await call('POST', `${org}/users/${ids.bob}/bindings`, { body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.code, 'request.invalid_field');
  }
  r = await call('DELETE', `${org}/users/${ids.alice}/bindings/${ids.aliceBinding}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.subject, 'alice-sub');
  r = await call('DELETE', `${org}/users/${ids.alice}/bindings/${ids.aliceBinding}`);
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'identity.binding_not_found');
  r = await call('POST', `${org}/users/${ids.bob}/bindings`, { body: { connection_id: 'conn-1', issuer: 'https://idp.example', subject: 'alice-sub' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.user_id, ids.bob);
  r = await call('GET', `${org}/users/${ids.bob}`);
  assert.equal(r.body.bindings.length, 1);

  const audit = (await call('GET', `${org}/audit?limit=1000`)).body.data;
  const actions = audit.map((a) => a.action);
  assert.ok(actions.includes('user.binding_removed'));
  assert.ok(actions.includes('user.binding_added'));
  const added = audit.find((a) => a.action === 'user.binding_added');
  assert.equal(added.target.id, ids.bob);
  assert.equal(added.actor.type, 'api_key');
  const events = rows("SELECT type FROM outbox WHERE type LIKE 'user.binding_%' ORDER BY seq").map((e) => e.type);
  assert.deepEqual(events, ['user.binding_removed', 'user.binding_added']);
});

test('sessions: listed without secrets, revoked one by one, and all at suspension', async () => {
  const org = `/organizations/${demo.organization_id}`;
  let r = await call('GET', `${org}/users/${ids.alice}/sessions`);
  assert.equal(r.status, 200);
  assert.equal(r.body.data.length, 2);
  for (const s of r.body.data) {
    assert.equal(s.status, 'active');
    assert.deepEqual(s.clients, ['app-1']);
    assert.ok(!JSON.stringify(s).includes('secret-hash'), 'no cookie hash');
    assert.ok(!('cookie_lookup' in s));
  }
  r = await call('DELETE', `${org}/sessions/${ids.s1}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'revoked');
  assert.equal(r.body.revoked_reason, 'admin');
  r = await call('GET', `${org}/users/${ids.alice}/sessions?status=active`);
  assert.deepEqual(r.body.data.map((s) => s.sid), [ids.s2]);
  r = await call('GET', `${org}/users/${ids.alice}/sessions?status=bogus`);
  assert.equal(r.status, 400);

  // PATCH needs If-Match, a known state, and only `state`.
  r = await call('PATCH', `${org}/users/${ids.alice}`, { body: { state: 'suspended' } });
  assert.equal(r.status, 428);
  r = await call('PATCH', `${org}/users/${ids.alice}`, { body: { state: 'gone' }, headers: { 'If-Match': '"v1"' } });
  assert.equal(r.status, 400);
  assert.equal(r.body.code, 'identity.invalid_state');
  r = await call('PATCH', `${org}/users/${ids.alice}`, { body: { state: 'suspended' }, headers: { 'If-Match': '"v9"' } });
  assert.equal(r.status, 412);
  r = await call('PATCH', `${org}/users/${ids.alice}`, { body: { email: 'x@y.z' }, headers: { 'If-Match': '"v1"' } });
  assert.equal(r.status, 400);
  assert.equal(rows(`SELECT COUNT(*) AS n FROM sessions WHERE revoked_at = 0 AND user_id = ${q(ids.alice)}`)[0].n, 1);

  r = await call('PATCH', `${org}/users/${ids.alice}`, { body: { state: 'suspended' }, headers: { 'If-Match': '"v1"' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.state, 'suspended');
  assert.equal(r.headers.get('etag'), '"v2"');
  r = await call('GET', `${org}/users/${ids.alice}/sessions?status=active`);
  assert.deepEqual(r.body.data, []);
  const revoked = rows("SELECT payload FROM outbox WHERE type = 'session.revoked' ORDER BY seq").map((e) => JSON.parse(e.payload).session);
  assert.deepEqual(revoked.map((s) => [s.sid, s.reason]), [[ids.s1, 'admin'], [ids.s2, 'user_suspended']]);
  // Globex's session is untouched.
  assert.equal(rows(`SELECT revoked_at FROM sessions WHERE sid = ${q(ids.gs)}`)[0].revoked_at, 0);
  const audit = (await call('GET', `${org}/audit?limit=1000`)).body.data;
  const suspended = audit.find((a) => a.action === 'user.suspended');
  assert.deepEqual(suspended.summary.sessions_revoked, [ids.s2]);
  assert.ok(audit.find((a) => a.action === 'session.revoked' && a.target.id === ids.s1));
});

test('CLI: user list, show, bindings, suspend, activate', () => {
  const org = demo.organization_id;
  const list = JSON.parse(cli(['user', 'list', '--org', org, ...flags]));
  assert.equal(list.data.length, 3);
  const shown = JSON.parse(cli(['user', 'show', ids.bob, '--org', org, ...flags]));
  assert.equal(shown.email, 'bob@example.test');
  assert.equal(shown.bindings[0].subject, 'alice-sub');
  const bindings = JSON.parse(cli(['user', 'bindings', ids.bob, '--org', org, ...flags]));
  assert.equal(bindings.length, 1);
  const active = JSON.parse(cli(['user', 'activate', ids.alice, '--org', org, ...flags]));
  assert.equal(active.state, 'active');
  const suspended = JSON.parse(cli(['user', 'suspend', ids.carol, '--org', org, ...flags]));
  assert.equal(suspended.state, 'suspended');
  const failed = cliFails(['user', 'show', ids.gina, '--org', org, ...flags]);
  assert.notEqual(failed.status, 0);
  assert.match(failed.stderr, /identity\.user_not_found/);
  const cliAudit = rows("SELECT action, actor_type FROM audit_records WHERE actor_type = 'cli' AND action LIKE 'user.%' ORDER BY seq");
  assert.deepEqual(cliAudit.map((a) => a.action), ['user.activated', 'user.suspended']);
});
