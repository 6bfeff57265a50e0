// ACS verification throughput (issue 8): the real binary's ACS (POST /{env}/login/callback/{id})
// on signed and on encrypted responses from samlify, side by side with samlify's own SP
// verification of the same kind of response in the same run. Each Gatehouse response answers
// its own login (InResponseTo, single-use transaction), so the logins are prepared first and
// only the ACS POSTs are timed; the number includes the whole ACS (shape and algorithm checks,
// Lasso, the conditions, the store-backed assertion ID, identity resolution and the session).
//
//   GATEHOUSE_BIN=build/release/src/app/gatehouse node bench/saml/acs.mjs [N] [CONCURRENCY]
//
// Run it briefly while developing (N=50); the comparison the issue asks for needs a quiet
// machine and a release build.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'tests/interop/package.json'));
const samlify = require('samlify');
samlify.setSchemaValidator(require('@authenio/samlify-node-xmllint'));
const { cleanup, cli, startServer, tempDir } = await import(path.join(root, 'tests/integration/lib.mjs'));

const N = Number(process.argv[2] ?? 50);
const CONCURRENCY = Number(process.argv[3] ?? 2);
const IDP_ENTITY = 'https://idp.example.test/saml';
const IDP_SSO = 'https://idp.example.test/sso';

const dir = tempDir();
const flags = ['--data-dir', dir, '--log-level', 'warn'];
const demo = JSON.parse(cli(['seed-demo', ...flags]));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/idp.key`,
  '-out', `${dir}/idp.crt`, '-days', '2', '-subj', '/CN=idp'], { stdio: 'ignore' });
const idpKey = readFileSync(`${dir}/idp.key`, 'utf8');
const idpCert = readFileSync(`${dir}/idp.crt`, 'utf8');
const srv = await startServer({ dataDir: dir });

const idp = (encrypt) => samlify.IdentityProvider({
  entityID: IDP_ENTITY, privateKey: idpKey, signingCert: idpCert, wantAuthnRequestsSigned: true,
  isAssertionEncrypted: encrypt, dataEncryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  nameIDFormat: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
  singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: IDP_SSO }],
});

async function api(method, p, body) {
  const r = await fetch(`${srv.url}/api/v1/environments/sandbox${p}`, {
    method, headers: { Authorization: `Bearer ${demo.admin_api_key}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return r.json();
}

const conn = await api('POST', `/organizations/${demo.organization_id}/connections`, {
  type: 'saml', name: 'bench', domains: ['example.test'], settings: { idp_metadata_xml: idp(false).getMetadata() },
});
await api('POST', `/organizations/${demo.organization_id}/connections/${conn.id}/activate`);
const sp = samlify.ServiceProvider({ metadata: await (await fetch(conn.settings.sp_metadata_url)).text() });

async function prepare(encrypt, i) {
  const q = new URLSearchParams({
    response_type: 'code', client_id: demo.client_id, redirect_uri: demo.redirect_uri, scope: 'openid email',
    state: 's', code_challenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'),
    code_challenge_method: 'S256', login_hint: `bench${i}@example.test`, connection: conn.id,
  });
  let url = `${srv.url}/sandbox/oauth2/authorize?${q}`;
  while (!url.startsWith(IDP_SSO)) {
    const r = await fetch(url, { redirect: 'manual' });
    url = new URL(r.headers.get('location'), url).toString();
  }
  const u = new URL(url);
  const raw = u.search.slice(1).split('&');
  const octetString = ['SAMLRequest', 'RelayState', 'SigAlg'].map((n) => raw.find((p) => p.startsWith(`${n}=`))).join('&');
  const query = Object.fromEntries(u.searchParams);
  const parsed = await idp(encrypt).parseLoginRequest(sp, 'redirect', { query, octetString });
  const now = new Date().toISOString();
  const later = new Date(Date.now() + 300000).toISOString();
  const aid = '_a' + randomBytes(10).toString('hex');
  const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${aid}" Version="2.0" IssueInstant="${now}" Destination="${conn.settings.acs_url}" InResponseTo="${parsed.extract.request.id}"><saml:Issuer>${IDP_ENTITY}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="${aid}" Version="2.0" IssueInstant="${now}"><saml:Issuer>${IDP_ENTITY}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">u${i}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${later}" Recipient="${conn.settings.acs_url}" InResponseTo="${parsed.extract.request.id}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${now}" NotOnOrAfter="${later}"><saml:AudienceRestriction><saml:Audience>${conn.settings.sp_entity_id}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${now}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>bench${i}@example.test</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>`;
  const { context } = await idp(encrypt).createLoginResponse(sp, parsed, 'post', {}, () => ({ id: '_r', context: xml }));
  return { SAMLResponse: context, RelayState: query.RelayState };
}

async function timed(items, fn) {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

for (const encrypt of [false, true]) {
  const items = [];
  for (let i = 0; i < N; i++) items.push(await prepare(encrypt, `${encrypt ? 'e' : 's'}${i}`));
  let failed = 0;
  const gh = await timed(items, async (it) => {
    const r = await fetch(conn.settings.acs_url, {
      method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(it).toString(),
    });
    if (r.status !== 303) failed++;
    await r.arrayBuffer();
  });
  // The peer: samlify as SP verifying the same responses (signature, and decryption when
  // encrypted needs the SP key, which samlify does not have: the signed case only).
  let peer = null;
  if (!encrypt) {
    const peerSp = samlify.ServiceProvider({ metadata: await (await fetch(conn.settings.sp_metadata_url)).text() });
    peer = await timed(items, async (it) => {
      await peerSp.parseLoginResponse(idp(false), 'post', { body: { SAMLResponse: it.SAMLResponse } }).catch(() => { failed++; });
    });
  }
  console.log(JSON.stringify({
    case: encrypt ? 'encrypted assertion' : 'signed assertion', n: N, concurrency: CONCURRENCY, failed,
    gatehouse_acs_per_s: +(N / gh).toFixed(1),
    samlify_sp_per_s: peer ? +(N / peer).toFixed(1) : undefined,
  }));
}
await srv.stop();
cleanup(dir);
