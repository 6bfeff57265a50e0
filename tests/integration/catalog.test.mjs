// The attribute catalog end to end with the real binary: the default catalog as version 1, the
// public catalog (JSON with ETag and 304, an escaped HTML page), changes through the admin API
// and the CLI making versions with diffs and audit records, bad input answered with
// problem+json and a stable code with nothing changed, organizations' custom attributes
// invisible to other organizations (404), and the generated SCIM, claims and Cedar schemas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { cleanup, cli, cliFails, startServer, tempDir } from './lib.mjs';

let dir, flags, demo, srv, globexId, globexKey, acmeKey;

async function call(method, p, { key = demo.admin_api_key, env = 'sandbox', body, headers = {} } = {}) {
  const r = await fetch(`${srv.url}/api/v1/environments/${env}${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
  });
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed, headers: r.headers };
}

function auditActions() {
  const sql = "SELECT action FROM audit_records WHERE action LIKE 'catalog.%' ORDER BY seq";
  const out = execFileSync('sqlite3', ['-json', path.join(dir, 'gatehouse.db'), sql], { encoding: 'utf8' }).trim();
  return (out ? JSON.parse(out) : []).map((r) => r.action);
}

before(async () => {
  dir = tempDir();
  flags = ['--data-dir', dir, '--log-level', 'warn'];
  demo = JSON.parse(cli(['seed-demo', ...flags]));
  srv = await startServer({ dataDir: dir });
  const globex = await call('POST', '/organizations', { body: { name: 'Globex', slug: 'globex' } });
  assert.equal(globex.status, 201, JSON.stringify(globex.body));
  globexId = globex.body.id;
  globexKey = JSON.parse(cli(['apikey', 'create', '--org', globexId, '--name', 'globex', ...flags])).secret;
  acmeKey = JSON.parse(cli(['apikey', 'create', '--org', demo.organization_id, '--name', 'acme', ...flags])).secret;
});

after(async () => {
  await srv?.stop();
  cleanup(dir);
});

test('public catalog: JSON with ETag and 304, HTML page escaped, no credentials needed', async () => {
  let r = await fetch(`${srv.url}/sandbox/catalog.json`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /application\/json/);
  assert.match(r.headers.get('cache-control'), /public/);
  const etag = r.headers.get('etag');
  const doc = await r.json();
  assert.equal(doc.environment, 'sandbox');
  assert.equal(etag, `"v${doc.version}"`);
  const names = doc.attributes.map((a) => a.name);
  for (const n of ['email', 'given_name', 'family_name', 'groups', 'department', 'employee_number', 'manager', 'cost_center']) {
    assert.ok(names.includes(n), n);
  }
  const email = doc.attributes.find((a) => a.name === 'email');
  assert.ok(email.sources.saml.some((s) => s.vendor === 'entra_id' && s.name.endsWith('/claims/emailaddress')));
  assert.ok(doc.claims_supported.includes('email'));
  assert.ok(doc.scim_schemas.includes('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'));

  r = await fetch(`${srv.url}/sandbox/catalog.json`, { headers: { 'If-None-Match': etag } });
  assert.equal(r.status, 304);

  r = await fetch(`${srv.url}/sandbox/catalog`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/html/);
  const html = await r.text();
  assert.match(html, /Employee number/);
  assert.doesNotMatch(html, /<script/i);

  r = await fetch(`${srv.url}/nosuchenv/catalog.json`);
  assert.equal(r.status, 404);
  assert.equal((await r.json()).code, 'environment.not_found');
});

test('changes make versions with diffs; If-Match; bad input is problem+json and changes nothing', async () => {
  let r = await call('GET', '/catalog');
  assert.equal(r.status, 200);
  const v0 = r.body.version;
  assert.equal(r.headers.get('etag'), `"v${v0}"`);

  r = await call('POST', '/catalog/attributes', {
    body: { name: 'office', display_name: 'Office', allowed_values: ['Paris', 'Berlin'], purposes: ['personalization'],
      sources: { saml: [{ vendor: 'okta', name: 'office' }], oidc: ['office'] } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.version, v0 + 1);
  assert.equal(r.body.attribute.name, 'office');
  assert.equal(r.headers.get('etag'), `"v${v0 + 1}"`);

  // PATCH needs If-Match; a stale one is refused.
  r = await call('PATCH', '/catalog/attributes/office', { body: { description: 'x' } });
  assert.equal(r.status, 428);
  r = await call('PATCH', '/catalog/attributes/office', { body: { description: 'x' }, headers: { 'If-Match': `"v${v0}"` } });
  assert.equal(r.status, 412);
  assert.equal(r.body.code, 'request.precondition_failed');
  r = await call('PATCH', '/catalog/attributes/office', { body: { description: 'Main office' }, headers: { 'If-Match': `"v${v0 + 1}"` } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.attribute.description, 'Main office');

  r = await call('POST', '/catalog/attributes/formatted_name/deprecate', { body: { replaced_by: 'display_name' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.attribute.deprecated, true);
  assert.equal(r.body.attribute.replaced_by, 'display_name');
  const v3 = r.body.version;
  assert.equal(v3, v0 + 3);

  // Bad input: a stable code, the field, and no new version.
  const bad = [
    [{ name: 'Bad Name' }, 400, 'catalog.invalid_attribute', 'name'],
    [{ name: 'x', type: 'float' }, 400, 'catalog.invalid_attribute', 'type'],
    [{ name: 'x', pattern: '(a' }, 400, 'catalog.invalid_pattern', 'pattern'],
    [{ name: 'email' }, 409, 'catalog.attribute_exists', undefined],
    ['{not json', 400, 'request.invalid_json', undefined],
  ];
  for (const [body, status, code, field] of bad) {
    r = await call('POST', '/catalog/attributes', { body });
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.match(r.headers.get('content-type'), /application\/problem\+json/);
    assert.equal(r.body.code, code);
    if (field) assert.equal(r.body.field, field);
  }
  r = await call('POST', '/catalog/attributes/formatted_name/deprecate', { body: { replaced_by: 'nope' } });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'catalog.attribute_not_found');
  r = await call('GET', '/catalog');
  assert.equal(r.body.version, v3);

  // Versions and diffs.
  r = await call('GET', '/catalog/versions?limit=2');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.data.map((v) => v.version), [v3, v3 - 1]);
  assert.equal(r.body.data[0].action, 'catalog.attribute_deprecated');
  assert.equal(r.body.next_before, v3 - 1);
  r = await call('GET', `/catalog/versions/${v0 + 1}`);
  assert.equal(r.status, 200);
  assert.ok(r.body.catalog.attributes.some((a) => a.name === 'office'));
  assert.deepEqual(r.body.changes, [{ op: 'added', attribute: 'office' }]);
  r = await call('GET', '/catalog/versions/999');
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'catalog.version_not_found');
  r = await call('GET', `/catalog/diff?from=${v0}&to=${v3}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.changes.map((c) => `${c.op}:${c.attribute}`).sort(), ['added:office', 'deprecated:formatted_name']);
  r = await call('GET', '/catalog/diff?from=x&to=1');
  assert.equal(r.status, 400);
  assert.equal(r.body.code, 'request.invalid_parameter');

  // The public catalog moved to the new version.
  const pub = await fetch(`${srv.url}/sandbox/catalog.json`);
  assert.equal(pub.headers.get('etag'), `"v${v3}"`);

  const actions = auditActions();
  assert.ok(actions.includes('catalog.attribute_added'));
  assert.ok(actions.includes('catalog.attribute_updated'));
  assert.ok(actions.includes('catalog.attribute_deprecated'));

  // Read-only and organization keys cannot change the environment's catalog.
  r = await call('POST', '/catalog/attributes', { key: acmeKey, body: { name: 'y' } });
  assert.equal(r.status, 403);
});

