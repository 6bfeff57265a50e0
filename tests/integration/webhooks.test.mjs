// Webhooks and the events API end to end, with a local receiver: signatures verify (HMAC
// recomputed here), the receiver is down a while and still gets every event, nothing is lost
// across kill -9 of gatehouse (and events written by the CLI meanwhile), redelivery, an
// organization's endpoint never hears another organization, event-type filters, secret
// rotation with overlap, and each kind of bad input with its own code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cleanup, cli as cliRaw, freePort, startServer, tempDir, waitFor } from './lib.mjs';

// SQLite by default; a fresh PostgreSQL database when GATEHOUSE_WEBHOOKS_ON_PG=1 (ctest's
// integration_webhooks_pg, with GATEHOUSE_TEST_PG from `make test`).
let STORE;
if (process.env.GATEHOUSE_WEBHOOKS_ON_PG === '1') {
  const admin = process.env.GATEHOUSE_TEST_PG;
  if (!admin) throw new Error('GATEHOUSE_TEST_PG is not set: run through `make test`');
  const db = `gh_wh_${crypto.randomBytes(4).toString('hex')}`;
  execFileSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-Atc', `CREATE DATABASE ${db}`]);
  STORE = admin.replace(/\/[^/]*$/, `/${db}`);
}
const cli = (args) => cliRaw(STORE ? [...args, '--store', STORE] : args);

let dir, srv, demo, base;
const serverEnv = {
  GATEHOUSE_WEBHOOK_RETRY_BASE_MS: '200',
  GATEHOUSE_WEBHOOK_RETRY_MAX_MS: '1000',
  GATEHOUSE_WEBHOOK_MAX_ATTEMPTS: '100',
  GATEHOUSE_WEBHOOK_TIMEOUT_MS: '1000',  // a lease held across kill -9 ends within 25 s
};

// A receiver that can go down (connection refused) and come back on the same port.
class Receiver {
  constructor(port) { this.port = port; this.got = []; this.server = null; this.status = 200; }
  url(path = '/hook') { return `http://127.0.0.1:${this.port}${path}`; }
  async up() {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        this.got.push({ path: req.url, headers: req.headers, body, at: Date.now() });
        res.writeHead(this.status).end('ok');
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
  eventIds(path) {
    return new Set(this.got.filter((g) => !path || g.path === path).map((g) => JSON.parse(g.body).id));
  }
}

function verify(header, body, secret, toleranceS = 300) {
  const parts = header.split(',');
  const t = Number(parts.find((p) => p.startsWith('t=')).slice(2));
  if (Math.abs(Date.now() / 1000 - t) > toleranceS) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return parts.filter((p) => p.startsWith('v1=')).some((p) => {
    const v = Buffer.from(p.slice(3));
    return v.length === expected.length && crypto.timingSafeEqual(v, Buffer.from(expected));
  });
}

async function call(method, path, { key = demo.admin_api_key, body, raw } = {}) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined || raw !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch {}
  return { status: r.status, body: parsed };
}

async function allEvents(path = '/events', key) {
  const out = [];
  let cursor = '';
  for (;;) {
    const r = await call('GET', `${path}?limit=3${cursor ? `&after=${cursor}` : ''}`, { key });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body.data);
    if (r.body.data.length === 0) return { events: out, cursor: r.body.next_cursor };
    cursor = r.body.next_cursor;
  }
}

// The events API once `ready(events)` holds (bounded). On PostgreSQL a read stops below the
// oldest transaction still running anywhere in the cluster, so events committed a moment ago
// can stay hidden while another test's database holds a transaction open.
async function readableEvents(ready, path = '/events', key) {
  let got;
  await waitFor(async () => ready((got = await allEvents(path, key)).events), { timeoutMs: 5000, intervalMs: 50 });
  return got;
}

async function start() {
  srv = await startServer({ dataDir: dir, store: STORE, env: serverEnv });
  base = `${srv.url}/api/v1/environments/sandbox`;
}

let rx;
before(async () => {
  dir = tempDir();
  demo = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn']));
  rx = new Receiver(await freePort());
  await rx.up();
  await start();
});
after(async () => {
  await srv.stop();
  await rx.down();
  cleanup(dir);
});

