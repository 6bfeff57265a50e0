// Issue 7's advanced grants and client authentication against npm `openid-client` 6.8.9 (an
// OpenID-certified relying party) and `jose`: private_key_jwt (RFC 7523), DPoP (RFC 9449), PAR
// (RFC 9126) and token exchange (RFC 8693), with the negatives: an assertion whose aud is an
// array or the token endpoint URL, a replayed assertion jti, replayed and mismatched DPoP proofs
// (htm, htu, ath), and exchanges that try to widen. Logins go through the real hosted login and
// the demo organization's test IdP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as jose from 'jose';
import * as client from 'openid-client';
import { cleanup, cli, freePort, startServer, tempDir } from '../integration/lib.mjs';

const es256CryptoKeys = () => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
import { CookieJar, signInWithTestIdp } from '../integration/login_driver.mjs';

let dir, srv, demo, issuer, api, config, demoApi;
const RESOURCE = 'https://api.example.test';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const insecure = { execute: [client.allowInsecureRequests] };
const jwks = () => jose.createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));

async function call(method, path, body) {
  const r = await fetch(`${api}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${demo.admin_api_key}`,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed };
}

async function createApp(body, permissions = ['invoices:read', 'invoices:write']) {
  const created = await call('POST', '/applications', body);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const grant = await call('PUT', `/applications/${created.body.id}/grants/${demoApi.id}`,
    { permissions });
  assert.equal(grant.status, 200, JSON.stringify(grant.body));
  return created.body;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

before(async () => {
  dir = tempDir();
  const port = await freePort();
  demo = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn',
    '--public-url', `http://127.0.0.1:${port}`]));
  srv = await startServer({ dataDir: dir, port });
  issuer = `${srv.url}/sandbox`;
  api = `${srv.url}/api/v1/environments/sandbox`;
  config = await client.discovery(new URL(issuer), demo.client_id, undefined,
    client.ClientSecretBasic(demo.client_secret), insecure);
  demoApi = (await call('GET', '/resources')).body.data.find((r) => r.identifier === RESOURCE);
});

after(async () => {
  await srv?.stop();
  cleanup(dir);
});

