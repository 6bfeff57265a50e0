// Interop of Gatehouse's JOSE module with npm `jose` (an independent implementation), both ways:
//   Gatehouse signs (RS256 2048/3072, PS256, ES256, EdDSA) -> jose verifies against our JWKS;
//   Gatehouse encrypts (RSA-OAEP-256, ECDH-ES+A256KW; A256GCM) -> jose decrypts;
//   jose signs and encrypts -> Gatehouse verifies and decrypts;
//   our kids equal jose's RFC 7638 thumbprints; our JWKS carries no private member.
// Usage: node run.mjs <jose_interop_tool> <work dir>. Exit 77 (skip) without node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, 'node_modules', 'jose'))) {
  console.log(`SKIP: run "npm ci" in ${here} first (make test does)`);
  process.exit(77);
}
const jose = await import('jose');
const [tool, work] = process.argv.slice(2);
mkdirSync(work, { recursive: true });
const read = (f) => JSON.parse(readFileSync(join(work, f), 'utf8'));
const write = (f, v) => writeFileSync(join(work, f), JSON.stringify(v, null, 2));
const run = (cmd) => {
  const r = spawnSync(tool, [cmd, work], { stdio: 'inherit' });
  return r.status;
};

let failures = 0;
const check = (ok, what, err) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${err ? ': ' + err : ''}`);
  if (!ok) failures++;
};

if (run('gen') !== 0) {
  console.log('FAIL jose_interop_tool gen');
  process.exit(1);
}

// 1. Our JWKS and our tokens, verified by jose.
const jwks = read('gatehouse-jwks.json');
const JWKS = jose.createLocalJWKSet(jwks);
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
for (const key of jwks.keys) {
  check(!privateMembers.some((m) => m in key), `JWKS ${key.kid} has no private member`);
  const thumb = await jose.calculateJwkThumbprint(key, 'sha256');
  check(thumb === key.kid, `kid of ${key.alg} key = jose RFC 7638 thumbprint`);
}
for (const t of read('gatehouse-tokens.json')) {
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(t.token, JWKS, {
      algorithms: [t.alg],
      issuer: 'https://gatehouse.test/production',
      audience: 'https://api.test',
      typ: 'at+jwt',
    });
    check(payload.sub === t.sub && protectedHeader.kid === t.kid,
          `gatehouse JWS ${t.name} -> jose jwtVerify`);
  } catch (e) {
    check(false, `gatehouse JWS ${t.name} -> jose jwtVerify`, e.code || e.message);
  }
}

// 2. Our JWEs, decrypted by jose with our private keys.
const ourKeys = read('gatehouse-keys.json');
for (const t of read('gatehouse-jwe.json')) {
  try {
    const rec = ourKeys.find((k) => k.kid === t.kid);
    const key = await jose.importJWK(rec.jwk, t.alg);
    const { plaintext, protectedHeader } = await jose.compactDecrypt(t.token, key, {
      keyManagementAlgorithms: [t.alg],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    check(new TextDecoder().decode(plaintext) === t.plaintext && protectedHeader.enc === 'A256GCM',
          `gatehouse JWE ${t.alg} -> jose compactDecrypt`);
  } catch (e) {
    check(false, `gatehouse JWE ${t.alg} -> jose compactDecrypt`, e.code || e.message);
  }
}

// 3. jose signs and encrypts for Gatehouse.
const theirKeys = [];
const jws = [];
const reject = [];
const claims = (sub) => new jose.SignJWT({ sub, scope: 'read' })
  .setIssuer('https://jose.test').setAudience('https://api.test')
  .setIssuedAt().setExpirationTime('5m').setJti(crypto.randomUUID());
for (const [alg, opts] of [['RS256', { modulusLength: 2048 }], ['RS256', { modulusLength: 3072 }],
                           ['PS256', {}], ['ES256', {}], ['EdDSA', { crv: 'Ed25519' }]]) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { ...opts, extractable: true });
  const pub = await jose.exportJWK(publicKey);
  const kid = `jose-${alg}-${theirKeys.length}`;
  theirKeys.push({ ...pub, kid, alg, use: 'sig' });
  const sub = `jose-user-${alg}`;
  jws.push({ alg, sub, token: await claims(sub).setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .sign(privateKey) });
  if (alg === 'ES256') {
    // Negative controls made by the real peer.
    reject.push({ name: 'expired ES256', code: 'jose.expired',
      token: await new jose.SignJWT({ sub }).setIssuer('https://jose.test')
        .setAudience('https://api.test').setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
        .setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(privateKey) });
    reject.push({ name: 'typ JWT where at+jwt required', code: 'jose.typ_mismatch',
      token: await claims(sub).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(privateKey) });
    reject.push({ name: 'embedded jwk header', code: 'jose.header_forbidden',
      token: await claims(sub).setProtectedHeader({ alg, kid, typ: 'at+jwt', jwk: pub })
        .sign(privateKey) });
    reject.push({ name: 'unsecured (alg none)', code: 'jose.alg_not_allowed',
      token: new jose.UnsecuredJWT({ sub }).setIssuer('https://jose.test').encode() });
    const other = await jose.generateKeyPair('ES256');
    reject.push({ name: 'signed by a key not in the set', code: 'jose.signature_invalid',
      token: await claims(sub).setProtectedHeader({ alg, kid, typ: 'at+jwt' })
        .sign(other.privateKey) });
  }
}
const jwe = [];
for (const key of jwks.keys.filter((k) => k.use === 'enc')) {
  const pub = await jose.importJWK(key, key.alg);
  const plaintext = `jose -> gatehouse via ${key.alg} \u2713`;
  jwe.push({ alg: key.alg, plaintext,
    token: await new jose.CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: key.alg, enc: 'A256GCM', kid: key.kid }).encrypt(pub) });
  // With apu/apv for ECDH-ES (exercises the Concat KDF inputs).
  if (key.alg === 'ECDH-ES+A256KW') {
    jwe.push({ alg: key.alg + ' apu/apv', plaintext,
      token: await new jose.CompactEncrypt(new TextEncoder().encode(plaintext))
        .setProtectedHeader({ alg: key.alg, enc: 'A256GCM', kid: key.kid })
        .setKeyManagementParameters({ apu: new TextEncoder().encode('Alice'),
                                      apv: new TextEncoder().encode('Bob') })
        .encrypt(pub) });
  }
}
write('jose-jwks.json', { keys: theirKeys });
write('jose-tokens.json', { jws, jwe, reject });
check(run('verify') === 0, 'jose JWS/JWE -> gatehouse verify/decrypt (see lines above)');

console.log(failures === 0 ? 'interop: all checks passed' : `interop: ${failures} failure(s)`);
process.exit(failures === 0 ? 0 : 1);
