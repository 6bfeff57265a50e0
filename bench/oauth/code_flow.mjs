// Authorization code + PKCE + token round trips per second through hosted login and the test
// IdP, as a browser and an application would do them: /oauth2/authorize → hosted login →
// test IdP form → callback → resume → code → POST /oauth2/token. Each flow has its own cookie
// jar (a new browser) and a new user, so every flow creates a user, a session and a code.
//   node bench/oauth/code_flow.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI SECONDS CONCURRENCY
// Prints one JSON line: flows, flows_per_s, p50_ms, p99_ms, errors.
import { createHash, randomBytes } from 'node:crypto';
import { CookieJar, signInWithTestIdp } from '../../tests/integration/login_driver.mjs';

const [issuer, clientId, secret, redirectUri, seconds = '10', concurrency = '8'] =
  process.argv.slice(2);
const b64url = (b) => b.toString('base64url');
const basic = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;

async function flow(n) {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(16));
  const url = new URL(`${issuer}/oauth2/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'openid email',
    state, nonce: b64url(randomBytes(16)), code_challenge: challenge,
    code_challenge_method: 'S256',
  })) url.searchParams.set(k, v);
  const back = new URL(await signInWithTestIdp(url.href,
    { email: `bench-${process.pid}-${n}@example.test` }, new CookieJar()));
  if (back.searchParams.get('state') !== state) throw new Error('state mismatch');
  const res = await fetch(`${issuer}/oauth2/token`, {
    method: 'POST',
    headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code'),
      redirect_uri: redirectUri, code_verifier: verifier }),
  });
  const body = await res.json();
  if (res.status !== 200 || !body.id_token) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
}

const end = Date.now() + Number(seconds) * 1000;
const latencies = [];
let errors = 0;
let counter = 0;
let firstError;
async function worker() {
  while (Date.now() < end) {
    const t0 = performance.now();
    try {
      await flow(counter++);
      latencies.push(performance.now() - t0);
    } catch (e) {
      errors++;
      firstError ??= String(e.message ?? e);
    }
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0;
console.log(JSON.stringify({ flows: latencies.length, flows_per_s: +(latencies.length / elapsed).toFixed(1),
  p50_ms: +pct(0.5).toFixed(1), p99_ms: +pct(0.99).toFixed(1), errors, first_error: firstError }));
