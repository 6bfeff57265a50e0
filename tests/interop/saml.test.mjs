// SAML 2.0 SSO (issue 8) against independent IdPs from npm: samlify 2.13.1 plays the IdP for a
// `saml` connection created through the admin API. Each login is SP-initiated from a real
// authorization request of the seeded demo application: the AuthnRequest (HTTP-Redirect,
// RSA-SHA256) is parsed and its signature verified by samlify against our SP metadata, samlify
// answers, the browser posts the SAMLResponse cross-site to our ACS without any cookie (the
// RelayState carries the transaction), and the journey ends with an OIDC code at the app.
// Then the negative suite: each tampered or hostile response fails with its own stable code,
// and creates no user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import path from 'node:path';
import * as samlify from 'samlify';
import * as validator from '@authenio/samlify-node-xmllint';
import { cleanup, cli, startServer, tempDir } from '../integration/lib.mjs';
import { CookieJar } from '../integration/login_driver.mjs';

samlify.setSchemaValidator(validator);

const IDP_ENTITY = 'https://idp.example.test/saml';
const IDP_SSO = 'https://idp.example.test/sso';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

let dir, srv, demo, idpKey, idpCert, foreignKey, foreignCert;

function keyPair(name) {
  const k = path.join(dir, `${name}.key`);
  const c = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', k, '-out', c,
    '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return [readFileSync(k, 'utf8'), readFileSync(c, 'utf8')];
}

async function call(method, p, body) {
  const r = await fetch(`${srv.url}/api/v1/environments/sandbox${p}`, {
    method,
    headers: { Authorization: `Bearer ${demo.admin_api_key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed };
}

// The IdP: samlify with our test key; options vary per test (algorithms, encryption).
function makeIdp(opts = {}) {
  return samlify.IdentityProvider({
    entityID: IDP_ENTITY,
    privateKey: opts.privateKey ?? idpKey,
    signingCert: opts.signingCert ?? idpCert,
    wantAuthnRequestsSigned: true,
    isAssertionEncrypted: !!opts.encrypt,
    dataEncryptionAlgorithm: opts.dataEncryptionAlgorithm ?? 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
    keyEncryptionAlgorithm: opts.keyEncryptionAlgorithm ?? 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
    requestSignatureAlgorithm: opts.signatureAlgorithm ?? 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    nameIDFormat: [PERSISTENT],
    singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: IDP_SSO }],
  });
}
const idpMetadata = () => makeIdp().getMetadata();

async function createConnection(name, settings = {}, extra = {}) {
  const r = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name, domains: ['example.test'],
    settings: { idp_metadata_xml: idpMetadata(), ...settings }, ...extra,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const active = await call('POST', `/organizations/${demo.organization_id}/connections/${r.body.id}/activate`);
  assert.equal(active.status, 200, JSON.stringify(active.body));
  return r.body;
}

async function spFor(conn, opts = {}) {
  const md = await (await fetch(conn.settings.sp_metadata_url)).text();
  return samlify.ServiceProvider({ metadata: md, wantMessageSigned: !!opts.wantMessageSigned });
}

// A template with every field the checks read; `t` overrides placeholders or pieces.
function responseXml(t) {
  const attrs = Object.entries(t.attributes ?? {}).map(([n, vs]) =>
    `<saml:Attribute Name="${n}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">${
      [].concat(vs).map((v) => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${v}</saml:AttributeValue>`).join('')}</saml:Attribute>`).join('');
  return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${t.id}" Version="2.0" IssueInstant="${t.now}" Destination="${t.destination}" InResponseTo="${t.inResponseTo}">`
    + `<saml:Issuer>${t.issuer}</saml:Issuer>`
    + `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`
    + `<saml:Assertion ID="${t.assertionId}" Version="2.0" IssueInstant="${t.now}">`
    + `<saml:Issuer>${t.issuer}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="${t.nameIdFormat}">${t.nameId}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${t.notOnOrAfter}" Recipient="${t.recipient}" InResponseTo="${t.inResponseTo}"/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${t.notBefore}" NotOnOrAfter="${t.notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${t.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${t.now}" SessionIndex="${t.assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>${t.classRef}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>`
    + `</saml:Assertion></samlp:Response>`;
}

// Starts a login with the connection (a real authorization request of the demo app), returns
// what the IdP received and the pieces needed to answer it.
async function startLogin(conn, { email = 'jane@example.test', params = {} } = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: demo.client_id, redirect_uri: demo.redirect_uri,
    scope: 'openid email profile', state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256', login_hint: email, connection: conn.id, ...params,
  });
  const jar = new CookieJar();
  let url = `${srv.url}/sandbox/oauth2/authorize?${q}`;
  let requestId;
  for (let hop = 0; hop < 5 && !url.startsWith(IDP_SSO); hop++) {
    const r = await fetch(url, { redirect: 'manual', headers: { Cookie: jar.header(url) } });
    jar.store(url, r);
    assert.equal(r.status, 303, `${url}: ${r.status} ${await r.text()}`);
    url = new URL(r.headers.get('location'), url).toString();
    requestId = new URL(url).searchParams.get('request') ?? requestId;
  }
  assert.ok(url.startsWith(IDP_SSO), url);
  return { url, jar, requestId };
}

// samlify parses and verifies the AuthnRequest (signature over the raw query, RSA-SHA256).
async function idpReceives(idp, sp, url) {
  const u = new URL(url);
  const raw = u.search.slice(1).split('&');
  const pick = (n) => raw.find((p) => p.startsWith(`${n}=`));
  const octetString = ['SAMLRequest', 'RelayState', 'SigAlg'].map(pick).filter(Boolean).join('&');
  const query = Object.fromEntries(u.searchParams);
  const parsed = await idp.parseLoginRequest(sp, 'redirect', { query, octetString });
  return { parsed, query };
}

// Posts to the ACS as the IdP's cross-site form post: no cookie.
async function postAcs(conn, samlResponse, relayState) {
  const r = await fetch(conn.settings.acs_url, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }).toString(),
  });
  return r;
}

