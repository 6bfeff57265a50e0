// SCIM 2.0 directories end to end on the real binary (SQLite): the admin API and CLI for
// directories and tokens; the Entra ID (E0–E11) and Okta (O1–O7) sequences of
// shared/research/standards.md §2 exactly as those clients send them (§7 checks 9–14);
// deactivation suspending the identity user and ending its sessions; events in the outbox;
// the sealed request log; cross-tenant probes (one directory's token never reads or writes
// another's resources) and token rotation, expiry and revocation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { cleanup, cli, startServer, tempDir } from './lib.mjs';
import { CookieJar, signInWithTestIdp } from './login_driver.mjs';

let dir, srv, demo, flags, db, envId, globex, globexKey;
let entra, okta, other;  // directories: {id, base, token}
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERR = 'urn:ietf:params:scim:api:messages:2.0:Error';

function sql(query) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', '-json', db, query], { encoding: 'utf8' }).trim();
}
const rows = (query) => JSON.parse(sql(query) || '[]');
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;

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

async function scim(d, method, p, { body, token = d.token, headers = {} } = {}) {
  const r = await fetch(`${d.base}${p}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/scim+json' } : {}),
      'User-Agent': 'Okta SCIM Client 1.0.0',
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  return { status: r.status, body: parsed, headers: r.headers };
}

function assertError(r, status, scimType) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(r.body.schemas, [ERR]);
  assert.equal(r.body.status, String(status));
  if (scimType) assert.equal(r.body.scimType, scimType);
  assert.match(r.headers.get('content-type'), /application\/scim\+json/);
}

async function newDirectory(org, key, name) {
  const r = await call('POST', `/organizations/${org}/directories`, { key, body: { name } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.match(r.body.token.token, /^gh_scim_/);
  return { id: r.body.id, base: r.body.scim_base_url, token: r.body.token.token, tokenId: r.body.token.id, org };
}

const outbox = (prefix) => rows(`SELECT type, payload FROM outbox WHERE type LIKE ${q(prefix + '%')} ORDER BY seq`)
  .map((e) => ({ type: e.type, payload: JSON.parse(e.payload) }));

before(async () => {
  dir = tempDir();
  flags = ['--data-dir', dir, '--log-level', 'warn'];
  demo = JSON.parse(cli(['seed-demo', ...flags]));
  srv = await startServer({ dataDir: dir });
  db = path.join(dir, 'gatehouse.db');
  envId = rows("SELECT id FROM environments WHERE name = 'sandbox'")[0].id;
  const g = await call('POST', '/organizations', { body: { name: 'Globex', slug: 'globex-scim' } });
  assert.equal(g.status, 201);
  globex = g.body.id;
  globexKey = (await call('POST', `/organizations/${globex}/api-keys`, { body: { name: 'globex' } })).body.secret;
  // The domain guard: provisioned userNames and primary emails are in a verified domain of the
  // organization or a guest domain of its policy. These tests' IdPs use guest domains.
  const policy = async (org, key, domains) => {
    const r = await call('PUT', `/organizations/${org}/policy`, { key, body: { guest_domains: domains }, headers: { 'If-Match': '"v0"' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  await policy(demo.organization_id, demo.admin_api_key, ['contoso.example', 'okta.local', 'globex.test']);
  await policy(globex, globexKey, ['globex.test']);
  entra = await newDirectory(demo.organization_id, demo.admin_api_key, 'Entra ID');
  okta = await newDirectory(demo.organization_id, demo.admin_api_key, 'Okta');
  other = await newDirectory(globex, globexKey, 'Globex Okta');
});

after(async () => {
  await srv?.stop();
  cleanup(dir);
});

test('directories: admin API, base URL, name uniqueness, tokens never shown again', async () => {
  const org = `/organizations/${demo.organization_id}`;
  assert.equal(entra.base, `${srv.url}/scim/v2/${entra.id}`);
  const list = await call('GET', `${org}/directories`);
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.data.map((d) => d.name).sort(), ['Demo directory', 'Entra ID', 'Okta']);
  assert.ok(!JSON.stringify(list.body).includes('gh_scim_'.concat(entra.token.slice(8))));
  const dup = await call('POST', `${org}/directories`, { body: { name: 'Okta' } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.code, 'directory.name_taken');
  const bad = await call('POST', `${org}/directories`, { body: { name: '' } });
  assert.equal(bad.status, 400);
  const tokens = await call('GET', `${org}/directories/${entra.id}/tokens`);
  assert.equal(tokens.status, 200);
  assert.equal(tokens.body.data.length, 1);
  assert.equal(tokens.body.data[0].token, undefined);
  assert.ok(!JSON.stringify(tokens.body).includes(entra.token));
  // The token is stored as a hash only.
  assert.equal(rows(`SELECT * FROM scim_tokens WHERE secret_hash = ${q(entra.token)} OR lookup = ${q(entra.token)}`).length, 0);
  const created = outbox('directory.');
  assert.ok(created.some((e) => e.type === 'directory.created' && e.payload.directory.id === entra.id));
  const audit = rows(`SELECT action FROM audit_records WHERE target_id = ${q(entra.id)}`);
  assert.ok(audit.some((a) => a.action === 'directory.created'));
});

test('authentication: no token, a bad token, another directory\'s token → 401', async () => {
  assertError(await scim(entra, 'GET', '/Users', { token: null }), 401);
  assertError(await scim(entra, 'GET', '/Users', { token: 'gh_scim_0123456789abcdef01234567_' + 'A'.repeat(43) }), 401);
  assertError(await scim(entra, 'GET', '/Users', { token: okta.token }), 401);
  assertError(await scim(entra, 'GET', '/Users', { token: demo.admin_api_key }), 401);
  const r = await scim(entra, 'GET', '/Users', { token: null });
  assert.equal(r.headers.get('www-authenticate'), 'Bearer');
});

let alice, eng;

test('E0 test connection: a random userName filter answers 200 with an empty ListResponse', async () => {
  const r = await scim(entra, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${randomUUID()}"`)}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.schemas, [LIST]);
  assert.equal(r.body.totalResults, 0);
  assert.deepEqual(r.body.Resources, []);
  assert.equal(r.body.startIndex, 1);
  assert.match(r.headers.get('content-type'), /application\/scim\+json/);
});

