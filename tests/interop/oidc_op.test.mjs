// The OpenID Foundation's Basic OP and Config OP checks (../shared/research/standards.md §4.1)
// and the RFC 9700 negatives, as named tests against the real binary, with npm `openid-client`
// (an OpenID-certified relying party) as the client and `jose` verifying every token against
// our JWKS. Every login runs through the real hosted login and the built-in test IdP of the
// seeded demo organization (anyone@example.test), driven over HTTP with a cookie jar.
//
// Where Gatehouse is stricter than the certification plan, by design, the test says so:
// - PKCE S256 is required by default, so every code flow here sends a challenge (the plan's
//   clients without PKCE would get invalid_request; a confidential application may waive it,
//   which `rfc9700: a verifier without a challenge` uses);
// - endpoints are https outside loopback (`serve` refuses an http public_url elsewhere); this
//   test runs on loopback, so the Config OP "all endpoints are https" check is adapted to
//   "all endpoints are under the issuer".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import * as client from 'openid-client';
import { cleanup, cli, freePort, startServer, tempDir } from '../integration/lib.mjs';
import { CookieJar, signInWithTestIdp } from '../integration/login_driver.mjs';

let dir, srv, demo, issuer, config, api;
const RESOURCE = 'https://api.example.test';

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
});

after(async () => {
  await srv?.stop();
  cleanup(dir);
});