function codeOf(html) {
  const m = html.match(/<dd class="code">([^<]*)<\/dd>/) ?? html.match(/<span class="code">([^<]*)<\/span>/);
  return m ? m[1] : `no code in: ${html.slice(0, 300)}`;
}

// Follows the ACS's redirect to the OIDC provider's resume step and on to the app.
async function followToApp(res, jar, acsUrl) {
  assert.equal(res.status, 303, codeOf(await res.clone().text()));
  jar.store(acsUrl, res);
  let url = new URL(res.headers.get('location'), acsUrl).toString();
  for (let hop = 0; hop < 5 && !url.startsWith(demo.redirect_uri); hop++) {
    const r = await fetch(url, { redirect: 'manual', headers: { Cookie: jar.header(url) } });
    jar.store(url, r);
    assert.equal(r.status, 303, `${url}: ${await r.text()}`);
    url = new URL(r.headers.get('location'), url).toString();
  }
  const u = new URL(url);
  assert.equal(`${u.origin}${u.pathname}`, demo.redirect_uri);
  assert.ok(u.searchParams.get('code'), url);
  return u;
}

const now = () => new Date().toISOString();
const inMinutes = (m) => new Date(Date.now() + m * 60000).toISOString();

// Builds samlify's answer from our template (samlify signs/encrypts it as configured).
async function answer(idp, sp, parsed, conn, over = {}) {
  const fields = {
    now: now(), destination: conn.settings.acs_url, inResponseTo: parsed.extract.request.id,
    issuer: IDP_ENTITY, nameIdFormat: PERSISTENT, nameId: 'okta-00u1',
    notBefore: inMinutes(-1), notOnOrAfter: inMinutes(5), recipient: conn.settings.acs_url,
    audience: conn.settings.sp_entity_id, classRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    // One Jane per connection: a connection added later never inherits a user by email.
    attributes: { email: `jane.${conn.id.slice(-8)}@example.test`, firstName: 'Jane', lastName: 'Doe', groups: ['eng', 'admins'] },
    ...over,
  };
  const ids = { id: '_r' + randomBytes(10).toString('hex'), assertionId: '_a' + randomBytes(10).toString('hex') };
  const { context } = await idp.createLoginResponse(sp, parsed, 'post', {}, () => ({ id: ids.id, context: responseXml({ ...ids, ...fields }) }));
  return Buffer.from(context, 'base64').toString('utf8');
}