test('the events API pages in commit order with an opaque cursor; bad cursors are refused', async () => {
  await call('POST', '/organizations', { body: { name: 'Events One', slug: 'events-one' } });
  const { events, cursor } = await readableEvents((evs) => evs.some((e) => e.type === 'organization.created' && JSON.stringify(e.data).includes('events-one')));
  assert.ok(events.length >= 2);
  const ids = events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(events.some((e) => e.type === 'organization.created' && e.data));
  // Polling with the last cursor returns nothing new and the same cursor.
  const again = await call('GET', `/events?after=${cursor}`);
  assert.deepEqual(again.body.data, []);
  assert.equal(again.body.next_cursor, cursor);
  for (const bad of ['!!!', 'bm9kb3Q', 'YS5i']) {
    const r = await call('GET', `/events?after=${bad}`);
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'request.invalid_parameter');
  }
  assert.equal((await call('GET', '/events?limit=0')).body.code, 'request.invalid_parameter');
  // An organization's events, for its own key only.
  const org = (await call('POST', '/organizations', { body: { name: 'Events Two', slug: 'events-two' } })).body;
  const key = (await call('POST', `/organizations/${org.id}/api-keys`, { body: { name: 'k' } })).body.secret;
  const mine = await readableEvents((evs) => evs.some((e) => e.type === 'api_key.created'), `/organizations/${org.id}/events`, key);
  assert.ok(mine.events.length >= 2);
  assert.ok(mine.events.every((e) => e.organization_id === org.id));
  assert.equal((await call('GET', '/events', { key })).status, 403);
  assert.equal((await call('GET', `/organizations/${demo.organization_id}/events`, { key })).body.code, 'tenant.not_found');
});

test('bad webhook input gets its own codes and changes nothing', async () => {
  const before = (await call('GET', '/webhooks')).body.data.length;
  const cases = [
    [{ url: 'http://example.com/hook' }, 'webhook.invalid_url'],
    [{ url: 'ftp://example.com/' }, 'webhook.invalid_url'],
    [{ url: 'https://u:p@example.com/' }, 'webhook.invalid_url'],
    [{}, 'webhook.invalid_url'],
    [{ url: rx.url(), event_types: 'organization.created' }, 'webhook.invalid_event_types'],
    [{ url: rx.url(), event_types: [] }, 'webhook.invalid_event_types'],
    [{ url: rx.url(), event_types: ['Not A Type'] }, 'webhook.invalid_event_types'],
    [{ url: rx.url(), event_types: [1] }, 'webhook.invalid_event_types'],
    [{ url: rx.url(), enabled: 'yes' }, 'request.invalid_field'],
    [{ url: rx.url(), color: 'red' }, 'request.invalid_field'],
    [{ url: rx.url(), organization_id: 'no-such-org' }, 'tenant.not_found'],
  ];
  for (const [body, code] of cases) {
    const r = await call('POST', '/webhooks', { body });
    assert.equal(r.body.code, code, JSON.stringify(body));
    assert.ok(r.status >= 400 && r.status < 500);
  }
  assert.equal((await call('POST', '/webhooks', { raw: '{"url": ' })).body.code, 'request.invalid_json');
  assert.equal((await call('GET', '/webhooks/nope')).body.code, 'webhook.not_found');
  assert.equal((await call('DELETE', '/webhooks/nope')).body.code, 'webhook.not_found');
  const e = (await call('POST', '/webhooks', { body: { url: rx.url('/scratch'), enabled: false } })).body;
  assert.equal((await call('POST', `/webhooks/${e.id}/rotate-secret`, { body: { overlap_seconds: -5 } })).body.code, 'webhook.invalid_rotation');
  assert.equal((await call('POST', `/webhooks/${e.id}/deliveries/nope/redeliver`)).body.code, 'webhook.delivery_not_found');
  assert.equal((await call('DELETE', `/webhooks/${e.id}`)).status, 204);
  assert.equal((await call('GET', '/webhooks')).body.data.length, before);
});