test('discovery advertises what is implemented', () => {
  const m = config.serverMetadata();
  assert.ok(m.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  assert.ok(!m.token_endpoint_auth_signing_alg_values_supported.includes('HS256'));
  assert.ok(m.dpop_signing_alg_values_supported.includes('ES256'));
  assert.equal(m.pushed_authorization_request_endpoint, `${issuer}/oauth2/par`);
  assert.ok(m.grant_types_supported.includes(EXCHANGE));
});

// ---- private_key_jwt ---------------------------------------------------------------------------

test('private_key_jwt: openid-client authenticates with its key; aud, jti and keys are checked', async () => {
  // openid-client takes WebCrypto keys (CryptoKey), not node KeyObjects.
  const { privateKey, publicKey } = await es256CryptoKeys();
  const kid = 'worker-key-1';
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const app = await createApp({ name: 'pkj worker', grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
  assert.equal(app.client_secret, undefined, 'a private_key_jwt client gets no secret');

  const withAssertion = (modify) => client.discovery(new URL(issuer), app.client_id, undefined,
    client.PrivateKeyJwt({ key: privateKey, kid }, modify ? { [client.modifyAssertion]: modify } : {}),
    insecure);
  const good = await withAssertion();
  const t = await client.clientCredentialsGrant(good, { resource: RESOURCE, scope: 'invoices:read' });
  const { payload } = await jose.jwtVerify(t.access_token, jwks(), { issuer, audience: RESOURCE });
  assert.equal(payload.client_id, app.client_id);

  const refused = (e) => e.error === 'invalid_client';
  // draft-ietf-oauth-rfc7523bis: aud is the issuer, as a single string.
  const asArray = await withAssertion((h, p) => { p.aud = [issuer]; });
  await assert.rejects(client.clientCredentialsGrant(asArray, { resource: RESOURCE }), refused);
  const tokenEndpoint = await withAssertion((h, p) => { p.aud = `${issuer}/oauth2/token`; });
  await assert.rejects(client.clientCredentialsGrant(tokenEndpoint, { resource: RESOURCE }), refused);
  // Each jti once.
  const fixedJti = await withAssertion((h, p) => { p.jti = 'the-same-jti'; });
  await client.clientCredentialsGrant(fixedJti, { resource: RESOURCE });
  await assert.rejects(client.clientCredentialsGrant(fixedJti, { resource: RESOURCE }),
    (e) => refused(e) && /already used/.test(e.error_description));
  // Bounded exp.
  const longLived = await withAssertion((h, p) => { p.exp = p.iat + 3600; });
  await assert.rejects(client.clientCredentialsGrant(longLived, { resource: RESOURCE }), refused);
  // A key that is not registered.
  const stranger = await es256CryptoKeys();
  const strangerCfg = await client.discovery(new URL(issuer), app.client_id, undefined,
    client.PrivateKeyJwt({ key: stranger.privateKey, kid }), insecure);
  await assert.rejects(client.clientCredentialsGrant(strangerCfg, { resource: RESOURCE }), refused);
});

test('private_key_jwt with a jwks_uri: checked at registration, client key rotation, unknown kid', async () => {
  // The client's JWKS server: what it publishes changes as the client rotates.
  const key1 = await es256CryptoKeys();
  const jwk1 = { ...(await jose.exportJWK(key1.publicKey)), kid: 'uri-key-1', alg: 'ES256', use: 'sig' };
  let published = { keys: [jwk1] };
  let fetches = 0;
  const jwksServer = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (req.url === '/not-a-jwks.json') return res.end(JSON.stringify({ hello: 'world' }));
    if (req.url === '/private.json') {
      return res.end(JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'shared' }] }));
    }
    fetches += 1;
    return res.end(JSON.stringify(published));
  });
  const port = await freePort();
  await new Promise((r) => jwksServer.listen(port, '127.0.0.1', r));
  const jwksUri = `http://127.0.0.1:${port}/jwks.json`;
  try {
    // Registration: https only (http to loopback), reachable, a JWKS of public signing keys, and
    // never both jwks and jwks_uri (RFC 7591 §2). Nothing is created on a refusal.
    const count = async () => (await call('GET', '/applications?limit=100')).body.data.length;
    const before = await count();
    for (const jwks_uri of ['http://client.example/jwks.json', 'ftp://127.0.0.1/jwks.json',
      `http://127.0.0.1:${await freePort()}/jwks.json`, `http://127.0.0.1:${port}/not-a-jwks.json`,
      `http://127.0.0.1:${port}/private.json`]) {
      const r = await call('POST', '/applications', { name: 'bad jwks_uri', grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt', jwks_uri });
      assert.equal(r.status, 400, `${jwks_uri}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'application.invalid');
      assert.equal(r.body.field, 'jwks_uri', JSON.stringify(r.body));
    }
    const both = await call('POST', '/applications', { name: 'both', grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri, jwks: { keys: [jwk1] } });
    assert.equal(both.status, 400, JSON.stringify(both.body));
    assert.equal(both.body.field, 'jwks_uri');
    assert.equal(await count(), before);

    const app = await createApp({ name: 'pkj at a URL', grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri });
    assert.equal(app.jwks_uri, jwksUri);
    assert.equal(app.jwks, null);
    assert.equal(app.client_secret, undefined, 'a private_key_jwt client gets no secret');
    const as = (key, kid) => client.discovery(new URL(issuer), app.client_id, undefined,
      client.PrivateKeyJwt({ key, kid }), insecure);
    const refused = (e) => e.error === 'invalid_client';

    const first = await client.clientCredentialsGrant(await as(key1.privateKey, 'uri-key-1'),
      { resource: RESOURCE, scope: 'invoices:read' });
    const { payload } = await jose.jwtVerify(first.access_token, jwks(), { issuer, audience: RESOURCE });
    assert.equal(payload.client_id, app.client_id);
    assert.ok(fetches >= 1);

    // The client rotates: it publishes a second key and signs with it. The new kid makes
    // Gatehouse fetch the set again (once the per-URI re-fetch interval has passed).
    const key2 = await es256CryptoKeys();
    const jwk2 = { ...(await jose.exportJWK(key2.publicKey)), kid: 'uri-key-2', alg: 'ES256', use: 'sig' };
    published = { keys: [jwk1, jwk2] };
    await sleep(5200);
    const beforeRotation = fetches;
    const rotated = await client.clientCredentialsGrant(await as(key2.privateKey, 'uri-key-2'),
      { resource: RESOURCE });
    assert.ok(rotated.access_token);
    assert.equal(fetches, beforeRotation + 1, 'the new kid re-fetched the JWKS once');
    // The old key stays usable while it is published; a known kid fetches nothing.
    await client.clientCredentialsGrant(await as(key1.privateKey, 'uri-key-1'), { resource: RESOURCE });
    assert.equal(fetches, beforeRotation + 1);

    // A kid the client never published: Gatehouse fetches again, still does not find it, and
    // refuses (invalid_client); within the interval a second try fetches nothing.
    const stranger = await es256CryptoKeys();
    await sleep(5200);
    const beforeUnknown = fetches;
    await assert.rejects(client.clientCredentialsGrant(await as(stranger.privateKey, 'uri-key-3'),
      { resource: RESOURCE }), refused);
    assert.equal(fetches, beforeUnknown + 1, 'the unknown kid was looked up once');
    await assert.rejects(client.clientCredentialsGrant(await as(stranger.privateKey, 'uri-key-3'),
      { resource: RESOURCE }), refused);
    assert.equal(fetches, beforeUnknown + 1, 'rate-limited: no second fetch within the interval');
    // A key the client took down stops working at the next re-fetch.
    published = { keys: [jwk2] };
    await sleep(5200);
    await assert.rejects(client.clientCredentialsGrant(await as(stranger.privateKey, 'uri-key-3'),
      { resource: RESOURCE }), refused);
    await assert.rejects(client.clientCredentialsGrant(await as(key1.privateKey, 'uri-key-1'),
      { resource: RESOURCE }), refused);
  } finally {
    jwksServer.close();
  }
});

// ---- DPoP --------------------------------------------------------------------------------------

test('DPoP: client_credentials binds the token to the key; introspection reports cnf', async () => {
  const keyPair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keyPair);
  const t = await client.clientCredentialsGrant(config, { resource: RESOURCE }, { DPoP });
  assert.equal(t.token_type.toLowerCase(), 'dpop');
  const { payload } = await jose.jwtVerify(t.access_token, jwks(), { issuer, audience: RESOURCE });
  const jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(keyPair.publicKey));
  assert.equal(payload.cnf.jkt, jkt);
  const intro = await client.tokenIntrospection(config, t.access_token);
  assert.equal(intro.active, true);
  assert.equal(intro.cnf.jkt, jkt);
});

test('DPoP: replayed and mismatched proofs are refused', async () => {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const proof = (htm, htu, extra = {}) => new jose.SignJWT({ htm, htu, jti: crypto.randomUUID(), ...extra })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).setIssuedAt().sign(privateKey);
  const tokenUrl = `${issuer}/oauth2/token`;
  const post = (dpop) => fetch(tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', DPoP: dpop,
      Authorization: basic(demo.client_id, demo.client_secret) },
    body: `grant_type=client_credentials&resource=${encodeURIComponent(RESOURCE)}`,
  });
  const once = await proof('POST', tokenUrl);
  const first = await post(once);
  assert.equal(first.status, 200);
  const at = (await first.json()).access_token;
  const replay = await post(once);
  assert.equal(replay.status, 400);
  assert.equal((await replay.json()).error, 'invalid_dpop_proof');
  const wrongHtm = await post(await proof('GET', tokenUrl));
  assert.equal((await wrongHtm.json()).error, 'invalid_dpop_proof');
  const wrongHtu = await post(await proof('POST', `${issuer}/oauth2/introspect`));
  assert.equal((await wrongHtu.json()).error, 'invalid_dpop_proof');

  // At UserInfo: the token has no user, but the proof is checked first; a Bearer use of a
  // DPoP-bound token is refused with a DPoP challenge.
  const userinfo = `${issuer}/oauth2/userinfo`;
  const asBearer = await fetch(userinfo, { headers: { Authorization: `Bearer ${at}` } });
  assert.equal(asBearer.status, 401);
  assert.match(asBearer.headers.get('www-authenticate'), /^DPoP/);
  const badAth = await fetch(userinfo, { headers: { Authorization: `DPoP ${at}`,
    DPoP: await proof('GET', userinfo, { ath: 'not-the-hash' }) } });
  assert.equal(badAth.status, 401);
  assert.match(badAth.headers.get('www-authenticate'), /invalid_dpop_proof/);
});

test('DPoP with server nonces: openid-client retries with the DPoP-Nonce it is given', async () => {
  const app = await createApp({ name: 'nonce worker', grant_types: ['client_credentials'],
    dpop_bound_access_tokens: true, dpop_nonce_required: true });
  const cfg = await client.discovery(new URL(issuer), app.client_id, undefined,
    client.ClientSecretBasic(app.client_secret), insecure);
  // Required: without a proof the request fails.
  await assert.rejects(client.clientCredentialsGrant(cfg, { resource: RESOURCE }),
    (e) => e.error === 'invalid_dpop_proof');
  const DPoP = client.getDPoPHandle(cfg, await client.randomDPoPKeyPair('ES256'));
  const t = await client.clientCredentialsGrant(cfg, { resource: RESOURCE }, { DPoP });
  assert.equal(t.token_type.toLowerCase(), 'dpop');
});

// ---- PAR, with DPoP through the code flow ---------------------------------------------------

test('PAR + DPoP: pushed request, code flow, DPoP-bound tokens and UserInfo', async () => {
  const keyPair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keyPair);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: demo.redirect_uri, scope: 'openid email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', state, resource: RESOURCE,
  }, { DPoP });
  assert.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
  assert.equal(url.searchParams.get('redirect_uri'), null, 'only client_id and request_uri travel');
  const jar = new CookieJar();
  const back = await signInWithTestIdp(url.href, { email: 'ada@example.test' }, jar);
  const tokens = await client.authorizationCodeGrant(config, new URL(back),
    { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  const at = jose.decodeJwt(tokens.access_token);
  assert.ok(at.cnf?.jkt);
  const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP });
  assert.equal(info.email, 'ada@example.test');
  // The request_uri was used once.
  const again = await fetch(url, { redirect: 'manual', headers: { Cookie: jar.header(url.href) } });
  assert.equal(again.status, 400);
  // Refresh with the same key works (a confidential client's refresh token is bound by its
  // authentication; the new access token is bound to the proof).
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
  assert.equal(jose.decodeJwt(refreshed.access_token).cnf.jkt, at.cnf.jkt);
});

test('PAR: an application can require it', async () => {
  const app = await createApp({ name: 'par only', redirect_uris: [demo.redirect_uri],
    require_pushed_authorization_requests: true });
  const cfg = await client.discovery(new URL(issuer), app.client_id, undefined,
    client.ClientSecretBasic(app.client_secret), insecure);
  const params = { redirect_uri: demo.redirect_uri, scope: 'openid', state: 's1',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256' };
  const direct = await fetch(client.buildAuthorizationUrl(cfg, params), { redirect: 'manual' });
  assert.equal(direct.status, 303);
  const loc = new URL(direct.headers.get('location'));
  assert.equal(loc.searchParams.get('error'), 'invalid_request');
  const pushed = await client.buildAuthorizationUrlWithPAR(cfg, params);
  const hop = await fetch(pushed, { redirect: 'manual' });
  assert.equal(hop.status, 303);
  assert.match(hop.headers.get('location'), /\/login\?request=/);
  // Another client cannot use it.
  const stolen = new URL(pushed);
  stolen.searchParams.set('client_id', demo.client_id);
  assert.equal((await fetch(stolen, { redirect: 'manual' })).status, 400);
});

// ---- token exchange ----------------------------------------------------------------------------

test('token exchange: narrows, delegates with act, never widens', async () => {
  const svc = await createApp({ name: 'invoice service', grant_types: ['client_credentials', EXCHANGE] },
    ['invoices:read']);
  const svcCfg = await client.discovery(new URL(issuer), svc.client_id, undefined,
    client.ClientSecretBasic(svc.client_secret), insecure);
  const subject = await client.clientCredentialsGrant(config,
    { resource: RESOURCE, scope: 'invoices:read invoices:write' });
  const narrowed = await client.genericGrantRequest(svcCfg, EXCHANGE, {
    subject_token: subject.access_token, subject_token_type: AT_TYPE, scope: 'invoices:read',
  });
  assert.equal(narrowed.issued_token_type, AT_TYPE);
  const n = (await jose.jwtVerify(narrowed.access_token, jwks(), { issuer, audience: RESOURCE })).payload;
  assert.deepEqual(n.permissions, ['invoices:read']);
  assert.equal(n.sub, demo.client_id);
  assert.equal(n.client_id, svc.client_id);

  const actor = await client.clientCredentialsGrant(svcCfg, { resource: RESOURCE });
  const delegated = await client.genericGrantRequest(svcCfg, EXCHANGE, {
    subject_token: narrowed.access_token, subject_token_type: AT_TYPE,
    actor_token: actor.access_token, actor_token_type: AT_TYPE,
  });
  const d = jose.decodeJwt(delegated.access_token);
  assert.equal(d.sub, demo.client_id);
  assert.equal(d.act.sub, svc.client_id);

  await assert.rejects(client.genericGrantRequest(svcCfg, EXCHANGE, {
    subject_token: narrowed.access_token, subject_token_type: AT_TYPE,
    scope: 'invoices:read invoices:write',
  }), (e) => e.error === 'invalid_scope');
  await assert.rejects(client.genericGrantRequest(svcCfg, EXCHANGE, {
    subject_token: narrowed.access_token, subject_token_type: AT_TYPE,
    resource: 'https://other.example.test',
  }), (e) => e.error === 'invalid_target');
  // The demo application is not registered for the grant.
  await assert.rejects(client.genericGrantRequest(config, EXCHANGE, {
    subject_token: subject.access_token, subject_token_type: AT_TYPE,
  }), (e) => e.error === 'unauthorized_client');
});
