// Helpers for integration tests: run the real gatehouse binary, talk to it over HTTP.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const BIN = process.env.GATEHOUSE_BIN;
if (!BIN) throw new Error('GATEHOUSE_BIN is not set (ctest sets it)');

export function tempDir() {
  return mkdtempSync(path.join(os.tmpdir(), 'gatehouse-it-'));
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function cli(args, opts = {}) {
  return execFileSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function cliFails(args, opts = {}) {
  try {
    execFileSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
  throw new Error(`expected ${args.join(' ')} to fail`);
}

// Starts `gatehouse serve`; resolves once it logs "gatehouse ready".
export async function startServer({ dataDir, store, port, publicUrl, extraArgs = [], env = {} } = {}) {
  port = port ?? (await freePort());
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--public-url', publicUrl ?? `http://127.0.0.1:${port}`];
  if (dataDir) args.push('--data-dir', dataDir);
  if (store) args.push('--store', store);
  args.push(...extraArgs);
  const child = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = [];
  let ready;
  const readyPromise = new Promise((resolve, reject) => {
    ready = resolve;
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${lines.join('\n')}`)));
  });
  let buf = '';
  child.stderr.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      if (line.includes('"gatehouse ready"')) ready(JSON.parse(line));
    }
  });
  const readyLine = await Promise.race([
    readyPromise,
    new Promise((_, rej) => setTimeout(() => rej(new Error('server not ready in 20 s: ' + lines.join('\n'))), 20000)),
  ]);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child, port, lines, readyLine, exited,
    url: `http://127.0.0.1:${port}`,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      return exited;
    },
  };
}

// One raw HTTP exchange on a fresh socket (for malformed or oversized requests).
export function rawRequest(port, text, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => { sock.destroy(); resolve(data); }, timeoutMs);
    sock.on('connect', () => sock.write(text));
    sock.on('data', (d) => { data += d.toString(); });
    sock.on('end', () => { clearTimeout(timer); resolve(data); });
    sock.on('close', () => { clearTimeout(timer); resolve(data); });
    sock.on('error', (e) => { clearTimeout(timer); if (data) resolve(data); else reject(e); });
  });
}

export function statusOf(raw) {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  return m ? Number(m[1]) : 0;
}

export function bodyOf(raw) {
  const i = raw.indexOf('\r\n\r\n');
  return i >= 0 ? raw.slice(i + 4) : '';
}

export async function waitFor(fn, { timeoutMs = 5000, intervalMs = 20 } = {}) {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return Date.now() - start;
    if (Date.now() - start > timeoutMs) return -1;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function cleanup(dir) {
  rmSync(dir, { recursive: true, force: true });
}

// A throwaway DNS server (dnsmasq) answering TXT records for names under "example" on
// 127.0.0.1:port. dnsmasq reads --txt-record only at start (SIGHUP does not reload it):
// changing the records means restarting it on the same port. --local makes it answer NXDOMAIN
// for anything else under "example" instead of REFUSED for want of an upstream server.
export const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => {
  try { execFileSync(p, ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
});

export class DnsServer {
  constructor() { this.records = new Map(); this.port = undefined; this.child = undefined; }
  get address() { return `127.0.0.1:${this.port}`; }
  // (Re)starts with the current records.
  async restart() {
    if (!DNSMASQ) throw new Error('dnsmasq is not installed (scripts/deps installs dnsmasq-base)');
    this.port ??= await freePort();
    await this.stop();
    const args = ['--no-daemon', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--pid-file',
      `--port=${this.port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--local=/example/',
      '--log-facility=-'];
    for (const [name, value] of this.records) args.push(`--txt-record=${name},${value}`);
    const child = spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let log = '';
    child.stderr.on('data', (d) => { log += d.toString(); });
    await waitFor(() => log.includes('started') || child.exitCode !== null, { timeoutMs: 5000 });
    if (child.exitCode !== null) throw new Error(`dnsmasq did not start: ${log}`);
  }
  async set(name, value) { this.records.set(name, value); await this.restart(); }
  async remove(name) { this.records.delete(name); await this.restart(); }
  async stop() {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

// The store a test file runs on: SQLite in the test's data directory by default; a fresh
// PostgreSQL database in the `make test` cluster when `GATEHOUSE_TEST_ON_PG=1` (ctest's *_pg
// variants set it; GATEHOUSE_TEST_PG is the cluster's admin URL).
export function testStore(prefix = 'gh_it') {
  if (process.env.GATEHOUSE_TEST_ON_PG !== '1') return undefined;
  const admin = process.env.GATEHOUSE_TEST_PG;
  if (!admin) throw new Error('GATEHOUSE_TEST_PG is not set: run through `make test`');
  const db = `${prefix}_${Math.random().toString(16).slice(2, 10)}`;
  execFileSync('psql', [admin, '-v', 'ON_ERROR_STOP=1', '-Atc', `CREATE DATABASE ${db}`]);
  return admin.replace(/\/[^/]*$/, `/${db}`);
}