test('E1–E3 match, create (two schemas, nulls, roles:[]), get by id, unknown id → 404', async () => {
  for (const f of ['userName eq "alice@contoso.example"', 'externalId eq "alice"', 'externalId eq alice']) {
    const r = await scim(entra, 'GET', `/Users?filter=${encodeURIComponent(f)}`);
    assert.equal(r.status, 200, f);
    assert.equal(r.body.totalResults, 0);
  }
  const created = await scim(entra, 'POST', '/Users', {
    body: {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
      externalId: 'alice', userName: 'alice@contoso.example', active: true,
      emails: [{ primary: true, type: 'work', value: 'alice@contoso.example' }],
      meta: { resourceType: 'User' }, name: { formatted: 'Alice A', familyName: 'A', givenName: 'Alice' },
      roles: [], addresses: null, manager: null,
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  alice = created.body;
  assert.ok(alice.id);
  assert.equal(alice.userName, 'alice@contoso.example');
  assert.equal(alice.meta.resourceType, 'User');
  assert.ok(alice.meta.created && alice.meta.lastModified);
  assert.equal(created.headers.get('etag'), alice.meta.version);
  assert.equal(created.headers.get('location'), `${entra.base}/Users/${alice.id}`);
  assert.equal(alice.addresses, undefined);
  // The identity user of the directory's organization.
  const link = rows(`SELECT user_id FROM scim_resources WHERE id = ${q(alice.id)}`)[0].user_id;
  const user = await call('GET', `/organizations/${demo.organization_id}/users/${link}`);
  assert.equal(user.status, 200);
  assert.equal(user.body.email, 'alice@contoso.example');
  assert.equal(user.body.state, 'active');
  alice.userId = link;

  for (const f of ['userName eq "ALICE@contoso.example"', 'externalId eq "alice"', 'externalId eq alice',
    'emails[type eq "work"].value eq "alice@contoso.example"']) {
    const r = await scim(entra, 'GET', `/Users?filter=${encodeURIComponent(f)}`);
    assert.equal(r.body.totalResults, 1, f);
    assert.equal(r.body.Resources[0].id, alice.id);
  }
  const got = await scim(entra, 'GET', `/Users/${alice.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.name.givenName, 'Alice');
  assertError(await scim(entra, 'GET', `/Users/${randomUUID()}`), 404);
});

test('E4 capitalised ops with filtered and URN paths; E5 path-less replace with path keys', async () => {
  let r = await scim(entra, 'PATCH', `/Users/${alice.id}`, {
    body: {
      schemas: [PATCH], Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'new@contoso.example' },
        { op: 'Replace', path: 'name.familyName', value: 'B' },
        { op: 'Replace', path: 'externalId', value: 'alice2' },
        { op: 'Replace', path: `${ENT}:employeeNumber`, value: '42' },
        { op: 'Add', path: 'nickName', value: 'Al' }],
    },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.emails[0].value, 'new@contoso.example');
  assert.equal(r.body.name.familyName, 'B');
  assert.equal(r.body.externalId, 'alice2');
  assert.equal(r.body[ENT].employeeNumber, '42');
  assert.ok(r.body.schemas.includes(ENT));
  assert.equal(r.body.nickName, 'Al');
  r = await scim(entra, 'PATCH', `/Users/${alice.id}`, {
    body: {
      schemas: [PATCH], Operations: [{
        op: 'replace', value: { displayName: 'Alice B', 'name.givenName': 'Alicia', 'name.familyName': 'B2', [`${ENT}:employeeNumber`]: '43' },
      }],
    },
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.displayName, 'Alice B');
  assert.equal(r.body.name.givenName, 'Alicia');
  assert.equal(r.body.name.familyName, 'B2');
  assert.equal(r.body[ENT].employeeNumber, '43');
  // The identity user follows the profile.
  const user = await call('GET', `/organizations/${demo.organization_id}/users/${alice.userId}`);
  assert.equal(user.body.email, 'new@contoso.example');
  assert.equal(user.body.given_name, 'Alicia');
});

test('E6 manager by Add with a $ref array', async () => {
  const mgr = await scim(entra, 'POST', '/Users', { body: { userName: 'boss@contoso.example', active: true } });
  assert.equal(mgr.status, 201);
  const r = await scim(entra, 'PATCH', `/Users/${alice.id}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'Add', path: 'manager', value: [{ $ref: `${entra.base}/Users/${mgr.body.id}`, value: mgr.body.id }] }] },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
});

test('E7 disable with "False", false and path-less {active:false}: the user is suspended and its sessions end; re-enable', async () => {
  const now = Date.now();
  const sid = randomUUID();
  sql(`INSERT INTO sessions (organization_id, sid, environment_id, user_id, connection_id, cookie_lookup, cookie_hash, auth_time, acr, amr, created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, clients) VALUES (${q(demo.organization_id)}, ${q(sid)}, ${q(envId)}, ${q(alice.userId)}, 'conn-1', ${q('s'.repeat(24))}, 'h', ${now}, 'urn:acr:pwd', '["pwd"]', ${now}, ${now}, ${now + 3600000}, ${now + 7200000}, 0, '', '[]')`);
  const shapes = [
    { op: 'Replace', path: 'active', value: 'False' },
    { op: 'replace', path: 'active', value: false },
    { op: 'Replace', path: 'active', value: false },
    { op: 'replace', value: { active: false } },
  ];
  for (const [i, op] of shapes.entries()) {
    const r = await scim(entra, 'PATCH', `/Users/${alice.id}`, { body: { schemas: [PATCH], Operations: [op] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.active, false);
    const user = await call('GET', `/organizations/${demo.organization_id}/users/${alice.userId}`);
    assert.equal(user.body.state, 'suspended', `shape ${i}`);
    if (i === 0) {
      assert.notEqual(rows(`SELECT revoked_at FROM sessions WHERE sid = ${q(sid)}`)[0].revoked_at, 0);
    }
    // Still retrievable while inactive.
    assert.equal((await scim(entra, 'GET', `/Users/${alice.id}`)).body.active, false);
    const back = await scim(entra, 'PATCH', `/Users/${alice.id}`, {
      body: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: i % 2 ? true : 'True' }] },
    });
    assert.equal(back.status, 200);
    assert.equal(back.body.active, true);
    assert.equal((await call('GET', `/organizations/${demo.organization_id}/users/${alice.userId}`)).body.state, 'active');
  }
  const types = outbox('user.').filter((e) => e.payload.scim_id === alice.id).map((e) => e.type);
  assert.ok(types.includes('user.created'));
  assert.ok(types.includes('user.updated'));
  assert.equal(types.filter((t) => t === 'user.deactivated').length, 4);
  assert.equal(types.filter((t) => t === 'user.reactivated').length, 4);
  assert.ok(outbox('user.suspended').some((e) => e.payload.user.id === alice.userId));
});

