// The gatehouse binary end to end on SQLite: the two commands' building blocks, the HTTP
// server's limits and behaviours, and the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import {
  BIN, bodyOf, cleanup, cli, cliFails, freePort, rawRequest, startServer, statusOf, tempDir,
} from './lib.mjs';

test('seed-demo is idempotent, keeps its record 0600 and derives issuers from public_url', () => {
  const dir = tempDir();
  try {
    const first = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn']));
    assert.equal(first.environment, 'sandbox');
    assert.equal(first.issuer, 'http://127.0.0.1:8080/sandbox');
    const mode = statSync(`${dir}/demo.json`).mode & 0o777;
    assert.equal(mode, 0o600);
    const second = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn']));
    assert.deepEqual(second, first);
    const moved = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--public-url', 'http://127.0.0.1:9999', '--log-level', 'warn']));
    assert.equal(moved.issuer, 'http://127.0.0.1:9999/sandbox');
    const envs = JSON.parse(cli(['env', 'list', '--data-dir', dir, '--log-level', 'warn']));
    assert.equal(envs.length, 1, 'seeding twice creates nothing twice');
  } finally {
    cleanup(dir);
  }
});

test('serve answers health, readiness, metrics and environments with request ids', async () => {
  const dir = tempDir();
  cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn']);
  const srv = await startServer({ dataDir: dir });
  try {
    assert.ok(srv.readyLine.startup_ms < 2000);
    let r = await fetch(`${srv.url}/healthz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });
    assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{16}$/);

    r = await fetch(`${srv.url}/readyz`);
    assert.equal(r.status, 200);
    const ready = await r.json();
    assert.equal(ready.status, 'ready');
    assert.equal(ready.store, 'sqlite');

    r = await fetch(`${srv.url}/sandbox`);
    assert.equal(r.status, 200);
    assert.equal((await r.json()).issuer, `${srv.url}/sandbox`);

    r = await fetch(`${srv.url}/staging`);
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    const problem = await r.json();
    assert.equal(problem.code, 'environment.not_found');
    assert.equal(problem.request_id, r.headers.get('x-request-id'));

    r = await fetch(`${srv.url}/a/b/c/d`);
    assert.equal(r.status, 404);
    assert.equal((await r.json()).code, 'route.not_found');

    r = await fetch(`${srv.url}/healthz`, { method: 'DELETE' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET');
    assert.equal((await r.json()).code, 'route.method_not_allowed');

    r = await fetch(`${srv.url}/metrics`);
    const metrics = await r.text();
    assert.match(metrics, /gatehouse_http_requests_total\{route="GET \/healthz",status="200"\} 1/);
    assert.match(metrics, /gatehouse_http_request_duration_seconds_bucket\{route="GET \/readyz",le="\+Inf"\} 1/);
    assert.match(metrics, /gatehouse_store_pool_size \d+/);
    assert.match(metrics, /gatehouse_http_in_flight_requests/);

    // Every access-log line carries the request id.
    await new Promise((res) => setTimeout(res, 100));
    const access = srv.lines.filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l));
    assert.ok(access.length >= 6);
    for (const a of access) assert.match(a.request_id, /^[0-9a-f]{16}$/);
  } finally {
    await srv.stop();
    cleanup(dir);
  }
});

test('limits answer 431, 413, 400 and 408 as problem+json, never crash', async () => {
  const dir = tempDir();
  const srv = await startServer({ dataDir: dir, env: { GATEHOUSE_READ_TIMEOUT_MS: '400' } });
  try {
    let raw = await rawRequest(srv.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
    assert.equal(statusOf(raw), 431);
    assert.equal(JSON.parse(bodyOf(raw)).code, 'request.headers_too_large');

    raw = await rawRequest(srv.port, `POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n`);
    assert.equal(statusOf(raw), 413);
    assert.equal(JSON.parse(bodyOf(raw)).code, 'request.body_too_large');

    // Chunked: the size is only known while reading.
    const chunk = 'x'.repeat(65536);
    let chunked = 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (let i = 0; i < 20; i++) chunked += `10000\r\n${chunk}\r\n`;
    chunked += '0\r\n\r\n';
    raw = await rawRequest(srv.port, chunked);
    assert.equal(statusOf(raw), 413);

    raw = await rawRequest(srv.port, 'BLAH\r\n\r\n');
    assert.equal(statusOf(raw), 400);
    assert.equal(JSON.parse(bodyOf(raw)).code, 'request.malformed');

    raw = await rawRequest(srv.port, 'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(statusOf(raw), 400);

    raw = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', { timeoutMs: 3000 });
    assert.equal(statusOf(raw), 408);
    assert.equal(JSON.parse(bodyOf(raw)).code, 'request.timeout');

    // Still alive and well.
    const r = await fetch(`${srv.url}/healthz`);
    assert.equal(r.status, 200);
  } finally {
    await srv.stop();
    cleanup(dir);
  }
});

test('connections beyond max_connections get 503 server.overloaded', async () => {
  const dir = tempDir();
  const srv = await startServer({ dataDir: dir, env: { GATEHOUSE_MAX_CONNECTIONS: '2' } });
  const held = [];
  try {
    for (let i = 0; i < 2; i++) {
      const s = net.connect(srv.port, '127.0.0.1');
      await new Promise((res) => s.on('connect', res));
      held.push(s);
    }
    await new Promise((res) => setTimeout(res, 100));
    const raw = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(statusOf(raw), 503);
    assert.match(raw, /Retry-After: 1/i);
    assert.equal(JSON.parse(bodyOf(raw)).code, 'server.overloaded');
    for (const s of held) s.destroy();
    await new Promise((res) => setTimeout(res, 200));
    assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
  } finally {
    for (const s of held) s.destroy();
    await srv.stop();
    cleanup(dir);
  }
});

test('X-Forwarded-For is believed only from trusted proxies', async () => {
  const dir = tempDir();
  const plain = await startServer({ dataDir: dir });
  try {
    await fetch(`${plain.url}/healthz`, { headers: { 'X-Forwarded-For': '203.0.113.5' } });
    await new Promise((res) => setTimeout(res, 100));
    const line = plain.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request');
    assert.equal(line.client_ip, '127.0.0.1');
  } finally {
    await plain.stop();
  }
  const trusting = await startServer({ dataDir: dir, env: { GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1/32' } });
  try {
    await fetch(`${trusting.url}/healthz`, { headers: { 'X-Forwarded-For': '198.51.100.1, 203.0.113.5' } });
    await new Promise((res) => setTimeout(res, 100));
    const line = trusting.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request');
    assert.equal(line.client_ip, '203.0.113.5');
  } finally {
    await trusting.stop();
    cleanup(dir);
  }
});

test('SIGTERM drains: idle keep-alive connections close and the process exits 0', async () => {
  const dir = tempDir();
  const srv = await startServer({ dataDir: dir });
  try {
    const sock = net.connect(srv.port, '127.0.0.1');
    await new Promise((res) => sock.on('connect', res));
    let got = '';
    sock.on('data', (d) => { got += d.toString(); });
    const closed = new Promise((res) => sock.on('close', res));
    sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(statusOf(got), 200);
    const t0 = Date.now();
    const exit = await srv.stop('SIGTERM');
    await closed;
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - t0 < 3000, 'drain of idle connections is prompt');
    assert.ok(srv.lines.some((l) => l.includes('"msg":"draining"')));
  } finally {
    cleanup(dir);
  }
});

test('serve refuses a non-https public_url unless it is loopback', async () => {
  const dir = tempDir();
  try {
    const r = cliFails(['serve', '--data-dir', dir, '--listen', `127.0.0.1:${await freePort()}`, '--public-url', 'http://id.example.com']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /config\.invalid/);
    assert.match(r.stderr, /https/);
  } finally {
    cleanup(dir);
  }
});

test('native TLS and a separate metrics listener', async () => {
  const dir = tempDir();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const port = await freePort();
  const mport = await freePort();
  const srv = await startServer({
    dataDir: dir, port, publicUrl: `https://127.0.0.1:${port}`,
    extraArgs: ['--tls-cert', `${dir}/cert.pem`, '--tls-key', `${dir}/key.pem`,
      '--metrics-listen', `127.0.0.1:${mport}`],
  });
  try {
    const body = await new Promise((resolve, reject) => {
      https.get(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false }, (res) => {
        let b = '';
        res.on('data', (d) => { b += d; });
        res.on('end', () => resolve({ status: res.statusCode, body: b }));
      }).on('error', reject);
    });
    assert.equal(body.status, 200);
    assert.equal(body.body, '{"status":"ok"}');
    const m = await fetch(`http://127.0.0.1:${mport}/metrics`);
    assert.equal(m.status, 200);
    assert.match(await m.text(), /gatehouse_http_requests_total\{route="GET \/healthz",status="200"\} 1/);
    // Moved away from the main listener.
    const onMain = await new Promise((resolve, reject) => {
      https.get(`https://127.0.0.1:${port}/metrics`, { rejectUnauthorized: false }, (res) => resolve(res.statusCode)).on('error', reject);
    });
    assert.equal(onMain, 404);
  } finally {
    await srv.stop();
    cleanup(dir);
  }
});