before(async () => {
  dir = tempDir();
  const flags = ['--data-dir', dir, '--log-level', 'warn'];
  demo = JSON.parse(cli(['seed-demo', ...flags]));
  [idpKey, idpCert] = keyPair('idp');
  [foreignKey, foreignCert] = keyPair('foreign');
  srv = await startServer({ dataDir: dir });
});

after(async () => {
  await srv?.stop();
  cleanup(dir);
});

let conn;

test('a saml connection through the admin API: SP entity ID, ACS, SP metadata, sealed keys', async () => {
  conn = await createConnection('Acme Okta', { preset: 'okta' });
  assert.equal(conn.type, 'saml');
  assert.equal(conn.settings.sp_entity_id, `${srv.url}/sandbox/saml/${demo.organization_id}/${conn.id}`);
  assert.equal(conn.settings.acs_url, `${srv.url}/sandbox/login/callback/${conn.id}`);
  assert.equal(conn.settings.sp_metadata_url, `${conn.settings.sp_entity_id}/metadata`);
  assert.equal(conn.settings.idp_entity_id, IDP_ENTITY);
  assert.equal(JSON.stringify(conn).includes('PRIVATE KEY'), false);
  assert.equal(JSON.stringify(conn).includes('sealed'), false);
  const md = await fetch(conn.settings.sp_metadata_url);
  assert.equal(md.status, 200);
  assert.match(md.headers.get('content-type'), /samlmetadata\+xml/);
  const xml = await md.text();
  assert.match(xml, new RegExp(`entityID="${conn.settings.sp_entity_id}"`));
  assert.match(xml, /WantAssertionsSigned="true"/);
  assert.match(xml, /<md:KeyDescriptor use="signing">/);
  assert.match(xml, /<md:KeyDescriptor use="encryption">/);
  assert.match(xml, /nameid-format:persistent/);
  assert.match(xml, /HTTP-POST" Location="[^"]+\/login\/callback\//);

  // The SP keys survive a settings PATCH (server-owned), and bad input changes nothing.
  const cert = conn.settings.sp_signing_certificate;
  const patched = await fetch(`${srv.url}/api/v1/environments/sandbox/organizations/${demo.organization_id}/connections/${conn.id}`, {
    method: 'PATCH', headers: { Authorization: `Bearer ${demo.admin_api_key}`, 'Content-Type': 'application/json', 'If-Match': `"v${conn.version + 1}"` },
    body: JSON.stringify({ settings: { idp_metadata_xml: idpMetadata(), preset: 'okta' } }),
  });
  const pbody = await patched.json();
  assert.equal(patched.status, 200, JSON.stringify(pbody));
  assert.equal(pbody.settings.sp_signing_certificate, cert);
  conn = pbody;

  const bad = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'Broken', settings: { idp_metadata_xml: '<x/>' },
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'saml.metadata_invalid');
  const dtd = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'Broken', settings: { idp_metadata_xml: '<!DOCTYPE x [<!ENTITY a "b">]><x/>' },
  });
  assert.equal(dtd.body.code, 'saml.metadata_invalid');
  const unknown = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'Broken', settings: { idp_metadata_xml: idpMetadata(), nope: 1 },
  });
  assert.equal(unknown.body.code, 'connection.invalid');
  const forged = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'Broken', settings: { idp_metadata_xml: idpMetadata(), sp: { signing_key_sealed: 'x' } },
  });
  assert.equal(forged.body.code, 'connection.invalid');
});

async function login(c, { idpOpts = {}, spOpts = {}, over = {}, tamper, email, params } = {}) {
  const idp = makeIdp(idpOpts);
  const sp = await spFor(c, spOpts);
  const { url, jar, requestId } = await startLogin(c, { email, params });
  const { parsed, query } = await idpReceives(idp, sp, url);
  let xml = await answer(idp, sp, parsed, c, over);
  if (tamper) xml = tamper(xml, { parsed, idp, sp });
  const res = await postAcs(c, Buffer.from(xml).toString('base64'), query.RelayState);
  return { res, jar, parsed, query, xml, requestId };
}