test('E9/E10 groups: create, query with excludedAttributes=members, PATCH → 204, member removal both ways', async () => {
  const created = await scim(entra, 'POST', '/Groups', {
    body: {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: '8aa1', displayName: 'Engineering', meta: { resourceType: 'Group' },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.members, []);
  eng = created.body;
  let r = await scim(entra, 'GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Engineering"')}`);
  assert.equal(r.body.totalResults, 1);
  assert.equal(r.body.Resources[0].members, undefined);
  r = await scim(entra, 'GET', `/Groups/${eng.id}?excludedAttributes=members`);
  assert.equal(r.status, 200);
  assert.equal(r.body.members, undefined);
  assert.equal(r.body.displayName, 'Engineering');
  r = await scim(entra, 'PATCH', `/Groups/${eng.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'Eng' }] } });
  assert.equal(r.status, 204);
  const users = [];
  for (const n of ['u1', 'u2', 'u3']) {
    users.push((await scim(entra, 'POST', '/Users', { body: { userName: `${n}@contoso.example` } })).body.id);
  }
  r = await scim(entra, 'PATCH', `/Groups/${eng.id}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: users.map((u) => ({ $ref: null, value: u })) }] },
  });
  assert.equal(r.status, 204);
  const members = async () => (await scim(entra, 'GET', `/Groups/${eng.id}`)).body.members.map((m) => m.value).sort();
  assert.deepEqual(await members(), [...users].sort());
  // E10 default: the value array names the one member to remove; the others stay.
  r = await scim(entra, 'PATCH', `/Groups/${eng.id}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: users[0] }] }] },
  });
  assert.equal(r.status, 204);
  assert.deepEqual(await members(), [users[1], users[2]].sort());
  // E10 with the flag: the RFC filter form.
  r = await scim(entra, 'PATCH', `/Groups/${eng.id}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${users[1]}"]` }] },
  });
  assert.equal(r.status, 204);
  assert.deepEqual(await members(), [users[2]]);
  // The user sees its group.
  const u = await scim(entra, 'GET', `/Users/${users[2]}`);
  assert.deepEqual(u.body.groups.map((g) => g.value), [eng.id]);
  // A member from nowhere is refused and nothing is applied.
  r = await scim(entra, 'PATCH', `/Groups/${eng.id}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: 'X' }, { op: 'Add', path: 'members', value: [{ value: randomUUID() }] }] },
  });
  assertError(r, 400, 'invalidValue');
  assert.equal((await scim(entra, 'GET', `/Groups/${eng.id}`)).body.displayName, 'Eng');
  const types = outbox('group.').map((e) => e.type);
  for (const t of ['group.created', 'group.updated', 'group.member_added', 'group.member_removed']) assert.ok(types.includes(t), t);
});

test('E8 hard delete → 204; the identity user is deprovisioned; a new user with the same userName is a new person', async () => {
  const u = await scim(entra, 'POST', '/Users', { body: { userName: 'leaver@contoso.example', externalId: 'leaver' } });
  const link = rows(`SELECT user_id FROM scim_resources WHERE id = ${q(u.body.id)}`)[0].user_id;
  const r = await scim(entra, 'DELETE', `/Users/${u.body.id}`);
  assert.equal(r.status, 204);
  assertError(await scim(entra, 'GET', `/Users/${u.body.id}`), 404);
  assert.equal(rows(`SELECT state FROM users WHERE id = ${q(link)}`)[0].state, 'deprovisioned');
  assert.ok(outbox('user.deleted').some((e) => e.payload.scim_id === u.body.id));
  // Created again with the same userName, externalId and email: a new SCIM id and a new
  // identity user; the deprovisioned one stays deprovisioned (and gave its email up).
  const again = await scim(entra, 'POST', '/Users', {
    body: { userName: 'leaver@contoso.example', externalId: 'leaver', emails: [{ value: 'leaver@contoso.example', primary: true }] },
  });
  assert.equal(again.status, 201, JSON.stringify(again.body));
  assert.notEqual(again.body.id, u.body.id);
  const link2 = rows(`SELECT user_id FROM scim_resources WHERE id = ${q(again.body.id)}`)[0].user_id;
  assert.notEqual(link2, link);
  assert.equal(rows(`SELECT state FROM users WHERE id = ${q(link)}`)[0].state, 'deprovisioned');
  assert.equal(rows(`SELECT email FROM users WHERE id = ${q(link2)}`)[0].email, 'leaver@contoso.example');
  assert.equal(rows(`SELECT state FROM users WHERE id = ${q(link2)}`)[0].state, 'active');
});

test('E11 /Schemas, /ResourceTypes, /ServiceProviderConfig are ListResponses / truthful', async () => {
  const s = await scim(entra, 'GET', '/Schemas');
  assert.equal(s.status, 200);
  assert.deepEqual(s.body.schemas, [LIST]);
  const ids = s.body.Resources.map((x) => x.id);
  assert.ok(ids.includes('urn:ietf:params:scim:schemas:core:2.0:User'));
  assert.ok(ids.includes('urn:ietf:params:scim:schemas:core:2.0:Group'));
  assert.ok(!JSON.stringify(s.body).includes('null'));
  const rt = await scim(entra, 'GET', '/ResourceTypes');
  assert.deepEqual(rt.body.Resources.map((x) => x.id), ['User', 'Group']);
  const spc = await scim(entra, 'GET', '/ServiceProviderConfig');
  assert.equal(spc.body.patch.supported, true);
  assert.equal(spc.body.bulk.supported, true);
  assert.equal(spc.body.bulk.maxOperations, 1000);
  assert.equal(spc.body.bulk.maxPayloadSize, 1048576);
  assert.equal(spc.body.filter.supported, true);
  assert.equal(spc.body.etag.supported, true);
});

test('O1–O3 Okta: existence check with paging, create with password and groups, duplicate → 409, stable import paging', async () => {
  let r = await scim(okta, 'GET', `/Users?filter=${encodeURIComponent('userName eq "test.user@okta.local"')}&startIndex=1&count=100`);
  assert.equal(r.status, 200);
  assert.equal(typeof r.body.totalResults, 'number');
  assert.equal(typeof r.body.itemsPerPage, 'number');
  assert.equal(typeof r.body.startIndex, 'number');
  const body = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'test.user@okta.local',
    name: { givenName: 'Test', familyName: 'User' }, emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
    displayName: 'Test User', locale: 'en-US', externalId: '00u1', groups: [], password: 'S3cret!pass', active: true,
  };
  r = await scim(okta, 'POST', '/Users', { body });
  assert.equal(r.status, 201);
  assert.ok(r.body.id);
  assert.equal(r.body.password, undefined);
  const testUser = r.body;
  // Duplicate userName, in another case: 409 uniqueness.
  r = await scim(okta, 'POST', '/Users', { body: { ...body, userName: 'TEST.USER@okta.local', externalId: '00u2' } });
  assertError(r, 409, 'uniqueness');
  r = await scim(okta, 'GET', `/Users?filter=${encodeURIComponent('userName eq "TEST.USER@OKTA.LOCAL"')}&startIndex=1&count=100`);
  assert.equal(r.body.totalResults, 1);
  for (let i = 0; i < 5; i++) {
    assert.equal((await scim(okta, 'POST', '/Users', { body: { userName: `page${i}@okta.local` } })).status, 201);
  }
  const all = await scim(okta, 'GET', '/Users?startIndex=1&count=100');
  assert.equal(all.body.totalResults, 6);
  const seen = [];
  for (let start = 1; start <= 6; start += 2) {
    const page = await scim(okta, 'GET', `/Users?startIndex=${start}&count=2`);
    assert.equal(page.body.startIndex, start);
    assert.equal(page.body.itemsPerPage, 2);
    seen.push(...page.body.Resources.map((x) => x.id));
  }
  assert.deepEqual(seen, all.body.Resources.map((x) => x.id));
  const zero = await scim(okta, 'GET', '/Users?count=0');
  assert.equal(zero.body.totalResults, 6);
  assert.equal(zero.body.Resources, undefined);
  // O7's first step: a non-empty page of one.
  const one = await scim(okta, 'GET', '/Users?count=1&startIndex=1');
  assert.equal(one.body.Resources.length, 1);
  // sortBy
  const sorted = await scim(okta, 'GET', '/Users?sortBy=userName&sortOrder=descending');
  const names = sorted.body.Resources.map((x) => x.userName);
  assert.deepEqual(names, [...names].sort().reverse());
  // attributes
  const attrs = await scim(okta, 'GET', '/Users?attributes=userName&count=1');
  assert.deepEqual(Object.keys(attrs.body.Resources[0]).sort(), ['id', 'meta', 'schemas', 'userName']);

  // O4: GET then PUT with the full object (id, password, groups) → 200, no password echoed.
  const got = await scim(okta, 'GET', `/Users/${testUser.id}`);
  r = await scim(okta, 'PUT', `/Users/${testUser.id}`, { body: { ...got.body, password: 'N3w!', groups: [], displayName: 'Tess User' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.displayName, 'Tess User');
  assert.equal(r.body.password, undefined);
  // ETags: a stale If-Match → 412 and nothing changes; the current one works.
  r = await scim(okta, 'PUT', `/Users/${testUser.id}`, { body: { ...got.body, displayName: 'Stale' }, headers: { 'If-Match': got.headers.get('etag') } });
  assertError(r, 412);
  const cur = await scim(okta, 'GET', `/Users/${testUser.id}`);
  assert.equal(cur.body.displayName, 'Tess User');
  r = await scim(okta, 'PUT', `/Users/${testUser.id}`, { body: { ...cur.body, displayName: 'Fresh' }, headers: { 'If-Match': cur.headers.get('etag') } });
  assert.equal(r.status, 200);

  // O5: deactivate with a path-less replace.
  r = await scim(okta, 'PATCH', `/Users/${testUser.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] } });
  assert.equal(r.status, 200);
  assert.equal(r.body.active, false);
  const link = rows(`SELECT user_id FROM scim_resources WHERE id = ${q(testUser.id)}`)[0].user_id;
  assert.equal(rows(`SELECT state FROM users WHERE id = ${q(link)}`)[0].state, 'suspended');
});