test('backup and restore round trip', () => {
  const dir = tempDir();
  try {
    cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn']);
    cli(['env', 'create', 'production', '--data-dir', dir, '--log-level', 'warn']);
    cli(['backup', '--data-dir', dir, '--out', `${dir}/backup.db`]);
    assert.equal(statSync(`${dir}/backup.db`).mode & 0o777, 0o600);
    const refused = cliFails(['backup', '--data-dir', dir, '--out', `${dir}/backup.db`]);
    assert.match(refused.stderr, /exists/);
    cli(['env', 'create', 'staging', '--data-dir', dir, '--log-level', 'warn']);
    const names = () => JSON.parse(cli(['env', 'list', '--data-dir', dir, '--log-level', 'warn'])).map((e) => e.name);
    assert.deepEqual(names(), ['production', 'sandbox', 'staging']);
    cli(['restore', '--data-dir', dir, '--from', `${dir}/backup.db`]);
    assert.deepEqual(names(), ['production', 'sandbox']);
    writeFileSync(`${dir}/junk.db`, 'not a database');
    const junk = cliFails(['restore', '--data-dir', dir, '--from', `${dir}/junk.db`]);
    assert.notEqual(junk.status, 0);
    assert.deepEqual(names(), ['production', 'sandbox'], 'a bad backup changes nothing');
  } finally {
    cleanup(dir);
  }
});