// One authorization request: the URL openid-client builds, plus what the client must remember.
async function request(params = {}, cfg = config) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(cfg, {
    redirect_uri: demo.redirect_uri,
    scope: 'openid email profile offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  for (const [k, v] of Object.entries(params)) if (v === undefined) url.searchParams.delete(k);
  return { url, verifier, state, nonce };
}

// A full code flow for `user` in `jar`: hosted login when needed, then the token request.
async function codeFlow({ jar = new CookieJar(), user = { email: 'ada@example.test' }, params = {},
  cfg = config } = {}) {
  const r = await request(params, cfg);
  const back = await signInWithTestIdp(r.url.href, user, jar);
  const tokens = await client.authorizationCodeGrant(cfg, new URL(back), {
    pkceCodeVerifier: r.verifier, expectedState: r.state,
    expectedNonce: params.nonce === undefined && 'nonce' in params ? undefined : r.nonce,
  });
  return { tokens, back, jar, ...r };
}

// The authorization endpoint's first answer, without following it.
async function firstHop(url, jar) {
  const headers = jar ? { Cookie: jar.header(url.href ?? url) } : {};
  return fetch(url, { redirect: 'manual', headers });
}

const claimsOf = (jwt) => jose.decodeJwt(jwt);
// openid-client surfaces a 401 invalid_client as the WWW-Authenticate challenge it carries.
const isInvalidClient = (e) => e.error === 'invalid_client' || e.response?.status === 401;

// ---- Config OP -------------------------------------------------------------------------------

test('oidcc-discovery-endpoint-verification', async () => {
  const r = await fetch(`${issuer}/.well-known/openid-configuration`);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const m = await r.json();
  assert.equal(m.issuer, issuer);
  assert.ok(new URL(m.issuer));
  assert.ok(m.response_types_supported.includes('code'));
  assert.ok(Array.isArray(m.subject_types_supported) && m.subject_types_supported.length > 0);
  assert.ok(m.id_token_signing_alg_values_supported.includes('RS256'));
  assert.ok(!m.id_token_signing_alg_values_supported.includes('none'));
  for (const e of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
    assert.ok(m[e]?.startsWith(`${issuer}/`), `${e} under the issuer (https outside loopback)`);
  }
  assert.ok(m.scopes_supported.includes('openid'));
  assert.ok(Array.isArray(m.code_challenge_methods_supported));
  assert.equal((await fetch(m.jwks_uri)).status, 200);
  assert.equal(m.authorization_response_iss_parameter_supported, true);
  assert.equal(m.request_parameter_supported, false);
});

// ---- Basic OP --------------------------------------------------------------------------------

test('oidcc-server: code flow, tokens, ID token and UserInfo; every token verifies with jose', async () => {
  const { tokens, back } = await codeFlow({ user: { email: 'ada@example.test', given_name: 'Ada', family_name: 'Lovelace', name: 'Ada Lovelace' } });
  assert.equal(new URL(back).searchParams.get('iss'), issuer);  // RFC 9207
  const id = tokens.claims();
  assert.equal(id.iss, issuer);
  assert.equal(id.aud, demo.client_id);
  assert.match(id.sub, /^[0-9a-f-]{36}$/);  // the internal user UUID
  assert.equal(id.org_id, demo.organization_id);
  assert.ok(id.sid && id.auth_time && id.iat && id.exp);
  assert.equal(id.email, 'ada@example.test');
  const { payload: idp, protectedHeader: idh } = await jose.jwtVerify(tokens.id_token, jwks(), { issuer, audience: demo.client_id });
  assert.equal(idh.alg, 'RS256');  // oidcc-idtoken-signature: RS256 by default
  assert.equal(idp.sub, id.sub);
  const at = await jose.jwtVerify(tokens.access_token, jwks(), { issuer, typ: 'at+jwt' });
  assert.equal(at.payload.sub, id.sub);
  assert.equal(at.payload.client_id, demo.client_id);
  assert.ok(at.payload.jti);
  const info = await client.fetchUserInfo(config, tokens.access_token, id.sub);
  assert.equal(info.sub, id.sub);
  assert.equal(info.email, 'ada@example.test');
  assert.equal(info.given_name, 'Ada');
});

test('oidcc-response-type-missing and unsupported response types (no implicit, no hybrid)', async () => {
  for (const rt of [undefined, 'token', 'id_token', 'code id_token', 'code token']) {
    const { url } = await request({ response_type: rt });
    const r = await firstHop(url);
    if (r.status === 303) {
      const to = new URL(r.headers.get('location'));
      assert.equal(`${to.origin}${to.pathname}`, demo.redirect_uri);
      assert.ok(['unsupported_response_type', 'invalid_request'].includes(to.searchParams.get('error')), to.href);
      assert.equal(to.searchParams.get('iss'), issuer);
    } else {
      assert.equal(r.status, 400, `response_type=${rt}`);
    }
  }
});

test('oidcc-userinfo-get, -post-header, -post-body', async () => {
  const { tokens } = await codeFlow();
  const sub = tokens.claims().sub;
  const url = `${issuer}/oauth2/userinfo`;
  const get = await fetch(url, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(get.status, 200);
  assert.equal((await get.json()).sub, sub);
  const postHeader = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${tokens.access_token}` } });
  assert.equal((await postHeader.json()).sub, sub);
  const postBody = await fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ access_token: tokens.access_token }).toString(),
  });
  assert.equal(postBody.status, 200);
  assert.equal((await postBody.json()).sub, sub);
  const none = await fetch(url);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
});

test('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', async () => {
  const { tokens } = await codeFlow({ params: { nonce: undefined } });
  assert.equal(tokens.claims().nonce, undefined);
});

test('oidcc-scope-profile, oidcc-scope-email: claims per scope', async () => {
  const user = { email: 'grace@example.test', given_name: 'Grace', family_name: 'Hopper', name: 'Grace Hopper' };
  const onlyOpenid = await codeFlow({ user, params: { scope: 'openid' } });
  let info = await client.fetchUserInfo(config, onlyOpenid.tokens.access_token, onlyOpenid.tokens.claims().sub);
  assert.equal(info.email, undefined);
  assert.equal(info.given_name, undefined);
  const email = await codeFlow({ user, jar: onlyOpenid.jar, params: { scope: 'openid email' } });
  info = await client.fetchUserInfo(config, email.tokens.access_token, email.tokens.claims().sub);
  assert.equal(info.email, 'grace@example.test');
  assert.equal(info.given_name, undefined);
  const profile = await codeFlow({ user, jar: onlyOpenid.jar, params: { scope: 'openid profile' } });
  info = await client.fetchUserInfo(config, profile.tokens.access_token, profile.tokens.claims().sub);
  assert.equal(info.family_name, 'Hopper');
  assert.equal(info.email, undefined);
});

test('oidcc-prompt-login forces a new login; oidcc-prompt-none-logged-in is silent', async () => {
  const first = await codeFlow();
  // prompt=none with the session: a code at once, no login page.
  const silent = await request({ prompt: 'none' });
  const r = await firstHop(silent.url, first.jar);
  assert.equal(r.status, 303);
  const back = new URL(r.headers.get('location'));
  assert.equal(`${back.origin}${back.pathname}`, demo.redirect_uri);
  const t = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: silent.verifier, expectedState: silent.state, expectedNonce: silent.nonce });
  assert.equal(t.claims().sub, first.tokens.claims().sub);
  // prompt=login with the session: back to the login page.
  const again = await request({ prompt: 'login' });
  const l = await firstHop(again.url, first.jar);
  assert.equal(l.status, 303);
  assert.equal(new URL(l.headers.get('location')).pathname, '/sandbox/login');
  await new Promise((res) => setTimeout(res, 1100));
  const relogin = await codeFlow({ jar: first.jar, params: { prompt: 'login' } });
  assert.ok(relogin.tokens.claims().auth_time > first.tokens.claims().auth_time);
});

test('oidcc-prompt-none-not-logged-in: login_required with iss', async () => {
  const { url, state } = await request({ prompt: 'none' });
  const r = await firstHop(url);
  assert.equal(r.status, 303);
  const back = new URL(r.headers.get('location'));
  assert.equal(back.searchParams.get('error'), 'login_required');
  assert.equal(back.searchParams.get('state'), state);
  assert.equal(back.searchParams.get('iss'), issuer);
});

test('oidcc-max-age-1 re-authenticates; oidcc-max-age-10000 does not', async () => {
  const first = await codeFlow();
  const long = await request({ max_age: '10000' });
  assert.equal((await firstHop(long.url, first.jar)).status, 303);
  const longBack = new URL((await firstHop(long.url, first.jar)).headers.get('location'));
  assert.equal(`${longBack.origin}${longBack.pathname}`, demo.redirect_uri);
  await new Promise((res) => setTimeout(res, 2100));
  const short = await request({ max_age: '1' });
  const r = await firstHop(short.url, first.jar);
  assert.equal(new URL(r.headers.get('location')).pathname, '/sandbox/login');
  const second = await codeFlow({ jar: first.jar, params: { max_age: '1' } });
  const c = second.tokens.claims();
  assert.ok(c.auth_time, 'auth_time is in the ID token when max_age was asked');
  assert.ok(c.auth_time > first.tokens.claims().auth_time);
});

test('oidcc-ensure-request-with-unknown-parameter-succeeds, login_hint, ui_locales, claims_locales, acr_values', async () => {
  const { tokens } = await codeFlow({
    user: { email: 'ada@example.test' },
    params: { extra_thing: 'x', ui_locales: 'en-US fr', claims_locales: 'en', login_hint: 'ada@example.test', acr_values: 'urn:gatehouse:acr:mfa' },
  });
  assert.ok(tokens.claims().sub);
});

test('oidcc-id-token-hint: prompt=none with id_token_hint is silent with the same sub', async () => {
  const first = await codeFlow();
  const hinted = await request({ prompt: 'none', id_token_hint: first.tokens.id_token });
  const r = await firstHop(hinted.url, first.jar);
  const back = new URL(r.headers.get('location'));
  const t = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: hinted.verifier, expectedState: hinted.state, expectedNonce: hinted.nonce });
  assert.equal(t.claims().sub, first.tokens.claims().sub);
});

test('oidcc-codereuse: a second use is invalid_grant and revokes what the first issued', async () => {
  const r = await request();
  const back = new URL(await signInWithTestIdp(r.url.href, { email: 'ada@example.test' }, new CookieJar()));
  const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: r.verifier, expectedState: r.state, expectedNonce: r.nonce });
  const active = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(active.active, true);
  await assert.rejects(
    client.authorizationCodeGrant(config, back, { pkceCodeVerifier: r.verifier, expectedState: r.state, expectedNonce: r.nonce }),
    (e) => e.error === 'invalid_grant');
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false);
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (e) => e.error === 'invalid_grant');
});

test('oidcc-ensure-registered-redirect-uri: an error page, never a redirect', async () => {
  for (const redirect of ['https://evil.example/cb', `${demo.redirect_uri}/`, demo.redirect_uri.toUpperCase()]) {
    const { url } = await request({ redirect_uri: redirect });
    const r = await firstHop(url);
    assert.equal(r.status, 400, redirect);
    assert.equal(r.headers.get('location'), null);
    assert.match(r.headers.get('content-type'), /^text\/html/);
  }
});

test('oidcc-ensure-post-request-succeeds: the authorization endpoint accepts POST', async () => {
  const jar = new CookieJar();
  await codeFlow({ jar });
  const r = await request();
  const res = await fetch(`${issuer}/oauth2/authorize`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: jar.header(`${issuer}/oauth2/authorize`) },
    body: r.url.searchParams.toString(),
  });
  assert.equal(res.status, 303);
  const back = new URL(res.headers.get('location'));
  const t = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: r.verifier, expectedState: r.state, expectedNonce: r.nonce });
  assert.ok(t.access_token);
});

test('oidcc-server-client-secret-post', async () => {
  // The registered method is enforced: this client is registered for client_secret_post.
  const app = await call('POST', '/applications', {
    name: 'Post client', type: 'confidential', redirect_uris: [demo.redirect_uri],
    grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_post',
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const post = await client.discovery(new URL(issuer), app.body.client_id, undefined,
    client.ClientSecretPost(app.body.client_secret), insecure);
  const { tokens } = await codeFlow({ cfg: post });
  assert.equal(tokens.claims().aud, app.body.client_id);
  // The same client with Basic is refused: the registered method is the only one.
  const basic = await client.discovery(new URL(issuer), app.body.client_id, undefined,
    client.ClientSecretBasic(app.body.client_secret), insecure);
  await assert.rejects(codeFlow({ cfg: basic }), isInvalidClient);
});

test('request objects are refused with request_not_supported, never ignored', async () => {
  const { url } = await request({ request: 'eyJhbGciOiJub25lIn0.e30.' });
  const r = await firstHop(url);
  const back = new URL(r.headers.get('location'));
  assert.equal(back.searchParams.get('error'), 'request_not_supported');
  // request_uri is only a pushed request's reference (RFC 9126): anything else is refused on a
  // page, never fetched and never ignored.
  const { url: u2 } = await request({ request_uri: 'https://evil.example/req' });
  const r2 = await firstHop(u2);
  assert.equal(r2.headers.get('location'), null);
  assert.match(await r2.text(), /authorize\.request_uri_invalid/);
});

test('oidcc-claims-essential: an essential acr the login reaches is in the ID token', async () => {
  const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['urn:gatehouse:acr:mfa'] } } });
  const { tokens } = await codeFlow({ user: { email: 'ada@example.test', acr: 'mfa', amr: ['pwd', 'otp'] }, params: { claims } });
  const c = tokens.claims();
  assert.equal(c.acr, 'urn:gatehouse:acr:mfa');
  assert.ok(c.amr.includes('otp'));
});

test('oidcc-refresh-token: rotation, bound to the client, reuse revokes the family', async () => {
  const { tokens } = await codeFlow();
  const r1 = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(r1.refresh_token && r1.refresh_token !== tokens.refresh_token);
  assert.ok(r1.id_token);
  assert.equal(claimsOf(r1.id_token).sub, tokens.claims().sub);
  // Another client cannot use it.
  const other = await call('POST', '/applications', { name: 'Other', type: 'confidential', redirect_uris: ['http://127.0.0.1:3001/cb'], grant_types: ['authorization_code', 'refresh_token'] });
  assert.equal(other.status, 201, JSON.stringify(other.body));
  const otherCfg = await client.discovery(new URL(issuer), other.body.client_id, undefined,
    client.ClientSecretBasic(other.body.client_secret), insecure);
  await assert.rejects(client.refreshTokenGrant(otherCfg, r1.refresh_token), (e) => e.error === 'invalid_grant');
  // The rotated token again: the whole family is revoked, including the current token.
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (e) => e.error === 'invalid_grant');
  await assert.rejects(client.refreshTokenGrant(config, r1.refresh_token), (e) => e.error === 'invalid_grant');
});

test('oidcc-ensure-request-with-valid-pkce-succeeds, and RFC 9700 PKCE negatives', async () => {
  await codeFlow();  // valid PKCE
  const jar = new CookieJar();
  await codeFlow({ jar });
  // Plain PKCE and a missing challenge are refused at the authorization endpoint.
  for (const params of [{ code_challenge_method: 'plain' }, { code_challenge: undefined, code_challenge_method: undefined }]) {
    const { url } = await request(params);
    const back = new URL((await firstHop(url, jar)).headers.get('location'));
    assert.equal(back.searchParams.get('error'), 'invalid_request', JSON.stringify(params));
  }
  // Wrong and missing verifiers at the token endpoint.
  for (const verifier of ['x'.repeat(43), undefined]) {
    const r = await request();
    const back = new URL((await firstHop(r.url, jar)).headers.get('location'));
    const res = await fetch(`${issuer}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${demo.client_id}:${demo.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: demo.redirect_uri, ...(verifier ? { code_verifier: verifier } : {}) }).toString(),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_grant');
  }
});

