// DPoP-bound token issuance beside plain issuance (issue 7): client_credentials at the token
// endpoint with Basic authentication, CONNS requests in flight, for DURATION_S seconds each,
// plain first, then with a DPoP proof per request. Proofs (ES256, one key, unique jti) are
// signed before the timed phase so that the client's signing does not count; the server pays
// the proof's signature check, the jti replay mark in the store and the cnf claim.
//   node bench/oauth/dpop_issuance.mjs <issuer> <client_id> <client_secret> <resource>
import { generateKeyPairSync, sign, randomUUID } from 'node:crypto';

const [issuer, clientId, secret, resource] = process.argv.slice(2);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const CONNS = Number(process.env.CONNS ?? 16);
const tokenUrl = `${issuer}/oauth2/token`;
const auth = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
const body = `grant_type=client_credentials&resource=${encodeURIComponent(resource)}`;

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = publicKey.export({ format: 'jwk' });
const b64u = (s) => Buffer.from(s).toString('base64url');
const header = b64u(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } }));
function proof() {
  const input = `${header}.${b64u(JSON.stringify({ htm: 'POST', htu: tokenUrl, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) }))}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

async function run(label, makeHeaders) {
  const latencies = [];
  let errors = 0;
  const end = Date.now() + DURATION_S * 1000;
  async function worker() {
    while (Date.now() < end) {
      const headers = makeHeaders();
      const t0 = performance.now();
      const r = await fetch(tokenUrl, { method: 'POST', headers, body });
      await r.arrayBuffer();
      if (r.status !== 200) errors++;
      latencies.push(performance.now() - t0);
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNS }, worker));
  const secs = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
  console.log(`${label.padEnd(6)} ${(latencies.length / secs).toFixed(0).padStart(7)} req/s  ` +
    `p50 ${p(0.5)} ms  p99 ${p(0.99)} ms  errors ${errors}`);
  return errors;
}

const base = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth };
// Pre-sign enough proofs for the DPoP phase (refilled lazily if a fast server drains them).
const pool = Array.from({ length: 20000 }, proof);
let errors = await run('plain', () => base);
errors += await run('dpop', () => ({ ...base, DPoP: pool.pop() ?? proof() }));
console.log(`token_endpoint client_credentials, ${CONNS} in flight, ${DURATION_S} s each`);
process.exit(errors ? 1 : 0);