test('config check: file < GATEHOUSE_* < flags, with clear errors', () => {
  const dir = tempDir();
  try {
    writeFileSync(`${dir}/g.toml`, 'listen = "127.0.0.1:9100"\nlog_level = "warn"\n');
    let c = JSON.parse(cli(['config', 'check', '--config', `${dir}/g.toml`]));
    assert.equal(c.listen, '127.0.0.1:9100');
    c = JSON.parse(cli(['config', 'check', '--config', `${dir}/g.toml`], { env: { GATEHOUSE_LISTEN: '127.0.0.1:9200' } }));
    assert.equal(c.listen, '127.0.0.1:9200');
    assert.equal(c.log_level, 'warn');
    c = JSON.parse(cli(['config', 'check', '--config', `${dir}/g.toml`, '--listen', '127.0.0.1:9300'], { env: { GATEHOUSE_LISTEN: '127.0.0.1:9200' } }));
    assert.equal(c.listen, '127.0.0.1:9300');
    const bad = cliFails(['config', 'check'], { env: { GATEHOUSE_MAX_BODY_BYTES: 'huge' } });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /max_body_bytes/);
  } finally {
    cleanup(dir);
  }
});

test('env CLI: create, duplicate, invalid name, update with version check', () => {
  const dir = tempDir();
  try {
    const created = JSON.parse(cli(['env', 'create', 'production', '--data-dir', dir, '--log-level', 'warn']));
    assert.equal(created.kind, 'production');
    assert.equal(created.issuer, 'http://127.0.0.1:8080/production');
    let r = cliFails(['env', 'create', 'production', '--data-dir', dir, '--log-level', 'warn']);
    assert.match(r.stderr, /environment\.already_exists/);
    r = cliFails(['env', 'create', 'Bad Name', '--data-dir', dir, '--log-level', 'warn']);
    assert.match(r.stderr, /environment\.invalid_name/);
    const updated = JSON.parse(cli(['env', 'update', 'production', '--display-name', 'Prod', '--data-dir', dir, '--log-level', 'warn']));
    assert.equal(updated.version, 2);
    r = cliFails(['env', 'update', 'production', '--display-name', 'Stale', '--if-version', '1', '--data-dir', dir, '--log-level', 'warn']);
    assert.match(r.stderr, /request\.precondition_failed/);
    r = cliFails(['env', 'update', 'nowhere', '--display-name', 'X', '--data-dir', dir, '--log-level', 'warn']);
    assert.match(r.stderr, /environment\.not_found/);
  } finally {
    cleanup(dir);
  }
});

test('version prints', () => {
  assert.match(cli(['version']), /^gatehouse \d+\.\d+\.\d+/);
  assert.ok(BIN);
});