test('rfc9700: a verifier without a challenge is refused (PKCE downgrade)', async () => {
  const app = await call('POST', '/applications', {
    name: 'No PKCE', type: 'confidential', redirect_uris: ['http://127.0.0.1:3002/cb'],
    grant_types: ['authorization_code'], pkce_required: false,
  });
  assert.equal(app.status, 201, JSON.stringify(app.body));
  const jar = new CookieJar();
  await codeFlow({ jar });  // a session in the demo organization
  const q = new URLSearchParams({ response_type: 'code', client_id: app.body.client_id, redirect_uri: 'http://127.0.0.1:3002/cb', scope: 'openid', state: 's' });
  const r = await firstHop(new URL(`${issuer}/oauth2/authorize?${q}`), jar);
  assert.equal(r.status, 303);
  const back = new URL(r.headers.get('location'));
  const code = back.searchParams.get('code');
  assert.ok(code, back.href);
  const res = await fetch(`${issuer}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${app.body.client_id}:${app.body.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:3002/cb', code_verifier: 'y'.repeat(43) }).toString(),
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'invalid_grant');
});

test('rfc9700: a code is bound to its client; bad client authentication is invalid_client', async () => {
  const other = await call('POST', '/applications', { name: 'Thief', type: 'confidential', redirect_uris: [demo.redirect_uri], grant_types: ['authorization_code'] });
  const jar = new CookieJar();
  await codeFlow({ jar });
  const r = await request();
  const back = new URL((await firstHop(r.url, jar)).headers.get('location'));
  const thief = await client.discovery(new URL(issuer), other.body.client_id, undefined,
    client.ClientSecretBasic(other.body.client_secret), insecure);
  await assert.rejects(
    client.authorizationCodeGrant(thief, back, { pkceCodeVerifier: r.verifier, expectedState: r.state, expectedNonce: r.nonce }),
    (e) => e.error === 'invalid_grant');
  const wrong = await client.discovery(new URL(issuer), demo.client_id, undefined,
    client.ClientSecretBasic('gh_cs_wrong'), insecure);
  await assert.rejects(client.clientCredentialsGrant(wrong, { resource: RESOURCE }), isInvalidClient);
});

test('introspection and revocation of a user token', async () => {
  const { tokens } = await codeFlow();
  const i = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(i.active, true);
  assert.equal(i.sub, tokens.claims().sub);
  assert.equal(i.client_id, demo.client_id);
  await client.tokenRevocation(config, tokens.refresh_token);
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (e) => e.error === 'invalid_grant');
  await client.tokenRevocation(config, tokens.access_token);
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false);
  await client.tokenRevocation(config, 'not-a-token');  // RFC 7009: 200 for unknown tokens
});

// ---- An organization's own issuer (issues 4 and 6) -------------------------------------------
// Last in this file: it gives the demo organization an issuer of its own.

test('an organization with its own issuer: discovery, sign-in and tokens under its issuer', async () => {
  const org = demo.organization_id;
  const orgIssuer = `${issuer}/o/${org}`;
  const before = await fetch(`${orgIssuer}/.well-known/openid-configuration`);
  assert.equal(before.status, 404);
  assert.equal((await before.json()).code, 'key.issuer_not_found');
  const s = await fetch(`${api}/organizations/${org}/key-settings`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${demo.admin_api_key}`, 'Content-Type': 'application/json',
      'If-Match': '"v0"' },
    body: JSON.stringify({ own_issuer: true, algorithms: ['ES256'], default_alg: 'ES256' }),
  });
  assert.equal(s.status, 200, await s.text());
  // Whether an organization has its own issuer is cached, and the cache is dropped on the
  // settings change: the discovery document is there at once.
  assert.equal((await fetch(`${orgIssuer}/.well-known/openid-configuration`)).status, 200);

  const orgConfig = await client.discovery(new URL(orgIssuer), demo.client_id, undefined,
    client.ClientSecretBasic(demo.client_secret), insecure);
  const m = orgConfig.serverMetadata();
  assert.equal(m.issuer, orgIssuer);
  assert.equal(m.authorization_endpoint, `${orgIssuer}/oauth2/authorize`);
  assert.equal(m.jwks_uri, `${orgIssuer}/.well-known/jwks.json`);
  assert.equal(m.token_endpoint, `${issuer}/oauth2/token`);
  assert.ok(m.id_token_signing_alg_values_supported.includes('ES256'));  // RS256 is always there too

  // openid-client checks `iss` in the authorization response (RFC 9207) and in the ID token.
  const { tokens } = await codeFlow({ cfg: orgConfig, user: { email: 'grace@example.test' } });
  const orgJwks = jose.createRemoteJWKSet(new URL(m.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token, orgJwks, {
    issuer: orgIssuer, audience: demo.client_id,
  });
  // The ID token in the application's registered algorithm, the access token in the issuer's
  // default; both under the organization's keys.
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload.org_id, org);
  const at = await jose.jwtVerify(tokens.access_token, orgJwks, { issuer: orgIssuer, typ: 'at+jwt' });
  assert.equal(at.protectedHeader.alg, 'ES256');
  // The environment's UserInfo and introspection accept the organization's tokens.
  const info = await client.fetchUserInfo(orgConfig, tokens.access_token, payload.sub);
  assert.equal(info.email, 'grace@example.test');
  assert.equal((await client.tokenIntrospection(orgConfig, tokens.access_token)).active, true);

  // An organization without an issuer of its own has no authorization endpoint either, and
  // one that is not in this environment is the same 404.
  const other = await call('POST', '/organizations', { name: 'Initech', slug: 'initech-iss' });
  assert.equal(other.status, 201, JSON.stringify(other.body));
  for (const id of [other.body.id, '00000000-0000-7000-8000-000000000000']) {
    const d = await fetch(`${issuer}/o/${id}/.well-known/openid-configuration`);
    assert.equal(d.status, 404);
    const a = await fetch(`${issuer}/o/${id}/oauth2/authorize?client_id=${demo.client_id}`,
      { redirect: 'manual' });
    assert.equal(a.status, 404);
    assert.match(await a.text(), /key\.issuer_not_found/);
  }
});