test("custom attributes: under the organization's namespace, invisible to other organizations", async () => {
  const acme = `/organizations/${demo.organization_id}/catalog`;
  const globex = `/organizations/${globexId}/catalog`;
  const envVersion = (await call('GET', '/catalog')).body.version;

  let r = await call('POST', `${acme}/attributes`, { key: acmeKey, body: { name: 'badge_id', pattern: 'B-[0-9]{4}', purposes: ['authorization'] } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.version, 1);
  const qualified = r.body.attribute.name;
  assert.match(qualified, /^org\.[a-z0-9-]+\.badge_id$/);
  const ns = qualified.split('.')[1];
  assert.equal(r.body.attribute.custom, true);

  r = await call('GET', acme, { key: acmeKey });
  assert.equal(r.status, 200);
  assert.equal(r.body.namespace, ns);
  assert.ok(r.body.attributes.some((a) => a.name === qualified));
  assert.ok(r.body.attributes.some((a) => a.name === 'email'));
  r = await call('GET', `${acme}/attributes/${qualified}`, { key: acmeKey });
  assert.equal(r.status, 200);

  // Globex sees nothing of it: 404 for the attribute, nothing in its catalog or schemas.
  r = await call('GET', `${globex}/attributes/${qualified}`, { key: globexKey });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'catalog.attribute_not_found');
  r = await call('GET', globex, { key: globexKey });
  assert.equal(r.status, 200);
  assert.ok(!JSON.stringify(r.body).includes('badge_id'));
  r = await call('GET', `${globex}/scim/Schemas`, { key: globexKey });
  assert.ok(!JSON.stringify(r.body).includes('badge_id'));
  r = await call('GET', `${globex}/versions/1`, { key: globexKey });
  assert.equal(r.status, 404);
  r = await call('PATCH', `${globex}/attributes/${qualified}`, { key: globexKey, body: { description: 'x' }, headers: { 'If-Match': '*' } });
  assert.equal(r.status, 404);
  // Globex's key on acme's catalog: 404 exactly like an unknown organization.
  r = await call('GET', acme, { key: globexKey });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'tenant.not_found');
  r = await call('GET', '/organizations/0190f0f0-0000-7000-8000-000000000000/catalog');
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'tenant.not_found');

  // The environment's catalog is untouched; the public one shows no custom attribute.
  assert.equal((await call('GET', '/catalog')).body.version, envVersion);
  const pub = await (await fetch(`${srv.url}/sandbox/catalog.json`)).json();
  assert.ok(!JSON.stringify(pub).includes('badge_id'));

  // Generated artifacts for acme carry it.
  r = await call('GET', `${acme}/scim/Schemas`, { key: acmeKey });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /application\/scim\+json/);
  assert.equal(r.body.totalResults, 3);
  assert.equal(r.body.Resources[2].id, `urn:gatehouse:scim:schemas:extension:${ns}:2.0:User`);
  r = await call('GET', `${acme}/cedar-schema`, { key: acmeKey });
  assert.equal(r.body.Gatehouse.entityTypes.User.shape.attributes.custom.attributes.badge_id.type, 'String');
  r = await call('GET', '/catalog/claims-supported');
  assert.ok(r.body.claims_supported.includes('email'));
});

