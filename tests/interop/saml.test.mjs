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
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import path from 'node:path';
import * as samlify from 'samlify';
import * as validator from '@authenio/samlify-node-xmllint';
import http from 'node:http';
import { cleanup, cli, freePort, startServer, tempDir, waitFor } from '../integration/lib.mjs';
import { CookieJar, parseForm } from '../integration/login_driver.mjs';

samlify.setSchemaValidator(validator);

const IDP_ENTITY = 'https://idp.example.test/saml';
const IDP_SSO = 'https://idp.example.test/sso';
const IDP_SSO_POST = 'https://idp.example.test/sso/post';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

let dir, srv, demo, idpKey, idpCert, foreignKey, foreignCert, mdServer;

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
    singleSignOnService: [
      { Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: IDP_SSO },
      { Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: IDP_SSO_POST },
    ],
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
  await new Promise((resolve) => (mdServer ? mdServer.close(resolve) : resolve()));
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

// --- idp_metadata_url: fetched at creation, refreshed on a schedule -------------------------------

// The IdP's metadata endpoint: node's http serving samlify's metadata (and broken answers).
let served = { status: 200, body: '' };
async function metadataServer() {
  if (mdServer) return `http://127.0.0.1:${mdServer.address().port}`;
  mdServer = http.createServer((req, res) => {
    if (req.url === '/oversize') {
      res.writeHead(200, { 'Content-Type': 'application/samlmetadata+xml' });
      res.end(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${'<!-- padding -->'.repeat(20000)}</md:EntityDescriptor>`);
    } else if (req.url === '/invalid') {
      res.writeHead(200, { 'Content-Type': 'application/samlmetadata+xml' });
      res.end('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><oops>');
    } else if (req.url === '/metadata') {
      res.writeHead(served.status, { 'Content-Type': 'application/samlmetadata+xml' });
      res.end(served.body);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => mdServer.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${mdServer.address().port}`;
}

const getConnection = async (id) => (await call('GET', `/organizations/${demo.organization_id}/connections/${id}`)).body;

test('idp_metadata_url: fetched at creation; the scheduled refresh picks up a rotated IdP certificate and keeps the last good metadata on failure', async () => {
  const base = await metadataServer();
  served = { status: 200, body: idpMetadata() };
  const created = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'From URL', domains: ['example.test'],
    settings: { idp_metadata_url: `${base}/metadata`, idp_metadata_refresh_s: 10 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  let c = created.body;
  assert.equal(c.settings.idp_entity_id, IDP_ENTITY);
  assert.equal(c.settings.idp_metadata_xml, served.body);
  assert.equal(c.settings.idp_metadata_fetched_from, `${base}/metadata`);
  assert.equal(typeof c.settings.idp_metadata_fetched_at, 'number');
  assert.equal(c.settings.idp_metadata_refresh_error, undefined);
  assert.equal((await call('POST', `/organizations/${demo.organization_id}/connections/${c.id}/activate`)).status, 200);
  c = await getConnection(c.id);
  const first = await login(c);
  await followToApp(first.res, first.jar, c.settings.acs_url);

  // The IdP rotates its signing certificate: published in its metadata first.
  const [rotKey, rotCert] = keyPair('rotated');
  const rotated = { privateKey: rotKey, signingCert: rotCert };
  served = { status: 200, body: makeIdp(rotated).getMetadata() };
  // Until the refresh, only the stored metadata's key is trusted.
  await refused('saml.signature_invalid', { conn: c, idpOpts: rotated });
  const fetchedAt = c.settings.idp_metadata_fetched_at;
  const waited = await waitFor(async () => {
    c = await getConnection(c.id);
    return c.settings.idp_metadata_xml === served.body;
  }, { timeoutMs: 45000, intervalMs: 500 });
  assert.ok(waited >= 0, `no refresh: ${JSON.stringify(c.settings)}`);
  assert.ok(c.settings.idp_metadata_fetched_at > fetchedAt);
  const afterRotation = await login(c, { idpOpts: rotated });
  await followToApp(afterRotation.res, afterRotation.jar, c.settings.acs_url);
  await refused('saml.signature_invalid', { conn: c });  // the old key is gone with the old metadata

  // The IdP's endpoint fails: the failure is recorded, the last good metadata stays in use.
  const good = c.settings.idp_metadata_xml;
  served = { status: 500, body: 'down' };
  const failed = await waitFor(async () => {
    c = await getConnection(c.id);
    return c.settings.idp_metadata_refresh_error;
  }, { timeoutMs: 45000, intervalMs: 500 });
  assert.ok(failed >= 0, `no failure recorded: ${JSON.stringify(c.settings)}`);
  assert.equal(c.settings.idp_metadata_refresh_error.code, 'saml.metadata_fetch_failed');
  assert.match(c.settings.idp_metadata_refresh_error.message, /HTTP 500/);
  assert.equal(c.settings.idp_metadata_xml, good);
  const stillWorks = await login(c, { idpOpts: rotated });
  await followToApp(stillWorks.res, stillWorks.jar, c.settings.acs_url);
  // Back up: the next refresh clears the error.
  served = { status: 200, body: good };
  assert.ok(await waitFor(async () => {
    c = await getConnection(c.id);
    return !c.settings.idp_metadata_refresh_error;
  }, { timeoutMs: 45000, intervalMs: 500 }) >= 0);
  // Audited as the system: the change of metadata, and the first failure of the run.
  const audit = await call('GET', `/organizations/${demo.organization_id}/audit?limit=1000`);
  assert.equal(audit.status, 200, JSON.stringify(audit.body));
  const mine = audit.body.data.filter((a) => a.target?.id === c.id);
  const refreshed = mine.find((a) => a.action === 'connection.metadata_refreshed');
  assert.ok(refreshed, JSON.stringify(mine.map((a) => a.action)));
  assert.equal(refreshed.actor.type, 'system');
  assert.ok(mine.some((a) => a.action === 'connection.metadata_refresh_failed'), JSON.stringify(mine.map((a) => a.action)));
});

test('idp_metadata_url: a bad URL, an unreachable or failing IdP, an oversize or invalid document: 400 problem+json, nothing created or changed', async () => {
  const base = await metadataServer();
  served = { status: 200, body: idpMetadata() };
  const closed = await freePort();
  const cases = [
    ['ftp://idp.example.test/metadata', 'connection.invalid'],
    ['http://idp.example.test/metadata', 'connection.invalid'],  // http only to a loopback host
    [`http://127.0.0.1:${closed}/metadata`, 'saml.metadata_fetch_failed'],
    [`${base}/missing`, 'saml.metadata_fetch_failed'],
    [`${base}/oversize`, 'saml.metadata_fetch_failed'],
    [`${base}/invalid`, 'saml.metadata_invalid'],
  ];
  for (const [url, code] of cases) {
    const r = await fetch(`${srv.url}/api/v1/environments/sandbox/organizations/${demo.organization_id}/connections`, {
      method: 'POST', headers: { Authorization: `Bearer ${demo.admin_api_key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'saml', name: 'Bad URL', settings: { idp_metadata_url: url } }),
    });
    const body = await r.json();
    assert.equal(r.status, 400, `${url}: ${JSON.stringify(body)}`);
    assert.match(r.headers.get('content-type'), /application\/problem\+json/);
    assert.equal(body.code, code, `${url}: ${JSON.stringify(body)}`);
    assert.equal(body.field, 'settings.idp_metadata_url', JSON.stringify(body));
  }
  const oversize = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'Bad URL', settings: { idp_metadata_url: `${base}/oversize` },
  });
  assert.match(oversize.body.debug, /larger than 262144 bytes/);
  const both = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'Bad URL', settings: { idp_metadata_url: `${base}/metadata`, idp_metadata_xml: idpMetadata() },
  });
  assert.equal(both.body.code, 'connection.invalid');
  const interval = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'Bad URL', settings: { idp_metadata_url: `${base}/metadata`, idp_metadata_refresh_s: 1 },
  });
  assert.equal(interval.body.code, 'connection.invalid');
  assert.equal(interval.body.field, 'settings.idp_metadata_refresh_s');
  const list = await call('GET', `/organizations/${demo.organization_id}/connections`);
  assert.equal(list.body.data.filter((x) => x.name === 'Bad URL').length, 0);

  // PATCH onto a broken URL: refused, the connection unchanged.
  const ok = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'URL then PATCH', domains: ['example.test'], settings: { idp_metadata_url: `${base}/metadata` },
  });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  const patch = (settings, version) => fetch(`${srv.url}/api/v1/environments/sandbox/organizations/${demo.organization_id}/connections/${ok.body.id}`, {
    method: 'PATCH', headers: { Authorization: `Bearer ${demo.admin_api_key}`, 'Content-Type': 'application/json', 'If-Match': `"v${version}"` },
    body: JSON.stringify({ settings }),
  });
  const broken = await patch({ idp_metadata_url: `${base}/invalid` }, ok.body.version);
  assert.equal(broken.status, 400);
  assert.equal((await broken.json()).code, 'saml.metadata_invalid');
  const unchanged = await getConnection(ok.body.id);
  assert.equal(unchanged.version, ok.body.version);
  assert.equal(unchanged.settings.idp_metadata_url, `${base}/metadata`);
  // A PATCH that leaves idp_metadata_xml out fetches again (and a settings PATCH keeps the SP keys).
  const refetch = await patch({ idp_metadata_url: `${base}/metadata`, preset: 'okta' }, ok.body.version);
  const refetched = await refetch.json();
  assert.equal(refetch.status, 200, JSON.stringify(refetched));
  assert.equal(refetched.settings.idp_metadata_xml, served.body);
  assert.equal(refetched.settings.sp_signing_certificate, ok.body.settings.sp_signing_certificate);
});

// --- HTTP-POST AuthnRequest ----------------------------------------------------------------------

// Starts a login on a POST-binding connection: hosted login answers the auto-posted form page.
async function startPostLogin(c) {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: demo.client_id, redirect_uri: demo.redirect_uri,
    scope: 'openid email profile', state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256', connection: c.id, login_hint: 'jane@example.test',
  });
  const jar = new CookieJar();
  let url = `${srv.url}/sandbox/oauth2/authorize?${q}`;
  for (let hop = 0; hop < 5; hop++) {
    const r = await fetch(url, { redirect: 'manual', headers: { Cookie: jar.header(url) } });
    jar.store(url, r);
    if (r.status === 200) return { page: await r.text(), csp: r.headers.get('content-security-policy'), jar };
    assert.equal(r.status, 303, `${url}: ${r.status} ${await r.text()}`);
    url = new URL(r.headers.get('location'), url).toString();
  }
  throw new Error('no form page');
}

test('HTTP-POST AuthnRequest: auto-posted form with a CSP nonce, enveloped RSA-SHA256 signature verified by samlify → code', async () => {
  const pc = await createConnection('POST binding', { authn_request_binding: 'post', preset: 'okta' });
  assert.equal(pc.settings.idp_sso_post_url, IDP_SSO_POST);
  const { page, csp, jar } = await startPostLogin(pc);
  const nonce = csp.match(/script-src 'nonce-([^']+)'/)?.[1];
  assert.ok(nonce, csp);
  assert.match(page, new RegExp(`<script nonce="${nonce}">`));
  assert.doesNotMatch(csp, /unsafe-inline/);
  const form = parseForm(page);
  assert.equal(form.action, IDP_SSO_POST);
  const field = (n) => form.inputs.find((i) => i.name === n)?.value;
  const SAMLRequest = field('SAMLRequest');
  const RelayState = field('RelayState');
  assert.ok(SAMLRequest && RelayState, JSON.stringify(form));
  assert.ok(RelayState.length <= 80);
  const requestXml = Buffer.from(SAMLRequest, 'base64').toString('utf8');
  assert.match(requestXml, /<samlp:AuthnRequest[\s\S]*<(ds:)?Signature[\s>]/);
  assert.match(requestXml, /SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"/);
  assert.match(requestXml, /DigestMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmlenc#sha256"/);
  assert.match(requestXml, new RegExp(`Destination="${IDP_SSO_POST}"`));

  const idp = makeIdp();
  const sp = await spFor(pc);
  const parsed = await idp.parseLoginRequest(sp, 'post', { body: { SAMLRequest, RelayState } });
  assert.match(parsed.extract.request.id, /^_[0-9a-f]{40}$/);
  assert.equal(parsed.extract.issuer, pc.settings.sp_entity_id);
  // samlify really verifies it: an altered request is refused.
  const altered = Buffer.from(requestXml.replace(/AssertionConsumerServiceURL="[^"]+"/, 'AssertionConsumerServiceURL="https://evil.example/acs"')).toString('base64');
  await assert.rejects(idp.parseLoginRequest(sp, 'post', { body: { SAMLRequest: altered, RelayState } }));

  const xml = await answer(idp, sp, parsed, pc);
  const res = await postAcs(pc, Buffer.from(xml).toString('base64'), RelayState);
  await followToApp(res, jar, pc.settings.acs_url);

  // The binding needs an HTTP-POST SingleSignOnService in the IdP metadata.
  const redirectOnly = await call('POST', `/organizations/${demo.organization_id}/connections`, {
    type: 'saml', name: 'POST without endpoint',
    settings: { authn_request_binding: 'post', idp_metadata_xml: idpMetadata().replace(/<(\w+:)?SingleSignOnService[^>]*HTTP-POST[^>]*>(<\/(\w+:)?SingleSignOnService>)?/, '') },
  });
  assert.equal(redirectOnly.status, 400, JSON.stringify(redirectOnly.body));
  assert.equal(redirectOnly.body.code, 'saml.metadata_invalid');
});

// --- SP metadata: RequestedAttributes from the catalog ----------------------------------------------

test('SP metadata: an AttributeConsumingService with the preset vendor\'s attribute names from the catalog; no SLO endpoint', async () => {
  const okta = await (await fetch(conn.settings.sp_metadata_url)).text();
  assert.match(okta, /<md:AssertionConsumerService[^>]*\/><md:AttributeConsumingService index="0" isDefault="true"><md:ServiceName xml:lang="en">Acme Okta<\/md:ServiceName>/);
  const requested = [...okta.matchAll(/<md:RequestedAttribute Name="([^"]+)" NameFormat="([^"]+)" FriendlyName="([^"]+)"\/>/g)]
    .map((m) => ({ name: m[1], format: m[2], friendly: m[3] }));
  const byName = Object.fromEntries(requested.map((r) => [r.name, r]));
  assert.equal(byName.email?.friendly, 'email');
  assert.equal(byName.email.format, 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic');
  assert.equal(byName.firstName?.friendly, 'given_name');
  assert.equal(byName.lastName?.friendly, 'family_name');
  assert.equal(byName.groups?.friendly, 'groups');
  assert.ok(!okta.includes('schemas.xmlsoap.org'), 'another vendor\'s names in an Okta connection\'s metadata');
  assert.doesNotMatch(okta, /SingleLogoutService/);

  const entra = await createConnection('Entra metadata', { preset: 'entra_id' });
  const entraXml = await (await fetch(entra.settings.sp_metadata_url)).text();
  assert.match(entraXml, /<md:RequestedAttribute Name="http:\/\/schemas\.xmlsoap\.org\/ws\/2005\/05\/identity\/claims\/emailaddress"[^>]*FriendlyName="email"\/>/);

  // samlify reads it as SP metadata (entity, ACS, certificates) and the xmllint schema check of
  // the SAML metadata schema passes when the schema is on this machine (python3-pysaml2 ships it).
  const sp = samlify.ServiceProvider({ metadata: okta });
  assert.equal(sp.entityMeta.getEntityID(), conn.settings.sp_entity_id);
  assert.equal(sp.entityMeta.getAssertionConsumerService('post'), conn.settings.acs_url);
  assert.ok(sp.entityMeta.getX509Certificate('signing'));
  const schema = findMetadataSchema();
  if (schema) {
    const file = path.join(dir, 'sp-metadata.xml');
    writeFileSync(file, okta);
    // The schema imports XML DSig, XML Enc and xml.xsd by their W3C URLs: a catalog maps them to
    // the local copies beside it (no network).
    const local = path.dirname(schema);
    const catalog = path.join(dir, 'schema-catalog.xml');
    writeFileSync(catalog, `<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
<system systemId="http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd" uri="file://${local}/xmldsig-core-schema.xsd"/>
<system systemId="http://www.w3.org/TR/2002/REC-xmlenc-core-20021210/xenc-schema.xsd" uri="file://${local}/xenc-schema.xsd"/>
<system systemId="http://www.w3.org/2001/xml.xsd" uri="file://${local}/xml.xsd"/>
</catalog>`);
    execFileSync('xmllint', ['--noout', '--nonet', '--schema', schema, file], { stdio: 'pipe', env: { ...process.env, XML_CATALOG_FILES: catalog } });
  }
});

function findMetadataSchema() {
  for (const root of ['/usr/lib/python3/dist-packages/saml2']) {
    for (const sub of ['data/schemas', 'schema', 'xml/schema']) {
      const f = path.join(root, sub, 'saml-schema-metadata-2.0.xsd');
      if (existsSync(f)) return f;
    }
  }
  return undefined;
}

// --- vendor fixtures --------------------------------------------------------------------------------

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'saml');

// Each vendor's documented response shape, re-signed at test time by samlify with the test IdP key
// in the vendor's signing layout, mapped through the preset to the expected user, groups and acr.
const VENDORS = [
  {
    preset: 'okta', layout: 'response+assertion', email: 'olive@example.test', nameIdIsEmail: true,
    expect: { given_name: 'Olive', family_name: 'Okta', groups: ['Everyone', 'Engineering'], acr: 'urn:gatehouse:acr:password', amr: ['pwd'] },
  },
  {
    preset: 'entra_id', layout: 'assertion', email: 'erin@example.test', oid: 'b7e1d7a4-5c2f-4a63-9d10-3e2c1f0a9b88',
    settings: { subject_attribute: 'http://schemas.microsoft.com/identity/claims/objectidentifier' },
    expect: { given_name: 'Erin', family_name: 'Entra', groups: ['0e8e5a4c-2f3b-4a51-9d6e-1f0c5b7a9e01', '7d1c2b3a-4e5f-4a6b-8c9d-0e1f2a3b4c5d'], acr: 'urn:gatehouse:acr:mfa', amr: ['mfa', 'pwd'] },
  },
  {
    preset: 'google', layout: 'response', email: 'grace@example.test', nameIdIsEmail: true, settings: { want_assertions_signed: false },
    expect: { given_name: 'Grace', family_name: 'Google', groups: ['staff@example.test'], acr: '', amr: [] },
  },
  {
    preset: 'adfs', layout: 'assertion', email: 'ada.fs@example.test',
    expect: { given_name: 'Ada', family_name: 'Fs', groups: ['Domain Users', 'Finance'], acr: 'urn:gatehouse:acr:password', amr: ['pwd'] },
  },
  {
    preset: 'ping', layout: 'assertion', email: 'pat@example.test',
    expect: { given_name: 'Pat', family_name: 'Ping', groups: ['cn=ops,ou=groups,dc=example,dc=test', 'cn=admins,ou=groups,dc=example,dc=test'], acr: 'urn:gatehouse:acr:phishing_resistant', amr: ['hwk'] },
  },
];

for (const v of VENDORS) {
  test(`vendor fixture ${v.preset}: ${v.layout} signed, mapped to the user, groups and acr`, async () => {
    const c = await createConnection(`Vendor ${v.preset}`, { preset: v.preset, ...(v.settings ?? {}) });
    const idp = makeIdp();
    const sp = await spFor(c, { wantMessageSigned: v.layout !== 'assertion' });
    const { url, jar, requestId } = await startLogin(c, { email: v.email });
    const { parsed, query } = await idpReceives(idp, sp, url);
    const subject = `${v.preset}-${randomBytes(6).toString('hex')}`;
    const vars = {
      RESPONSE_ID: '_r' + randomBytes(10).toString('hex'), ASSERTION_ID: '_a' + randomBytes(10).toString('hex'),
      NOW: now(), DESTINATION: c.settings.acs_url, IN_RESPONSE_TO: parsed.extract.request.id, ISSUER: IDP_ENTITY,
      AUDIENCE: c.settings.sp_entity_id, NOT_BEFORE: inMinutes(-1), NOT_ON_OR_AFTER: inMinutes(5),
      RECIPIENT: c.settings.acs_url, EMAIL: v.email, SUBJECT: subject, OID: v.oid ?? '',
    };
    const template = readFileSync(path.join(FIXTURES, `${v.preset}.xml`), 'utf8').trim();
    const context = template.replace(/__([A-Z_]+)__/g, (m, k) => {
      assert.ok(k in vars, `unknown placeholder ${m}`);
      return vars[k];
    });
    const out = await idp.createLoginResponse(sp, parsed, 'post', {}, () => ({ id: vars.RESPONSE_ID, context }));
    const xml = Buffer.from(out.context, 'base64').toString('utf8');
    // The layout samlify produced is the vendor's.
    const assertionPart = xml.slice(xml.search(/<(\w+:)?Assertion[\s>]/));
    const responseHead = xml.slice(0, xml.search(/<(\w+:)?Assertion[\s>]/));
    assert.equal(/<(\w+:)?Signature[\s>]/.test(assertionPart), v.layout !== 'response', `assertion signature (${v.layout})`);
    assert.equal(/<(\w+:)?Signature[\s>]/.test(responseHead), v.layout !== 'assertion', `response signature (${v.layout})`);
    const res = await postAcs(c, Buffer.from(xml).toString('base64'), query.RelayState);
    await followToApp(res, jar, c.settings.acs_url);

    const trace = await call('GET', `/organizations/${demo.organization_id}/login-traces/${requestId}`);
    assert.equal(trace.status, 200, JSON.stringify(trace.body));
    const identity = trace.body.steps.find((s) => s.step === 'saml.identity').message;
    assert.equal(identity.email, v.email);
    assert.equal(identity.subject, v.oid ?? (v.nameIdIsEmail ? v.email : subject));
    assert.equal(identity.attributes.given_name, v.expect.given_name);
    assert.equal(identity.attributes.family_name, v.expect.family_name);
    assert.deepEqual([].concat(identity.attributes.groups ?? []), v.expect.groups);
    assert.equal(identity.acr, v.expect.acr);
    assert.deepEqual([...identity.amr].sort(), v.expect.amr);
    assert.equal(await usersNamed(v.email), 1);
  });
}

// --- python3-pysaml2 as an independent IdP --------------------------------------------------------

const PYSAML2 = path.join(path.dirname(new URL(import.meta.url).pathname), 'pysaml2_idp.py');
const PY_ENTITY = 'https://pysaml2.example.test/idp';
const PY_SSO = `${IDP_SSO}/pysaml2`;  // startLogin() follows redirects until IDP_SSO
const PY_SSO_POST = `${IDP_SSO}/pysaml2/post`;

function pysaml2(input) {
  const out = execFileSync('/usr/bin/python3', [PYSAML2], { input: JSON.stringify(input), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  return JSON.parse(out);
}

test('python3-pysaml2 as the IdP: it verifies our signed AuthnRequest (Redirect and POST); signed and encrypted assertions; its default 3DES refused', async () => {
  keyPair('pysaml2');
  const base = {
    workdir: dir, entity_id: PY_ENTITY, sso_redirect: PY_SSO, sso_post: PY_SSO_POST,
    key_file: path.join(dir, 'pysaml2.key'), cert_file: path.join(dir, 'pysaml2.crt'),
  };
  const { metadata } = pysaml2({ ...base, mode: 'metadata' });
  assert.match(metadata, new RegExp(`entityID="${PY_ENTITY}"`));
  // pysaml2 names the email through its own attribute maps (urn:mace:dir:attribute-def:email,
  // basic format): the connection's attribute_mapping names that SAML attribute.
  const mapping = { attribute_mapping: { claims: { email: 'urn:mace:dir:attribute-def:email', given_name: 'firstName', family_name: 'lastName' } } };
  const py = await createConnection('pysaml2', { idp_metadata_xml: metadata }, mapping);
  const pyLegacy = await createConnection('pysaml2 legacy', { idp_metadata_xml: metadata, allow_legacy_encryption: true }, mapping);
  const pyPost = await createConnection('pysaml2 POST', { idp_metadata_xml: metadata, authn_request_binding: 'post' }, mapping);

  // One SP-initiated login answered by pysaml2; returns the ACS answer and what pysaml2 said.
  async function viaPysaml2(c, encrypt) {
    const email = `py-${randomBytes(4).toString('hex')}@example.test`;
    const spMetadata = await (await fetch(c.settings.sp_metadata_url)).text();
    let request, jar;
    if (c.settings.authn_request_binding === 'post') {
      const started = await startPostLogin(c);
      jar = started.jar;
      const form = parseForm(started.page);
      assert.equal(form.action, PY_SSO_POST);
      const field = (n) => form.inputs.find((i) => i.name === n)?.value;
      request = { binding: 'post', saml_request: field('SAMLRequest'), relay_state: field('RelayState') };
    } else {
      const started = await startLogin(c, { email });
      jar = started.jar;
      const q = new URL(started.url).searchParams;
      request = {
        binding: 'redirect', saml_request: q.get('SAMLRequest'), relay_state: q.get('RelayState'),
        sig_alg: q.get('SigAlg'), signature: q.get('Signature'),
      };
    }
    const out = pysaml2({ ...base, sp_metadata: spMetadata, ...request, email, subject: `py-${randomBytes(6).toString('hex')}`, encrypt });
    assert.equal(out.request_signature_verified, true, 'pysaml2 verified the AuthnRequest signature');
    const xml = Buffer.from(out.saml_response, 'base64').toString('utf8');
    const res = await postAcs(c, out.saml_response, request.relay_state);
    return { res, jar, xml, out, email };
  }

  const signed = await viaPysaml2(py, 'none');
  assert.match(signed.xml, /<(\w+:)?Assertion[^>]*>[\s\S]*<(\w+:)?Signature/);
  await followToApp(signed.res, signed.jar, py.settings.acs_url);
  assert.equal(await usersNamed(signed.email), 1);

  const post = await viaPysaml2(pyPost, 'none');
  await followToApp(post.res, post.jar, pyPost.settings.acs_url);

  // RSA-OAEP + AES-256-GCM through pysaml2's own encryption call (its template swapped).
  const gcm = await viaPysaml2(py, 'aes256-gcm');
  assert.match(gcm.xml, /EncryptedAssertion/);
  assert.match(gcm.xml, /xmlenc11#aes256-gcm/);
  await followToApp(gcm.res, gcm.jar, py.settings.acs_url);

  // pysaml2's default encryption is 3DES-CBC: refused, with or without the legacy opt-in.
  for (const c of [py, pyLegacy]) {
    const des = await viaPysaml2(c, 'pysaml2');
    assert.match(des.xml, /tripledes-cbc/);
    assert.equal(codeOf(await des.res.text()), 'saml.algorithm_not_allowed');
    assert.equal(await usersNamed(des.email), 0);
  }
  // AES-128-CBC: only with the connection's opt-in.
  const cbc = await viaPysaml2(py, 'aes128-cbc');
  assert.equal(codeOf(await cbc.res.text()), 'saml.algorithm_not_allowed');
  const cbcAllowed = await viaPysaml2(pyLegacy, 'aes128-cbc');
  await followToApp(cbcAllowed.res, cbcAllowed.jar, pyLegacy.settings.acs_url);
});

test('the CLI: gatehouse connection create/get with a saml body (metadata fetched from the URL), audited as cli', async () => {
  const base = await metadataServer();
  served = { status: 200, body: idpMetadata() };
  const flags = ['--data-dir', dir, '--log-level', 'warn'];
  // Asynchronously: the IdP's metadata is served by this process's event loop.
  const { stdout } = await promisify(execFile)(process.env.GATEHOUSE_BIN, ['connection', 'create', '--org', demo.organization_id, ...flags, '--json',
    JSON.stringify({ type: 'saml', name: 'From the CLI', domains: ['example.test'], settings: { idp_metadata_url: `${base}/metadata`, preset: 'adfs' } })]);
  const created = JSON.parse(stdout);
  assert.equal(created.type, 'saml');
  assert.equal(created.settings.idp_entity_id, IDP_ENTITY);
  assert.equal(created.settings.idp_metadata_xml, served.body);
  assert.equal(JSON.stringify(created).includes('PRIVATE KEY'), false);
  const viaApi = await getConnection(created.id);
  assert.equal(viaApi.settings.idp_metadata_fetched_from, `${base}/metadata`);
  const shown = JSON.parse(cli(['connection', 'get', created.id, '--org', demo.organization_id, ...flags]));
  assert.equal(shown.settings.sp_entity_id, created.settings.sp_entity_id);
});