test('O6 Okta group push: rename with id, remove+add, replace members, delete', async () => {
  const ids = [];
  for (const n of ['a', 'b', 'c', 'd']) ids.push((await scim(okta, 'POST', '/Users', { body: { userName: `${n}@okta.local` } })).body.id);
  let r = await scim(okta, 'POST', '/Groups', { body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Test SCIMv2', members: [{ value: ids[0] }] } });
  assert.equal(r.status, 201);
  const gid = r.body.id;
  r = await scim(okta, 'PATCH', `/Groups/${gid}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: gid, displayName: 'Test SCIMv2' } }] } });
  assert.ok([200, 204].includes(r.status));
  r = await scim(okta, 'PATCH', `/Groups/${gid}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${ids[0]}"]` }, { op: 'add', path: 'members', value: [{ value: ids[1], display: 'b@okta.local' }] }] },
  });
  assert.ok([200, 204].includes(r.status));
  let g = await scim(okta, 'GET', `/Groups/${gid}`);
  assert.deepEqual(g.body.members.map((m) => m.value), [ids[1]]);
  r = await scim(okta, 'PATCH', `/Groups/${gid}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'members', value: [{ value: ids[2] }, { value: ids[3] }] }] } });
  g = await scim(okta, 'GET', `/Groups/${gid}`);
  assert.deepEqual(g.body.members.map((m) => m.value).sort(), [ids[2], ids[3]].sort());
  // Paging on /Groups too.
  r = await scim(okta, 'GET', '/Groups?startIndex=1&count=100');
  assert.equal(r.body.totalResults, 1);
  r = await scim(okta, 'DELETE', `/Groups/${gid}`);
  assert.equal(r.status, 204);
  assertError(await scim(okta, 'GET', `/Groups/${gid}`), 404);
});

test('errors: invalid filter, invalid syntax, bad PATCH op, missing userName, bad JSON — each in the SCIM error schema', async () => {
  assertError(await scim(okta, 'GET', `/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter');
  assertError(await scim(okta, 'GET', `/Users?filter=${encodeURIComponent('userName zz "x"')}`), 400, 'invalidFilter');
  assertError(await scim(okta, 'POST', '/Users', { body: '{"userName":' }), 400, 'invalidSyntax');
  assertError(await scim(okta, 'POST', '/Users', { body: { displayName: 'no user name' } }), 400, 'invalidValue');
  const u = (await scim(okta, 'POST', '/Users', { body: { userName: 'patchme@okta.local', displayName: 'P' } })).body;
  assertError(await scim(okta, 'PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'move', path: 'x' }] } }), 400, 'invalidSyntax');
  assertError(await scim(okta, 'PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'add', path: 'emails[', value: 1 }] } }), 400, 'invalidPath');
  // Nothing partially applied: the first op is valid, the second is not.
  assertError(await scim(okta, 'PATCH', `/Users/${u.id}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'remove', path: 'userName' }] },
  }), 400, 'mutability');
  assert.equal((await scim(okta, 'GET', `/Users/${u.id}`)).body.displayName, 'P');
  // Renaming into another user's userName: 409.
  assertError(await scim(okta, 'PATCH', `/Users/${u.id}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'userName', value: 'A@OKTA.LOCAL' }] },
  }), 409, 'uniqueness');
});

test('cross-tenant: one directory\'s token never reads or writes another\'s resources', async () => {
  const mine = (await scim(other, 'POST', '/Users', { body: { userName: 'gina@globex.test' } })).body;
  assert.ok(mine.id);
  // Okta's and Entra's tokens cannot see it, whatever URL they use.
  assertError(await scim(okta, 'GET', `/Users/${mine.id}`), 404);
  assertError(await scim(entra, 'PATCH', `/Users/${mine.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] } }), 404);
  assertError(await scim(okta, 'DELETE', `/Users/${mine.id}`), 404);
  const list = await scim(okta, 'GET', `/Users?filter=${encodeURIComponent('userName eq "gina@globex.test"')}`);
  assert.equal(list.body.totalResults, 0);
  // Another organization's token on this directory's URL → 401; the same userName is free in another directory.
  assertError(await scim({ ...okta, token: other.token }, 'GET', '/Users'), 401);
  assert.equal((await scim(okta, 'POST', '/Users', { body: { userName: 'gina@globex.test' } })).status, 201);
  // The admin API answers 404 for another organization's directory.
  const probe = await call('GET', `/organizations/${globex}/directories/${entra.id}`, { key: globexKey });
  assert.equal(probe.status, 404);
  assert.equal(probe.body.code, 'directory.not_found');
  const probe2 = await call('GET', `/organizations/${demo.organization_id}/directories/${other.id}`);
  assert.equal(probe2.status, 404);
  // Globex's organization key cannot reach the demo organization's directories.
  const denied = await call('GET', `/organizations/${demo.organization_id}/directories`, { key: globexKey });
  assert.ok([403, 404].includes(denied.status));
});

test('tokens: rotation (two active), revocation, expiry; pause → 403; request log sealed and redacted', async () => {
  const org = `/organizations/${demo.organization_id}`;
  const t2 = await call('POST', `${org}/directories/${okta.id}/tokens`, { body: { name: 'rotation', expires_in_days: 30 } });
  assert.equal(t2.status, 201);
  assert.match(t2.body.token, /^gh_scim_/);
  assert.equal((await scim(okta, 'GET', '/Users?count=1')).status, 200);
  assert.equal((await scim({ ...okta, token: t2.body.token }, 'GET', '/Users?count=1')).status, 200);
  const revoked = await call('DELETE', `${org}/directories/${okta.id}/tokens/${okta.tokenId}`);
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.state, 'revoked');
  assertError(await scim(okta, 'GET', '/Users?count=1'), 401);
  okta.token = t2.body.token;
  // An expired token: its expiry moved into the past in the store.
  const t3 = await call('POST', `${org}/directories/${okta.id}/tokens`, { body: { name: 'short' } });
  sql(`UPDATE scim_tokens SET expires_at = ${Date.now() - 1000} WHERE id = ${q(t3.body.id)}`);
  assertError(await scim({ ...okta, token: t3.body.token }, 'GET', '/Users'), 401);
  assert.equal((await call('GET', `${org}/directories/${okta.id}/tokens/${'x'}`)).status, 405);  // DELETE only
  assert.equal((await call('DELETE', `${org}/directories/${okta.id}/tokens/${randomUUID()}`)).body.code, 'directory.token_not_found');

  const paused = await call('PATCH', `${org}/directories/${okta.id}`, { body: { status: 'paused' } });
  assert.equal(paused.status, 200);
  assertError(await scim(okta, 'GET', '/Users'), 403);
  assert.equal((await call('PATCH', `${org}/directories/${okta.id}`, { body: { status: 'active' } })).status, 200);
  assert.equal((await scim(okta, 'GET', '/Users?count=1')).status, 200);

  const log = await call('GET', `${org}/directories/${okta.id}/requests?limit=500`);
  assert.equal(log.status, 200);
  const posts = log.body.data.filter((e) => e.method === 'POST' && e.path.endsWith('/Users'));
  assert.ok(posts.length > 0);
  const withPassword = posts.find((e) => e.body?.body?.password !== undefined);
  assert.equal(withPassword.body.body.password, '[redacted]');
  assert.ok(log.body.data.some((e) => e.status === 409 && e.error_type === 'uniqueness'));
  // Sealed at rest: no userName in the clear.
  const raw = rows(`SELECT body FROM scim_request_log WHERE directory_id = ${q(okta.id)}`).map((x) => x.body).join('\n');
  assert.ok(!raw.includes('test.user@okta.local'));
  assert.ok(!raw.includes('S3cret'));
  // Another organization cannot read it.
  assert.equal((await call('GET', `/organizations/${globex}/directories/${okta.id}/requests`, { key: globexKey })).status, 404);
});

test('CLI: directory create, list, token-create, pause, delete', async () => {
  const created = JSON.parse(cli(['directory', 'create', '--org', demo.organization_id, '--name', 'CLI dir', ...flags]));
  assert.match(created.token.token, /^gh_scim_/);
  assert.ok(created.scim_base_url.endsWith(`/scim/v2/${created.id}`));
  const list = JSON.parse(cli(['directory', 'list', '--org', demo.organization_id, ...flags]));
  assert.ok(list.some((d) => d.id === created.id));
  const t = JSON.parse(cli(['directory', 'token-create', created.id, '--org', demo.organization_id, '--name', 'b', ...flags]));
  assert.match(t.token, /^gh_scim_/);
  const tokens = JSON.parse(cli(['directory', 'token-list', created.id, '--org', demo.organization_id, ...flags]));
  assert.equal(tokens.length, 2);
  assert.ok(tokens.every((x) => x.token === undefined));
  assert.equal(JSON.parse(cli(['directory', 'pause', created.id, '--org', demo.organization_id, ...flags])).status, 'paused');
  JSON.parse(cli(['directory', 'delete', created.id, '--org', demo.organization_id, ...flags]));
  const d = await call('GET', `/organizations/${demo.organization_id}/directories/${created.id}`);
  assert.equal(d.status, 404);
  const deleted = outbox('directory.deleted');
  assert.ok(deleted.some((e) => e.payload.directory.id === created.id));
});

test('seed-demo: the demo organization has a directory; its token is shown in demo.json and works', async () => {
  assert.match(demo.scim_token, /^gh_scim_/);
  assert.ok(demo.scim_base_url.endsWith(`/scim/v2/${demo.scim_directory_id}`));
  const d = { base: `${srv.url}/scim/v2/${demo.scim_directory_id}`, token: demo.scim_token };
  const r = await scim(d, 'GET', '/Users?count=1');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.schemas, [LIST]);
  // Idempotent: the same directory and token again, no second directory.
  const again = JSON.parse(cli(['seed-demo', ...flags]));
  assert.equal(again.scim_directory_id, demo.scim_directory_id);
  assert.equal(again.scim_token, demo.scim_token);
  const list = await call('GET', `/organizations/${demo.organization_id}/directories`);
  assert.equal(list.body.data.filter((x) => x.name === 'Demo directory').length, 1);
  // The token is stored hashed only.
  assert.equal(rows(`SELECT * FROM scim_tokens WHERE secret_hash = ${q(demo.scim_token)}`).length, 0);
});

test('emails.value filters (any email, Entra\'s emails[type eq "work"].value eq) find the user', async () => {
  const u = await scim(entra, 'POST', '/Users', {
    body: {
      userName: 'multi@contoso.example',
      emails: [{ type: 'work', primary: true, value: 'Multi@Contoso.example' }, { type: 'home', value: 'multi.home@contoso.example' }],
    },
  });
  assert.equal(u.status, 201, JSON.stringify(u.body));
  for (const f of ['emails.value eq "multi.home@contoso.example"', 'emails.value eq "MULTI@contoso.example"',
    'emails[type eq "work"].value eq "multi@contoso.example"', 'emails[value eq "multi.home@contoso.example"]',
    'emails[type eq "home" and value eq "multi.home@contoso.example"]', 'emails eq "multi.home@contoso.example"']) {
    const r = await scim(entra, 'GET', `/Users?filter=${encodeURIComponent(f)}`);
    assert.equal(r.status, 200, f);
    assert.equal(r.body.totalResults, 1, f);
    assert.equal(r.body.Resources[0].id, u.body.id, f);
  }
  // The rest of the filter still applies to what the index found.
  for (const f of ['emails[type eq "home"].value eq "multi@contoso.example"', 'emails.value eq "multi.home@contoso.example" and userName eq "x"']) {
    const r = await scim(entra, 'GET', `/Users?filter=${encodeURIComponent(f)}`);
    assert.equal(r.body.totalResults, 0, f);
  }
  // A PATCH replacing the emails moves the index with it.
  const p = await scim(entra, 'PATCH', `/Users/${u.body.id}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails', value: [{ type: 'work', primary: true, value: 'multi@contoso.example' }] }] },
  });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const gone = await scim(entra, 'GET', `/Users?filter=${encodeURIComponent('emails.value eq "multi.home@contoso.example"')}`);
  assert.equal(gone.body.totalResults, 0);
  // Okta's directory in the same organization does not see Entra's users.
  const other = await scim(okta, 'GET', `/Users?filter=${encodeURIComponent('emails.value eq "multi@contoso.example"')}`);
  assert.equal(other.body.totalResults, 0);
});

test('domain guard: userName and primary email in a verified or guest domain only', async () => {
  assertError(await scim(entra, 'POST', '/Users', { body: { userName: 'mallory@evil.example' } }), 400, 'invalidValue');
  assertError(await scim(entra, 'POST', '/Users', {
    body: { userName: 'mallory', emails: [{ primary: true, value: 'mallory@evil.example' }] },
  }), 400, 'invalidValue');
  // example.test is verified by the demo organization (seed-demo).
  const ok = await scim(entra, 'POST', '/Users', { body: { userName: 'vera@example.test' } });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  // Moving an existing user into a foreign domain is refused and changes nothing.
  assertError(await scim(entra, 'PATCH', `/Users/${ok.body.id}`, {
    body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'userName', value: 'vera@evil.example' }] },
  }), 400, 'invalidValue');
  assert.equal((await scim(entra, 'GET', `/Users/${ok.body.id}`)).body.userName, 'vera@example.test');
  // Another organization's verified domain is not this one's.
  assertError(await scim(other, 'POST', '/Users', { body: { userName: 'x@example.test' } }), 400, 'invalidValue');
  assert.equal(rows("SELECT id FROM users WHERE email = 'mallory@evil.example'").length, 0);
});

