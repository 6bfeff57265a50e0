// Verified domains end to end: the real binary checks DNS TXT records through a throwaway
// dnsmasq (Debian) on a random local port. Claim → pending with a token; verify fails while
// the record is absent; publish → verified; a second organization's claim in the same
// environment is refused, another environment's is fine; the record disappears → scheduled
// re-verification fails the domain and the event is in the outbox; isolation; bad input.
// The flow runs on SQLite, and on PostgreSQL when GATEHOUSE_TEST_PG is set (`make test`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { cleanup, cli, cliFails, DnsServer, startServer, tempDir, waitFor } from './lib.mjs';

const PG_ADMIN = process.env.GATEHOUSE_TEST_PG;
const dns = new DnsServer();
const stacks = [];

function psql(url, sql) {
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8' }).trim();
}

// One gatehouse (seeded, with a production environment and its key) on a store of its own.
async function stack(backend) {
  const dir = tempDir();
  let store;
  if (backend === 'postgres') {
    const db = `gh_it_${randomBytes(4).toString('hex')}`;
    psql(PG_ADMIN, `CREATE DATABASE ${db}`);
    store = PG_ADMIN.replace(/\/[^/]*$/, `/${db}`);
  }
  const flags = ['--data-dir', dir, '--log-level', 'warn', ...(store ? ['--store', store] : [])];
  const demo = JSON.parse(cli(['seed-demo', ...flags]));
  cli(['env', 'create', 'production', ...flags]);
  const prodKey = JSON.parse(cli(['apikey', 'create', '--env', 'production', '--name', 'prod', ...flags])).secret;
  const srv = await startServer({
    dataDir: dir,
    store,
    env: {
      GATEHOUSE_DNS_NAMESERVER: dns.address,
      GATEHOUSE_DOMAIN_REVERIFY_INTERVAL_S: '1',
      GATEHOUSE_DOMAIN_CHECK_TIMEOUT_MS: '1000',
    },
  });
  const s = {
    dir, store, flags, demo, prodKey, srv,
    // The outbox rows of domain events, in commit order.
    events() {
      const sql = "SELECT type, payload FROM outbox WHERE type LIKE 'domain.%' ORDER BY tx, seq";
      const rows = store
        ? psql(store, `SELECT json_agg(t) FROM (${sql}) t`) || '[]'
        : execFileSync('sqlite3', ['-json', path.join(dir, 'gatehouse.db'), sql], { encoding: 'utf8' }).trim() || '[]';
      return (JSON.parse(rows) ?? []).map((r) => ({ type: r.type, payload: JSON.parse(r.payload) }));
    },
    async call(method, p, { key = demo.admin_api_key, env = 'sandbox', body } = {}) {
      return call(srv, method, p, { key, env, body });
    },
  };
  stacks.push(s);
  return s;
}

async function call(srv, method, p, { key, env = 'sandbox', body } = {}) {
  const r = await fetch(`${srv.url}/api/v1/environments/${env}${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed };
}

let lite;
before(async () => {
  await dns.restart();
  lite = await stack('sqlite');
});

after(async () => {
  for (const s of stacks) {
    await s.srv.stop();
    if (s.store) {
      try { psql(PG_ADMIN, `DROP DATABASE IF EXISTS ${s.store.replace(/^.*\//, '')} WITH (FORCE)`); } catch { /* best effort */ }
    }
    cleanup(s.dir);
  }
  await dns.stop();
});