test('CLI: list, show, add, update, deprecate, versions, diff; errors exit non-zero with the code', () => {
  const list = JSON.parse(cli(['catalog', 'list', ...flags]));
  const v = list.version;
  assert.ok(list.attributes.some((a) => a.name === 'office'));
  const shown = JSON.parse(cli(['catalog', 'show', 'email', ...flags]));
  assert.equal(shown.name, 'email');
  const added = JSON.parse(cli(['catalog', 'add', '--json', '{"name":"floor","type":"integer"}', ...flags]));
  assert.equal(added.version, v + 1);
  const updated = JSON.parse(cli(['catalog', 'update', 'floor', '--set', '{"description":"Floor"}', '--expected-version', String(v + 1), ...flags]));
  assert.equal(updated.attribute.description, 'Floor');
  const dep = JSON.parse(cli(['catalog', 'deprecate', 'floor', '--replaced-by', 'office', ...flags]));
  assert.equal(dep.attribute.replaced_by, 'office');
  const versions = JSON.parse(cli(['catalog', 'versions', '--limit', '3', ...flags]));
  assert.deepEqual(versions.data.map((x) => x.version), [v + 3, v + 2, v + 1]);
  assert.equal(versions.data[0].actor.type, 'cli');
  const diff = JSON.parse(cli(['catalog', 'diff', '--from', String(v), '--to', String(v + 3), ...flags]));
  assert.deepEqual(diff.changes.map((c) => c.op), ['added']);

  let f = cliFails(['catalog', 'add', '--json', '{"name":"Bad"}', ...flags]);
  assert.notEqual(f.status, 0);
  assert.match(f.stderr, /catalog\.invalid_attribute/);
  f = cliFails(['catalog', 'update', 'floor', '--set', '{"description":"y"}', '--expected-version', '1', ...flags]);
  assert.match(f.stderr, /request\.precondition_failed/);
  f = cliFails(['catalog', 'show', 'nope', ...flags]);
  assert.match(f.stderr, /catalog\.attribute_not_found/);
  const after = JSON.parse(cli(['catalog', 'list', ...flags]));
  assert.equal(after.version, v + 3);

  // An organization's custom attribute through the CLI.
  const custom = JSON.parse(cli(['catalog', 'add', '--org', globexId, '--json', '{"name":"cost_code"}', ...flags]));
  assert.equal(custom.attribute.name, 'org.globex.cost_code');
});