test('Bulk: bulkId references, per-operation status and atomicity, failOnErrors, limits', async () => {
  const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
  let r = await scim(okta, 'POST', '/Bulk', {
    body: {
      schemas: [BULK],
      Operations: [
        // The group comes first and refers to users created later in the same request.
        { method: 'POST', path: '/Groups', bulkId: 'g', data: { displayName: 'Bulk Team', members: [{ value: 'bulkId:u1' }, { value: 'bulkId:u2' }] } },
        { method: 'POST', path: '/Users', bulkId: 'u1', data: { userName: 'bulk1@okta.local' } },
        { method: 'POST', path: '/Users', bulkId: 'u2', data: { userName: 'bulk2@okta.local', emails: [{ value: 'bulk2@okta.local', primary: true }] } },
        { method: 'POST', path: '/Users', bulkId: 'dup', data: { userName: 'BULK1@okta.local' } },
        { method: 'PATCH', path: '/Users/bulkId:u2', data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Bulk Two' }] } },
        { method: 'PATCH', path: '/Users/bulkId:nope', data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] } },
        { method: 'DELETE', path: `/Users/${randomUUID()}` },
      ],
    },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
  const byId = Object.fromEntries(r.body.Operations.filter((o) => o.bulkId).map((o) => [o.bulkId, o]));
  assert.equal(byId.u1.status, '201');
  assert.equal(byId.u2.status, '201');
  assert.equal(byId.g.status, '201');
  assert.match(byId.g.location, /\/Groups\//);
  assert.ok(byId.u1.version);
  assert.equal(byId.dup.status, '409');
  assert.equal(byId.dup.response.scimType, 'uniqueness');
  assert.equal(byId.dup.response.status, '409');
  const patches = r.body.Operations.filter((o) => o.method === 'PATCH');
  assert.deepEqual(patches.map((o) => o.status).sort(), ['200', '409']);
  const del = r.body.Operations.find((o) => o.method === 'DELETE');
  assert.equal(del.status, '404');
  assert.equal(r.body.Operations.length, 7);
  // The group's members are the users created in the same request.
  const u1 = byId.u1.location.split('/').pop();
  const u2 = byId.u2.location.split('/').pop();
  const g = await scim(okta, 'GET', `/Groups/${byId.g.location.split('/').pop()}`);
  assert.deepEqual(g.body.members.map((m) => m.value).sort(), [u1, u2].sort());
  assert.equal((await scim(okta, 'GET', `/Users/${u2}`)).body.displayName, 'Bulk Two');
  // The failed operations changed nothing.
  const dupes = await scim(okta, 'GET', `/Users?filter=${encodeURIComponent('userName eq "bulk1@okta.local"')}`);
  assert.equal(dupes.body.totalResults, 1);

  // failOnErrors: processing stops after that many errors; later operations are not run.
  r = await scim(okta, 'POST', '/Bulk', {
    body: {
      schemas: [BULK], failOnErrors: 1,
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: { userName: 'bulk1@okta.local' } },
        { method: 'POST', path: '/Users', bulkId: 'b', data: { userName: 'never@okta.local' } },
      ],
    },
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.Operations.length, 1);
  assert.equal(r.body.Operations[0].status, '409');
  assert.equal((await scim(okta, 'GET', `/Users?filter=${encodeURIComponent('userName eq "never@okta.local"')}`)).body.totalResults, 0);

  // Circular references: 409 for both, nothing created.
  r = await scim(okta, 'POST', '/Bulk', {
    body: {
      schemas: [BULK],
      Operations: [
        { method: 'POST', path: '/Groups', bulkId: 'x', data: { displayName: 'Cycle X', members: [{ value: 'bulkId:y' }] } },
        { method: 'POST', path: '/Groups', bulkId: 'y', data: { displayName: 'Cycle Y', members: [{ value: 'bulkId:x' }] } },
      ],
    },
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.Operations.map((o) => o.status), ['409', '409']);
  assert.equal((await scim(okta, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "Cycle X"')}`)).body.totalResults, 0);

  // Limits, as advertised: more than maxOperations → 413 tooMany; more than maxPayloadSize → 413.
  const many = Array.from({ length: 1001 }, (_, i) => ({ method: 'DELETE', path: `/Users/${i}` }));
  assertError(await scim(okta, 'POST', '/Bulk', { body: { schemas: [BULK], Operations: many } }), 413, 'tooMany');
  const big = { schemas: [BULK], Operations: [{ method: 'POST', path: '/Users', bulkId: 'big', data: { userName: 'big@okta.local', nickName: 'x'.repeat(1048576) } }] };
  assertError(await scim(okta, 'POST', '/Bulk', { body: big }), 413);
  assertError(await scim(okta, 'POST', '/Bulk', { body: '{"Operations":' }), 400, 'invalidSyntax');
  // Another directory's token cannot bulk here.
  assertError(await scim({ ...okta, token: other.token }, 'POST', '/Bulk', { body: { schemas: [BULK], Operations: [] } }), 401);
  // Events and the request log as for single requests.
  assert.ok(outbox('group.member_added').some((e) => e.payload.members?.includes(u1)));
  const log = await call('GET', `/organizations/${demo.organization_id}/directories/${okta.id}/requests?limit=50`);
  assert.ok(log.body.data.some((e) => e.path.endsWith('/Bulk') && e.status === 200));
});

test('connection link rule: a setting on the connection, validated and audited', async () => {
  const org = `/organizations/${demo.organization_id}`;
  const conn = demo.test_connection_id;
  let r = await call('GET', `${org}/connections/${conn}/directory-link`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.rule, 'none');
  r = await call('PUT', `${org}/connections/${conn}/directory-link`, { body: { rule: 'sometimes' } });
  assert.equal(r.status, 400);
  assert.equal(r.body.code, 'directory.invalid');
  r = await call('PUT', `${org}/connections/${conn}/directory-link`, { body: { rule: 'external_id' } });
  assert.equal(r.status, 200);
  assert.equal((await call('GET', `${org}/connections/${conn}/directory-link`)).body.rule, 'external_id');
  const audit = rows(`SELECT action, summary FROM audit_records WHERE action = 'connection.directory_link_updated'`);
  assert.equal(audit.length, 1);
  assert.deepEqual(JSON.parse(audit[0].summary).directory_link, { from: 'none', to: 'external_id' });
  r = await call('PUT', `${org}/connections/${randomUUID()}/directory-link`, { body: { rule: 'email' } });
  assert.equal(r.status, 404);
  // Another organization's key and ids.
  r = await call('GET', `/organizations/${globex}/connections/${conn}/directory-link`, { key: globexKey });
  assert.equal(r.status, 404);
  r = await call('PUT', `${org}/connections/${conn}/directory-link`, { key: globexKey, body: { rule: 'none' } });
  assert.ok([403, 404].includes(r.status));
  r = await call('PUT', `${org}/connections/${conn}/directory-link`, { body: { rule: 'none' } });
  assert.equal(r.body.rule, 'none');
});

test('reconciliation report: counts, untouched users, failed requests, deactivation → revocation delay', async () => {
  const org = `/organizations/${demo.organization_id}`;
  let r = await call('GET', `${org}/directories/${entra.id}/reconciliation?untouched_days=0`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const total = rows(`SELECT COUNT(*) AS n FROM scim_resources WHERE directory_id = ${q(entra.id)} AND resource_type = 'User'`)[0].n;
  assert.equal(r.body.users.total, total);
  assert.equal(r.body.users.active + r.body.users.inactive, total);
  assert.equal(r.body.groups.total, 1);
  // untouched_days=0: every user is older than now.
  assert.equal(r.body.untouched_users.count, total);
  assert.ok(r.body.failed_requests.count >= 1);
  assert.ok(r.body.failed_requests.recent.every((e) => e.status >= 400));
  // E7's first deactivation ended alice's session: both timestamps and the measured delay.
  const first = r.body.deactivations.recent.filter((x) => x.user_id === alice.userId).pop();
  assert.ok(first, JSON.stringify(r.body.deactivations));
  assert.equal(first.cause, 'deactivated');
  assert.equal(first.sessions_revoked, 1);
  assert.ok(first.sessions_revoked_at_ms >= first.requested_at_ms);
  assert.equal(first.delay_ms, first.sessions_revoked_at_ms - first.requested_at_ms);
  const revokedAt = rows(`SELECT revoked_at FROM sessions WHERE user_id = ${q(alice.userId)}`)[0].revoked_at;
  assert.equal(first.sessions_revoked_at_ms, revokedAt);
  assert.ok(r.body.deactivations.delay.count >= 5);
  assert.ok(r.body.deactivations.recent.some((x) => x.cause === 'deleted'));
  // What the IdP pushed against what Gatehouse holds: nothing drifted yet; an admin suspending a
  // user the directory says is active shows up.
  assert.deepEqual(r.body.out_of_sync_users, []);
  const boss = rows(`SELECT id, user_id FROM scim_resources WHERE user_name = 'boss@contoso.example'`)[0];
  const s = await call('PATCH', `${org}/users/${boss.user_id}`, { body: { state: 'suspended' }, headers: { 'If-Match': '*' } });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  r = await call('GET', `${org}/directories/${entra.id}/reconciliation`);
  assert.deepEqual(r.body.out_of_sync_users, [{ scim_id: boss.id, user_id: boss.user_id, scim_active: true, user_state: 'suspended' }]);
  // With the default 30 days nothing is untouched yet.
  r = await call('GET', `${org}/directories/${entra.id}/reconciliation`);
  assert.equal(r.body.untouched_users.count, 0);
  assert.equal((await call('GET', `${org}/directories/${entra.id}/reconciliation?untouched_days=x`)).status, 400);
  // Another organization: 404.
  r = await call('GET', `/organizations/${globex}/directories/${entra.id}/reconciliation`, { key: globexKey });
  assert.equal(r.status, 404);
});

// A pending authorization request of the demo application (hosted login starts from it).
async function pendingRequest() {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: demo.client_id, redirect_uri: demo.redirect_uri,
    scope: 'openid email profile', state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const r = await fetch(`${srv.url}/sandbox/oauth2/authorize?${q}`, { redirect: 'manual' });
  assert.equal(r.status, 303, await r.text());
  return new URL(r.headers.get('location')).searchParams.get('request');
}

test('lifecycle at SSO: directory_only refuses strangers with a page and code; the link rule finds the directory user; deactivation ends access', async () => {
  const org = `/organizations/${demo.organization_id}`;
  const demoDir = { base: `${srv.url}/scim/v2/${demo.scim_directory_id}`, token: demo.scim_token };
  const cur = await call('GET', `${org}/policy`);
  const put = await call('PUT', `${org}/policy`, {
    body: { ...cur.body.policy, provisioning_mode: 'directory_only' }, headers: { 'If-Match': cur.headers.get('etag') },
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const signIn = async (email) => signInWithTestIdp(`${srv.url}/sandbox/login?request=${await pendingRequest()}`, { email }, new CookieJar());
  // Nobody provisioned: refused, with the code on the page, and nobody created.
  await assert.rejects(signIn('stranger@example.test'), (e) => e.status === 403 && e.code === 'identity.provisioning_refused');
  assert.equal(rows("SELECT id FROM users WHERE email = 'stranger@example.test'").length, 0);
  // Provisioned by the directory: found through the connection's link rule (userName = email).
  const dora = await scim(demoDir, 'POST', '/Users', { body: { userName: 'dora@example.test', externalId: 'dora-1' } });
  assert.equal(dora.status, 201, JSON.stringify(dora.body));
  const doraUser = rows(`SELECT user_id FROM scim_resources WHERE id = ${q(dora.body.id)}`)[0].user_id;
  // Without a rule the directory user is not taken over by a login with the same email.
  await assert.rejects(signIn('dora@example.test'), (e) => e.code === 'identity.email_in_use');
  assert.equal((await call('PUT', `${org}/connections/${demo.test_connection_id}/directory-link`, { body: { rule: 'user_name' } })).status, 200);
  const done = await signIn('dora@example.test');
  assert.ok(done.startsWith(demo.redirect_uri), done);
  const bindings = await call('GET', `${org}/users/${doraUser}/bindings`);
  assert.equal(bindings.status, 200, JSON.stringify(bindings.body));
  assert.equal((bindings.body.data ?? bindings.body).length, 1);
  assert.ok(rows(`SELECT summary FROM audit_records WHERE action = 'user.linked' AND target_id = ${q(doraUser)}`)
    .some((a) => JSON.parse(a.summary).rule === 'user_name'));
  // Again: through the binding.
  assert.ok((await signIn('dora@example.test')).startsWith(demo.redirect_uri));
  // Deactivated over SCIM: refused at once.
  const off = await scim(demoDir, 'PATCH', `/Users/${dora.body.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] } });
  assert.equal(off.status, 200);
  await assert.rejects(signIn('dora@example.test'), (e) => e.code === 'identity.user_inactive');
  // A second directory user matching the same login makes the rule ambiguous: refused, not guessed.
  await scim(demoDir, 'PATCH', `/Users/${dora.body.id}`, { body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] } });
  const twin = await scim(entra, 'POST', '/Users', { body: { userName: 'twin@example.test', emails: [{ primary: true, value: 'twin.a@example.test' }] } });
  assert.equal(twin.status, 201, JSON.stringify(twin.body));
  const twin2 = await scim(demoDir, 'POST', '/Users', { body: { userName: 'TWIN@example.test', emails: [{ primary: true, value: 'twin.b@example.test' }] } });
  assert.equal(twin2.status, 201, JSON.stringify(twin2.body));
  await assert.rejects(signIn('twin@example.test'), (e) => e.code === 'identity.link_ambiguous');
});