async function claimVerifyAndLose(s, domain) {
  const { demo, prodKey, flags } = s;
  const call = s.call;
  const org = `/organizations/${demo.organization_id}`;
  // Claim: pending, with the record to publish. Upper case and the trailing dot are normalized.
  const claimed = await call('POST', `${org}/domains`, { body: { domain: `${domain.toUpperCase()}.` } });
  assert.equal(claimed.status, 201, JSON.stringify(claimed.body));
  assert.equal(claimed.body.domain, domain);
  assert.equal(claimed.body.state, 'pending');
  assert.equal(claimed.body.verification.type, 'TXT');
  assert.equal(claimed.body.verification.name, `_gatehouse-verification.${domain}`);
  assert.match(claimed.body.verification.value, /^gatehouse-verification=[A-Za-z0-9_-]{32}$/);
  const { name, value } = claimed.body.verification;

  // Verify before publishing: a clear code, the expected record, and the state unchanged.
  let r = await call('POST', `${org}/domains/${domain}/verify`);
  assert.equal(r.status, 422);
  assert.equal(r.body.code, 'domain.verification_failed');
  assert.match(r.body.detail ?? r.body.message ?? JSON.stringify(r.body), /does not exist/);
  assert.equal(r.body.expected.name, name);
  assert.equal(r.body.expected.value, value);
  assert.equal(r.body.state, 'pending');

  // A wrong record: the answer says what was found.
  await dns.set(name, 'gatehouse-verification=stale');
  r = await call('POST', `${org}/domains/${domain}/verify`);
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.found, ['gatehouse-verification=stale']);
  r = await call('GET', `${org}/domains/${domain}`);
  assert.equal(r.body.state, 'pending');
  assert.match(r.body.last_error, /gatehouse-verification=stale/);
  assert.ok(r.body.last_checked_at);

  // Publish: verified.
  await dns.set(name, value);
  r = await call('POST', `${org}/domains/${domain.toUpperCase()}/verify`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.state, 'verified');
  assert.ok(r.body.verified_at);
  assert.equal(r.body.last_error, null);
  r = await call('GET', `${org}/domains`);
  // seed-demo gives the demo organization example.test (verified) for the demo login.
  assert.deepEqual(r.body.data.map((d) => [d.domain, d.state]).filter(([n]) => n !== 'example.test'),
    [[domain, 'verified']]);
  r = await call('POST', `${org}/domains`, { body: { domain: domain } });
  assert.equal(r.status, 409);
  assert.equal(r.body.code, 'domain.already_added');

  // Another organization of the environment cannot claim it; another environment can.
  const other = await call('POST', '/organizations', { body: { name: 'Globex', slug: 'globex' } });
  assert.equal(other.status, 201);
  r = await call('POST', `/organizations/${other.body.id}/domains`, { body: { domain: domain } });
  assert.equal(r.status, 409);
  assert.equal(r.body.code, 'domain.already_claimed');
  const prodOrg = await call('POST', '/organizations', { key: prodKey, env: 'production', body: { name: 'Acme', slug: 'acme' } });
  assert.equal(prodOrg.status, 201);
  r = await call('POST', `/organizations/${prodOrg.body.id}/domains`, { key: prodKey, env: 'production', body: { domain: domain } });
  assert.equal(r.status, 201, JSON.stringify(r.body));

  // Another organization's key sees none of it: 404 for every domain route.
  const otherKey = JSON.parse(cli(['apikey', 'create', '--org', other.body.id, '--name', 'globex', ...flags])).secret;
  for (const [method, p, body] of [
    ['GET', `${org}/domains`], ['GET', `${org}/domains/${domain}`],
    ['POST', `${org}/domains`, { domain: 'x.example' }], ['POST', `${org}/domains/${domain}/verify`],
    ['DELETE', `${org}/domains/${domain}`],
  ]) {
    r = await call(method, p, { key: otherKey, body });
    assert.equal(r.status, 404, `${method} ${p}`);
    assert.equal(r.body.code, 'tenant.not_found');
  }
  r = await call('GET', `/organizations/${other.body.id}/domains/${domain}`, { key: otherKey });
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'domain.not_found');

  // The record disappears: scheduled re-verification (every second here) fails the domain.
  await dns.remove(name);
  const flipped = await waitFor(async () => (await call('GET', `${org}/domains/${domain}`)).body.state === 'failed',
    { timeoutMs: 15000, intervalMs: 200 });
  assert.ok(flipped >= 0, 'the domain did not flip to failed');
  r = await call('GET', `${org}/domains/${domain}`);
  assert.match(r.body.last_error, /does not exist/);
  const events = s.events().filter((e) => e.payload.domain.organization_id === demo.organization_id);
  assert.deepEqual(events.map((e) => e.type), ['domain.added', 'domain.verified', 'domain.verification_failed']);
  const failed = events[2].payload;
  assert.equal(failed.domain.domain, domain);
  assert.equal(failed.domain.state, 'failed');
  assert.equal(failed.environment, 'sandbox');

  // No longer verified by anyone: the other organization may now claim and prove it.
  r = await call('POST', `/organizations/${other.body.id}/domains`, { body: { domain: domain } });
  assert.equal(r.status, 201, JSON.stringify(r.body));

  // Remove.
  r = await call('DELETE', `${org}/domains/${domain}`);
  assert.equal(r.status, 200);
  r = await call('GET', `${org}/domains/${domain}`);
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'domain.not_found');
}