test('signed deliveries, filters, organization scope, receiver down, kill -9, redelivery', async () => {
  const all = (await call('POST', '/webhooks', { body: { url: rx.url('/all'), description: 'everything' } })).body;
  assert.match(all.secret, /^whsec_/);
  assert.equal((await call('GET', `/webhooks/${all.id}`)).body.secret, undefined, 'shown once');
  const createdOnly = (await call('POST', '/webhooks', { body: { url: rx.url('/created'), event_types: ['organization.created'] } })).body;
  // The demo organization's own endpoint, made with its own key.
  const orgKey = (await call('POST', `/organizations/${demo.organization_id}/api-keys`, { body: { name: 'demo tooling' } })).body.secret;
  const mineR = await call('POST', `/organizations/${demo.organization_id}/webhooks`, { key: orgKey, body: { url: rx.url('/demo') } });
  assert.equal(mineR.status, 201, JSON.stringify(mineR.body));
  const mine = mineR.body;
  assert.equal(mine.organization_id, demo.organization_id);
  // The organization key cannot see environment-wide endpoints.
  assert.equal((await call('GET', '/webhooks', { key: orgKey })).status, 403);
  assert.equal((await call('GET', `/organizations/${demo.organization_id}/webhooks/${all.id}`, { key: orgKey })).body.code, 'webhook.not_found');

  const { cursor: start0 } = await readableEvents((evs) => evs.some((e) => e.type === 'api_key.created' && JSON.stringify(e.data).includes('demo tooling')));
  const made = [];
  const mk = async (slug) => {
    const r = await call('POST', '/organizations', { body: { name: slug, slug } });
    assert.equal(r.status, 201);
    made.push(r.body.id);
  };
  await mk('wh-one');
  // The demo organization changes: only its endpoint and "all" hear organization.updated.
  const demoOrg = await fetch(`${base}/organizations/${demo.organization_id}`, { headers: { Authorization: `Bearer ${demo.admin_api_key}` } });
  const etag = demoOrg.headers.get('etag');
  const upd = await fetch(`${base}/organizations/${demo.organization_id}`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${demo.admin_api_key}`, 'Content-Type': 'application/json', 'If-Match': etag },
    body: JSON.stringify({ metadata: { tier: 'gold' } }),
  });
  assert.equal(upd.status, 200);
  assert.ok((await waitFor(() => rx.eventIds('/demo').size >= 1 && rx.eventIds('/all').size >= 2, { timeoutMs: 10000 })) >= 0, 'first deliveries');

  // Receiver down; more events; gatehouse killed hard; more events through the CLI while it
  // is down; gatehouse back; receiver back: everything arrives.
  await rx.down();
  await mk('wh-two');
  await mk('wh-three');
  await new Promise((r) => setTimeout(r, 700));  // a few failed attempts recorded
  const failing = (await call('GET', `/webhooks/${all.id}/deliveries`)).body.data;
  assert.ok(failing.some((d) => d.status === 'pending' && d.attempts >= 1 && d.last_error), JSON.stringify(failing));
  srv.child.kill('SIGKILL');
  await srv.exited;
  const viaCli = JSON.parse(cli(['org', 'create', '--data-dir', dir, '--name', 'wh-four', '--slug', 'wh-four', '--log-level', 'warn']));
  made.push(viaCli.id);
  await start();
  await mk('wh-five');
  await new Promise((r) => setTimeout(r, 500));
  await rx.up();

  let since;
  await waitFor(async () => (since = await call('GET', `/events?after=${start0}&limit=1000`)).body.data.some((e) => e.type === 'organization.created' && JSON.stringify(e.data).includes('wh-five')), { timeoutMs: 5000, intervalMs: 50 });
  const expected = new Set(since.body.data.map((e) => e.id));
  const expectedCreated = new Set(since.body.data.filter((e) => e.type === 'organization.created').map((e) => e.id));
  assert.ok(expected.size >= 6);
  const waited = await waitFor(() => [...expected].every((id) => rx.eventIds('/all').has(id)) &&
                                     [...expectedCreated].every((id) => rx.eventIds('/created').has(id)),
                               { timeoutMs: 45000, intervalMs: 100 });
  if (waited < 0) {
    const missing = [...expected].filter((id) => !rx.eventIds('/all').has(id));
    const hist = (await call('GET', `/webhooks/${all.id}/deliveries?limit=1000`)).body.data;
    assert.fail(`missing: ${JSON.stringify(since.body.data.filter((e) => missing.includes(e.id)))} deliveries: ${JSON.stringify(hist.filter((d) => missing.includes(d.event_id)))}`);
  }

  // Filters and scope: /created only organization.created; /demo only the demo organization's.
  for (const g of rx.got.filter((g) => g.path === '/created')) assert.equal(JSON.parse(g.body).type, 'organization.created');
  const demoBodies = rx.got.filter((g) => g.path === '/demo').map((g) => JSON.parse(g.body));
  assert.ok(demoBodies.length >= 1);
  for (const b of demoBodies) assert.equal(b.organization_id, demo.organization_id);
  for (const id of made) assert.ok(!demoBodies.some((b) => b.organization_id === id));

  // Every request verifies with its endpoint's secret and carries the documented headers.
  const secrets = { '/all': all.secret, '/created': createdOnly.secret, '/demo': mine.secret };
  for (const g of rx.got) {
    assert.ok(verify(g.headers['gatehouse-signature'], g.body, secrets[g.path]), `signature on ${g.path}`);
    assert.ok(!verify(g.headers['gatehouse-signature'], g.body, 'whsec_wrong'));
    const body = JSON.parse(g.body);
    assert.equal(g.headers['gatehouse-event-id'], body.id);
    assert.equal(g.headers['gatehouse-event-type'], body.type);
  }

  // History shows the successes; redelivery sends the same event (same id) again.
  await waitFor(async () => (await call('GET', `/webhooks/${all.id}/deliveries?limit=1000`)).body.data.every((d) => d.status === 'succeeded'), { timeoutMs: 5000 });
  const history = (await call('GET', `/webhooks/${all.id}/deliveries?limit=1000`)).body.data;
  assert.ok(history.every((d) => d.status === 'succeeded'), JSON.stringify(history.filter((d) => d.status !== 'succeeded')));
  assert.ok(history.some((d) => d.attempts > 1), 'some needed retries');
  const one = history[0];
  const count = () => rx.got.filter((g) => g.path === '/all' && JSON.parse(g.body).id === one.event_id).length;
  const n0 = count();
  const re = await call('POST', `/webhooks/${all.id}/deliveries/${one.id}/redeliver`);
  assert.equal(re.status, 202);
  assert.ok((await waitFor(() => count() > n0, { timeoutMs: 10000 })) >= 0, 'redelivered');
  // CLI: history and redelivery.
  const cliHistory = JSON.parse(cli(['webhook', 'deliveries', all.id, '--data-dir', dir, '--log-level', 'warn']));
  assert.ok(cliHistory.length >= 1);
  JSON.parse(cli(['webhook', 'redeliver', all.id, one.id, '--data-dir', dir, '--log-level', 'warn']));
  assert.ok((await waitFor(() => count() > n0 + 1, { timeoutMs: 10000 })) >= 0, 'redelivered via CLI');
  // Another organization's key cannot redeliver or read this endpoint's history.
  assert.equal((await call('GET', `/organizations/${demo.organization_id}/webhooks/${all.id}/deliveries`, { key: orgKey })).body.code, 'webhook.not_found');
});

test('rotation: both secrets sign during the overlap, then only the new one', async () => {
  const e = (await call('POST', '/webhooks', { body: { url: rx.url('/rot'), event_types: ['organization.created'] } })).body;
  const rot = await call('POST', `/webhooks/${e.id}/rotate-secret`, { body: { overlap_seconds: 3600 } });
  assert.equal(rot.status, 200);
  assert.notEqual(rot.body.secret, e.secret);
  assert.equal(rot.body.secrets.length, 2);
  await call('POST', '/organizations', { body: { name: 'rot-one', slug: 'rot-one' } });
  assert.ok((await waitFor(() => rx.got.some((g) => g.path === '/rot'), { timeoutMs: 10000 })) >= 0);
  const g = rx.got.find((x) => x.path === '/rot');
  assert.equal(g.headers['gatehouse-signature'].split(',').filter((p) => p.startsWith('v1=')).length, 2);
  assert.ok(verify(g.headers['gatehouse-signature'], g.body, e.secret));
  assert.ok(verify(g.headers['gatehouse-signature'], g.body, rot.body.secret));
  const rot2 = await call('POST', `/webhooks/${e.id}/rotate-secret`, { body: { overlap_seconds: 0 } });
  await call('POST', '/organizations', { body: { name: 'rot-two', slug: 'rot-two' } });
  assert.ok((await waitFor(() => rx.got.filter((x) => x.path === '/rot').length >= 2, { timeoutMs: 10000 })) >= 0);
  const g2 = rx.got.filter((x) => x.path === '/rot')[1];
  assert.ok(verify(g2.headers['gatehouse-signature'], g2.body, rot2.body.secret));
  assert.ok(!verify(g2.headers['gatehouse-signature'], g2.body, e.secret));
});
