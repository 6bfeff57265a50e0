// Revocation fan-out latency: from the admin call that revokes a session to the OIDC
// Back-Channel Logout token arriving at the application's receiver (outbox → fan-out tick →
// leased delivery → signed logout+jwt POST). Each round signs a user in through hosted login
// (not timed), then times DELETE .../sessions/{sid} → logout_token received.
//   node bench/sessions/fanout.mjs BIN [ROUNDS]
import http from 'node:http';
import crypto from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { CookieJar, signInWithTestIdp } from '../../tests/integration/login_driver.mjs';

const [BIN, ROUNDS = '30'] = process.argv.slice(2);
const rounds = Number(ROUNDS);
const freePort = () => new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const dir = mkdtempSync(path.join(tmpdir(), 'gh-bench-'));
const flags = ['--data-dir', dir, '--log-level', 'warn'];
const demo = JSON.parse(execFileSync(BIN, ['seed-demo', ...flags]).toString());
const sport = await freePort();
const rport = await freePort();
const base = `http://127.0.0.1:${sport}`;
const srv = spawn(BIN, ['serve', ...flags, '--listen', `127.0.0.1:${sport}`, '--public-url', base, '--access-log', 'false'], { stdio: ['ignore', 'ignore', 'pipe'] });
let waiting = new Map();  // sid → resolve
http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    res.writeHead(200).end();
    const t = new URLSearchParams(body).get('logout_token');
    if (!t) return;
    const sid = JSON.parse(Buffer.from(t.split('.')[1], 'base64url')).sid;
    waiting.get(sid)?.(performance.now());
  });
}).listen(rport, '127.0.0.1');
const api = async (method, p, body, headers = {}) => {
  const r = await fetch(`${base}/api/v1/environments/sandbox${p}`, { method, headers: { Authorization: `Bearer ${demo.admin_api_key}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json().catch(() => null), etag: r.headers.get('etag') };
};
for (let i = 0; i < 200; i++) { try { await fetch(`${base}/healthz`); break; } catch { await new Promise((r) => setTimeout(r, 100)); } }
const app = (await api('GET', '/applications')).body.data.find((a) => a.client_id === demo.client_id);
const got = await api('GET', `/applications/${app.id}`);
await api('PATCH', `/applications/${app.id}`, { backchannel_logout_uri: `http://127.0.0.1:${rport}/bcl` }, { 'If-Match': got.etag });

const samples = [];
for (let i = 0; i < rounds; i++) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const q = new URLSearchParams({ response_type: 'code', client_id: demo.client_id, redirect_uri: demo.redirect_uri, scope: 'openid', code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
  const jar = new CookieJar();
  const done = await signInWithTestIdp(`${base}/sandbox/oauth2/authorize?${q}`, { email: 'anyone@example.test' }, jar);
  const code = new URL(done).searchParams.get('code');
  const t = await (await fetch(`${base}/sandbox/oauth2/token`, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${demo.client_id}:${demo.client_secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: demo.redirect_uri, code_verifier: verifier }) })).json();
  const sid = JSON.parse(Buffer.from(t.id_token.split('.')[1], 'base64url')).sid;
  const arrived = new Promise((r) => waiting.set(sid, r));
  const start = performance.now();
  const r = await api('DELETE', `/organizations/${demo.organization_id}/sessions/${sid}`);
  if (r.status !== 200) throw new Error(`revoke: ${r.status}`);
  samples.push((await arrived) - start);
  waiting.delete(sid);
}
samples.sort((a, b) => a - b);
const pct = (p) => samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)];
console.log(JSON.stringify({ rounds, p50_ms: Math.round(pct(50)), p99_ms: Math.round(pct(99)), max_ms: Math.round(samples.at(-1)) }));
srv.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
process.exit(0);