test('SQLite: claim, fail while unpublished, publish, verify, exclusive per environment, re-verify fails', async () => {
  await claimVerifyAndLose(lite, 'acme.example');
});

test('PostgreSQL: the same flow', { skip: PG_ADMIN ? false : 'GATEHOUSE_TEST_PG is not set' }, async () => {
  await claimVerifyAndLose(await stack('postgres'), 'pg.example');
});

test('bad domain names get domain.invalid with the reason; bad bodies their own codes', async () => {
  const p = `/organizations/${lite.demo.organization_id}/domains`;
  for (const [domain, why] of [
    ['not a domain', /not allowed/],
    ['localhost', /two labels/],
    [`${'a'.repeat(64)}.example`, /longer than 63/],
    [`${'abcdefghi.'.repeat(26)}example`, /at most 253/],
    ['10.1.2.3', /IP address/],
    ['*.example.com', /wildcard/],
    ['bücher.example', /punycode/],
    ['a..example', /empty label/],
  ]) {
    const r = await lite.call('POST', p, { body: { domain } });
    assert.equal(r.status, 400, domain);
    assert.equal(r.body.code, 'domain.invalid', domain);
    assert.match(r.body.detail ?? '', why, `${domain}: ${JSON.stringify(r.body)}`);
  }
  let r = await lite.call('POST', p, { body: {} });
  assert.equal(r.status, 400);
  assert.equal(r.body.code, 'request.invalid_field');
  r = await lite.call('POST', p, { body: { domain: 7 } });
  assert.equal(r.body.code, 'request.invalid_field');
  r = await lite.call('POST', p, { body: { domain: 'ok.example', extra: 1 } });
  assert.equal(r.body.code, 'request.invalid_field');
  r = await lite.call('GET', `${p}/never-added.example`);
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'domain.not_found');
  r = await lite.call('GET', `/organizations/0190f0f0-0000-7000-8000-000000000000/domains`);
  assert.equal(r.status, 404);
  assert.equal(r.body.code, 'tenant.not_found');
});

test('a nameserver that is not IPv4[:port] is refused at configuration time', () => {
  for (const bad of ['dns.example', '127.0.0.1:0', '127.0.0.1:x']) {
    const r = cliFails(['config', 'check'], { env: { GATEHOUSE_DNS_NAMESERVER: bad } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /dns_nameserver must be an IPv4 address/);
  }
});

test('CLI: domain add, list, verify, remove', () => {
  const args = ['--org', lite.demo.organization_id, ...lite.flags, '--dns-nameserver', dns.address];
  const added = JSON.parse(cli(['domain', 'add', 'cli.example', ...args]));
  assert.equal(added.state, 'pending');
  const list = JSON.parse(cli(['domain', 'list', ...args]));
  assert.ok(list.some((d) => d.domain === 'cli.example'));
  let failed;
  try { cli(['domain', 'verify', 'cli.example', ...args]); } catch (e) { failed = e; }
  assert.ok(failed, 'verify should fail without the record');
  assert.match(failed.stderr, /domain\.verification_failed/);
  const removed = JSON.parse(cli(['domain', 'remove', 'cli.example', ...args]));
  assert.equal(removed.domain, 'cli.example');
});