test('SP-initiated: signed AuthnRequest (RSA-SHA256) verified by samlify; signed assertion → code', async () => {
  const { res, jar, parsed, query } = await login(conn);
  assert.equal(query.SigAlg, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  assert.ok(query.RelayState.length <= 80, query.RelayState);
  assert.match(parsed.extract.request.id, /^_[0-9a-f]{40}$/);
  assert.equal(parsed.extract.issuer, conn.settings.sp_entity_id);
  await followToApp(res, jar, conn.settings.acs_url);
});

test('signed Response only (want_assertions_signed false), and both signed', async () => {
  const responseOnly = await createConnection('Response-signed', { want_assertions_signed: false });
  const a = await login(responseOnly);
  await followToApp(a.res, a.jar, responseOnly.settings.acs_url);
  assert.match(a.xml, /<samlp:Response[^>]*>(?:(?!<saml:Assertion).)*<ds:Signature/s);

  const b = await login(conn, { spOpts: { wantMessageSigned: true } });
  assert.equal((b.xml.match(/<ds:Signature[\s>]/g) ?? []).length, 2);  // not SignatureValue/Method
  await followToApp(b.res, b.jar, conn.settings.acs_url);
});

test('encrypted assertion: RSA-OAEP + AES-256-GCM decrypted; AES-CBC refused unless allowed', async () => {
  const a = await login(conn, { idpOpts: { encrypt: true } });
  assert.match(a.xml, /EncryptedAssertion/);
  await followToApp(a.res, a.jar, conn.settings.acs_url);

  const cbc = await login(conn, { idpOpts: { encrypt: true, dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc' } });
  assert.equal(cbc.res.status, 400);
  assert.equal(codeOf(await cbc.res.text()), 'saml.algorithm_not_allowed');

  const legacy = await createConnection('Legacy crypto', { allow_legacy_encryption: true });
  const ok = await login(legacy, { idpOpts: { encrypt: true, dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc' } });
  await followToApp(ok.res, ok.jar, legacy.settings.acs_url);
});

// --- the negative suite --------------------------------------------------------------------------

async function usersNamed(email) {
  const r = await call('GET', `/organizations/${demo.organization_id}/users?limit=100`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.data.filter((u) => u.email === email).length;
}

async function refused(code, opts) {
  const email = opts.attributesEmail ?? `neg-${randomBytes(4).toString('hex')}@example.test`;
  const over = { attributes: { email, firstName: 'Neg' }, ...(opts.over ?? {}) };
  const { res } = await login(opts.conn ?? conn, { ...opts, over });
  const html = await res.text();
  assert.equal(codeOf(html), code);
  assert.ok(res.status >= 400, `${res.status}`);
  assert.equal(await usersNamed(email), 0, 'a refused login created a user');
}

const assertionOf = (xml) => xml.match(/<saml:Assertion[\s\S]*<\/saml:Assertion>/)[0];

test('XSW: a second, unsigned assertion (before, after, nested in Extensions/Object) is refused', async () => {
  const evil = (a) => a.replace(/ID="[^"]+"/, 'ID="_evil"').replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
    .replace(/jane(\.[0-9a-f]+)?@example\.test|neg-[0-9a-f]+@example\.test/, 'ceo@example.test');
  // XSW1/2-like: the evil assertion beside the signed one.
  await refused('saml.structure_invalid', { tamper: (x) => x.replace('<saml:Assertion', evil(assertionOf(x)) + '<saml:Assertion') });
  await refused('saml.structure_invalid', { tamper: (x) => x.replace('</samlp:Response>', evil(assertionOf(x)) + '</samlp:Response>') });
  // XSW3-8-like: the signed one moved inside Extensions / the signature's Object.
  await refused('saml.structure_invalid', {
    tamper: (x) => { const a = assertionOf(x); return x.replace(a, evil(a)).replace('<samlp:Status>', `<samlp:Extensions>${a}</samlp:Extensions><samlp:Status>`); },
  });
  await refused('saml.structure_invalid', {
    tamper: (x) => { const a = assertionOf(x); return x.replace(a, evil(a).replace('</saml:Assertion>', `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Object>${a}</ds:Object></ds:Signature></saml:Assertion>`)); },
  });
  // The signed assertion's content changed (email swapped): the digest no longer matches.
  await refused('saml.signature_invalid', { tamper: (x) => x.replace(/neg-[0-9a-f]+@example\.test/, 'ceo@example.test') });
  // The Reference pointing at another ID.
  await refused('saml.structure_invalid', { tamper: (x) => x.replace(/(<ds:Reference URI=")#[^"]+"/, '$1#_other"') });
});

test('comments in the NameID, an unsigned assertion, a foreign certificate, a KeyInfo swap', async () => {
  await refused('saml.comment_forbidden', { tamper: (x) => x.replace('okta-00u1', 'okta<!---->-00u1') });
  await refused('saml.signature_missing', { tamper: (x) => x.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '') });
  await refused('saml.signature_invalid', { idpOpts: { privateKey: foreignKey, signingCert: foreignCert } });
  // Anyone can encrypt to our SP certificate: the decrypted assertion's signature still counts.
  await refused('saml.signature_invalid', { idpOpts: { encrypt: true, privateKey: foreignKey, signingCert: foreignCert } });
  const body = (pem) => pem.replace(/-----[^-]+-----|\s/g, '');
  await refused('saml.signature_invalid', {
    idpOpts: { privateKey: foreignKey, signingCert: foreignCert },
    tamper: (x) => x.replace(body(foreignCert), body(idpCert)),
  });
});

test('issuer, audience (another connection\'s entity ID), recipient, destination, InResponseTo', async () => {
  const other = await createConnection('Other SP');
  await refused('saml.issuer_mismatch', { over: { issuer: 'https://evil.example/saml' } });
  await refused('saml.audience_mismatch', { over: { audience: other.settings.sp_entity_id } });
  await refused('saml.recipient_mismatch', { over: { recipient: other.settings.acs_url } });
  await refused('saml.destination_mismatch', { over: { destination: other.settings.acs_url } });
  await refused('saml.in_response_to_mismatch', { over: { inResponseTo: '_' + 'a'.repeat(40) } });
});

test('expired, not yet valid (beyond the 2 minute skew), accepted within the skew', async () => {
  await refused('saml.assertion_expired', { over: { notOnOrAfter: inMinutes(-3) } });
  await refused('saml.assertion_not_yet_valid', { over: { notBefore: inMinutes(3) } });
  const { res, jar } = await login(conn, { over: { notBefore: inMinutes(1.5) } });
  await followToApp(res, jar, conn.settings.acs_url);
});

test('a replayed response, DTD / XXE / billion laughs, oversize and deep documents', async () => {
  const first = await login(conn);
  await followToApp(first.res, first.jar, conn.settings.acs_url);
  const again = await postAcs(conn, Buffer.from(first.xml).toString('base64'), first.query.RelayState);
  assert.equal(again.status >= 400, true);
  assert.match(codeOf(await again.text()), /^(login\.transaction_used|saml\.assertion_replayed)$/);

  // The IdP reuses an assertion ID for another login: the ledger (store, all nodes) refuses it.
  const reused = '_a' + randomBytes(10).toString('hex');
  const once = await login(conn, { over: { assertionId: reused } });
  await followToApp(once.res, once.jar, conn.settings.acs_url);
  await refused('saml.assertion_replayed', { over: { assertionId: reused } });

  await refused('saml.dtd_forbidden', { tamper: (x) => `<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${x}` });
  const lol = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>';
  await refused('saml.dtd_forbidden', { tamper: (x) => lol + x.replace('okta-00u1', '&lol2;') });
  await refused('saml.response_too_large', { over: { attributes: { email: 'big@example.test', padding: 'x'.repeat(41000) } } });
  await refused('saml.xml_too_deep', { tamper: (x) => x.replace('</samlp:Status>', `${'<samlp:StatusDetail>'.repeat(40)}${'</samlp:StatusDetail>'.repeat(40)}</samlp:Status>`) });
});

test('SHA-1 refused unless allowed; a transient NameID; an email outside the domains', async () => {
  await refused('saml.algorithm_not_allowed', { idpOpts: { signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' } });
  await refused('saml.nameid_not_persistent', { over: { nameIdFormat: TRANSIENT } });
  await refused('saml.email_outside_org_domains', { attributesEmail: 'mallory@evil.example' });
});

test('requested authentication level: RequestedAuthnContext sent, unmet level refused', async () => {
  const mfa = await createConnection('MFA', {}, {
    acr_mapping: {
      'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport': 'urn:gatehouse:acr:password',
      'http://schemas.microsoft.com/claims/multipleauthn': 'urn:gatehouse:acr:mfa',
    },
  });
  const ok = await login(mfa, { params: { acr_values: 'urn:gatehouse:acr:mfa', prompt: 'login' }, over: { classRef: 'http://schemas.microsoft.com/claims/multipleauthn' } });
  const request = inflateRawSync(Buffer.from(ok.query.SAMLRequest, 'base64')).toString('utf8');
  assert.match(request, /ForceAuthn="true"/);
  assert.match(request, /<samlp:RequestedAuthnContext Comparison="exact">/);
  assert.match(request, /AuthnContextClassRef>http:\/\/schemas\.microsoft\.com\/claims\/multipleauthn</);
  await followToApp(ok.res, ok.jar, mfa.settings.acs_url);
  const plain = await login(mfa);
  assert.doesNotMatch(inflateRawSync(Buffer.from(plain.query.SAMLRequest, 'base64')).toString('utf8'), /ForceAuthn="true"|RequestedAuthnContext/);
  await followToApp(plain.res, plain.jar, mfa.settings.acs_url);
  await refused('saml.authn_context_not_met', { conn: mfa, params: { acr_values: 'urn:gatehouse:acr:mfa' } });
});

test('Entra ID preset: claim URIs through the catalog, objectidentifier as subject, amr/acr from authnmethodsreferences', async () => {
  const ws = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/';
  const entra = await createConnection('Contoso Entra', {
    preset: 'entra_id', subject_attribute: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  }, { acr_mapping: { 'http://schemas.microsoft.com/claims/multipleauthn': 'urn:gatehouse:acr:mfa', 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport': 'urn:gatehouse:acr:password' } });
  const email = 'ada@example.test';
  const { res, jar, requestId } = await login(entra, {
    email,
    over: {
      nameIdFormat: TRANSIENT, nameId: '_transient-is-fine-with-a-subject-attribute',
      attributes: {
        'http://schemas.microsoft.com/identity/claims/objectidentifier': 'a1b2c3d4-0000-4000-8000-000000000001',
        [`${ws}emailaddress`]: email, [`${ws}givenname`]: 'Ada', [`${ws}surname`]: 'Lovelace',
        'http://schemas.microsoft.com/claims/authnmethodsreferences': [
          'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
          'http://schemas.microsoft.com/claims/multipleauthn'],
      },
    },
  });
  await followToApp(res, jar, entra.settings.acs_url);
  const trace = await call('GET', `/organizations/${demo.organization_id}/login-traces/${requestId}`);
  assert.equal(trace.status, 200, JSON.stringify(trace.body));
  const identity = trace.body.steps.find((s) => s.step === 'saml.identity').message;
  assert.equal(identity.subject, 'a1b2c3d4-0000-4000-8000-000000000001');
  assert.equal(identity.issuer, IDP_ENTITY);
  assert.equal(identity.email, email);
  assert.equal(identity.attributes.given_name, 'Ada');
  assert.equal(identity.attributes.family_name, 'Lovelace');
  assert.deepEqual(identity.amr.sort(), ['mfa', 'pwd']);
  assert.equal(identity.acr, 'urn:gatehouse:acr:mfa');
  const checks = trace.body.steps.flatMap((s) => s.checks ?? []);
  for (const code of ['saml.structure_invalid', 'saml.algorithm_not_allowed', 'saml.signature_invalid', 'saml.issuer_mismatch',
    'saml.destination_mismatch', 'saml.in_response_to_mismatch', 'saml.recipient_mismatch', 'saml.assertion_expired',
    'saml.audience_mismatch', 'saml.nameid_not_persistent', 'saml.email_outside_org_domains', 'saml.assertion_replayed']) {
    assert.ok(checks.some((c) => c.code === code && c.passed), `${code} passed: ${JSON.stringify(checks)}`);
  }
  assert.equal(await usersNamed(email), 1);
});