test("connection mappings are checked against the organization's catalog when saved", async () => {
  // Acme's own custom attribute (made by the test above, or made here when run alone).
  const acme = `/organizations/${demo.organization_id}`;
  let r = await call('GET', `${acme}/catalog`, { key: acmeKey });
  const ns = r.body.namespace;
  const custom = `org.${ns}.badge_id`;
  if (!r.body.attributes.some((a) => a.name === custom)) {
    r = await call('POST', `${acme}/catalog/attributes`, { key: acmeKey, body: { name: 'badge_id' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  const count = async (org, key) => (await call('GET', `/organizations/${org}/connections`, { key })).body.data.length;
  const acmeBefore = await count(demo.organization_id, acmeKey);
  const globexBefore = await count(globexId, globexKey);

  // An attribute no catalog defines: refused with the catalog's code, nothing created.
  for (const mapping of [{ claims: { shoe_size: 'shoe' } }, { required: ['shoe_size'] }]) {
    r = await call('POST', `${acme}/connections`, { key: acmeKey, body: { type: 'test', name: 'Mapped', attribute_mapping: mapping } });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.code, 'catalog.unknown_attribute');
    assert.equal(r.body.attribute, 'shoe_size');
    assert.match(r.headers.get('content-type'), /application\/problem\+json/);
  }
  assert.equal(await count(demo.organization_id, acmeKey), acmeBefore);

  // Acme maps its own custom attribute and a default one.
  r = await call('POST', `${acme}/connections`, {
    key: acmeKey,
    body: { type: 'test', name: 'Mapped', attribute_mapping: { claims: { [custom]: 'badge', department: 'dept' }, required: ['email'] } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const conn = r.body;

  // Globex cannot name Acme's custom attribute: it is not in Globex's catalog.
  r = await call('POST', `/organizations/${globexId}/connections`, { key: globexKey, body: { type: 'test', name: 'Copy', attribute_mapping: { claims: { [custom]: 'badge' } } } });
  assert.equal(r.status, 422, JSON.stringify(r.body));
  assert.equal(r.body.code, 'catalog.unknown_attribute');
  assert.equal(await count(globexId, globexKey), globexBefore);

  // A PATCH naming an unknown attribute changes nothing.
  r = await call('PATCH', `${acme}/connections/${conn.id}`, { key: acmeKey, body: { attribute_mapping: { claims: { shoe_size: 'x' } } }, headers: { 'If-Match': '*' } });
  assert.equal(r.status, 422, JSON.stringify(r.body));
  r = await call('GET', `${acme}/connections/${conn.id}`, { key: acmeKey });
  assert.equal(r.body.attribute_mapping.claims[custom], 'badge');
  assert.equal(r.body.attribute_mapping.claims.shoe_size, undefined);
  // Globex's key cannot read or change Acme's connection (404).
  r = await call('GET', `${acme}/connections/${conn.id}`, { key: globexKey });
  assert.equal(r.status, 404);
  r = await call('GET', `/organizations/${globexId}/connections/${conn.id}`, { key: globexKey });
  assert.equal(r.status, 404);
});
