// OIDC connections to enterprise IdPs, against the real binary: npm `oidc-provider` 9.13.3
// (OpenID-certified) plays the customers' IdPs — one each for organizations Acme and Globex,
// and two in organization Initech — and npm `openid-client` is the application signing in to
// Gatehouse through hosted login. A small rogue IdP (node:http + jose) answers with the broken
// ID tokens and authorization responses a certified OP never sends: the negatives.
//
// Domains are verified through DNS TXT records served by a throwaway dnsmasq, like
// tests/integration/login.test.mjs. oidc-provider's interactions are completed over HTTP
// without a form (interactionDetails / interactionFinished): the account is the login_hint's
// local part, the acr the first one asked for (or the IdP's forced level).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomBytes, createPublicKey } from 'node:crypto';
import * as jose from 'jose';
import * as client from 'openid-client';
import Provider from 'oidc-provider';
import { cleanup, cli, freePort, startServer, tempDir, waitFor } from '../integration/lib.mjs';
import { CookieJar, signInWithTestIdp } from '../integration/login_driver.mjs';

const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => {
  try { execFileSync(p, ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
});
const insecure = { execute: [client.allowInsecureRequests] };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let dir, srv, demo, dns, dnsPort, app;
const records = new Map();
const idps = [];

async function startDns() {
  if (dns) {
    const exited = new Promise((r) => dns.on('exit', r));
    dns.kill('SIGTERM');
    await exited;
  }
  const args = ['--no-daemon', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--pid-file',
    `--port=${dnsPort}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--local=/example/',
    '--log-facility=-'];
  for (const [name, value] of records) args.push(`--txt-record=${name},${value}`);
  dns = spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  dns.stderr.on('data', (d) => { log += d.toString(); });
  await waitFor(() => log.includes('started') || dns.exitCode !== null, { timeoutMs: 5000 });
  assert.equal(dns.exitCode, null, `dnsmasq did not start: ${log}`);
}

async function call(method, p, body) {
  const r = await fetch(`${srv.url}/api/v1/environments/sandbox${p}`, {
    method,
    headers: { Authorization: `Bearer ${demo.admin_api_key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed };
}

async function signingKey(kid) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

// A customer's IdP: oidc-provider on its own port, re-created when its clients or keys change
// (a rotation replaces the signing key: the old kid disappears from its JWKS).
// `accountOf` turns the login_hint (the email typed at hosted login) into the IdP's account id,
// the ID token's sub: by default `u-` and the email's local part.
async function startIdp(name, { acrValues = ['urn:idp:pwd', 'urn:idp:mfa'], conform = false,
  accountOf = (email) => `u-${email.split('@')[0]}` } = {}) {
  const port = await freePort();
  const idp = {
    name, issuer: `http://127.0.0.1:${port}`, clients: [], keys: [await signingKey(`${name}-1`)],
    forcedAcr: undefined, provider: undefined,
  };
  idp.reload = () => {
    idp.provider = new Provider(idp.issuer, {
      clients: idp.clients,
      jwks: { keys: idp.keys },
      acrValues,
      conformIdTokenClaims: conform,  // true: the scopes' claims only from UserInfo
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
      features: { devInteractions: { enabled: false }, claimsParameter: { enabled: true } },
      interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
      cookies: { keys: ['interop-cookie-key'] },
      // Gatehouse serves a private_key_jwt connection's JWKS on loopback here: let the IdP's
      // outbound fetch reach it (oidc-provider's SSRF guard refuses special-use addresses).
      fetch: (url, options) => { delete options.dispatcher; return globalThis.fetch(url, options); },
      findAccount: (ctx, sub) => ({
        accountId: sub,
        claims: () => ({ sub, email: idp.emails?.[sub], email_verified: true, given_name: sub, name: `${sub} at ${name}` }),
      }),
    });
    idp.provider.on('server_error', (ctx, e) => { console.error(`${name} server_error`, e); });
  };
  idp.emails = {};
  idp.reload();
  idp.server = http.createServer(async (req, res) => {
    if (!req.url.startsWith('/interaction/')) return idp.provider.callback()(req, res);
    try {
      const details = await idp.provider.interactionDetails(req, res);
      const { prompt, params } = details;
      let result;
      if (prompt.name === 'login') {
        const email = params.login_hint ?? 'nobody@nowhere.example';
        const accountId = accountOf(email);
        idp.emails[accountId] = email;
        const asked = String(params.acr_values ?? '').split(' ').filter(Boolean);
        result = { login: { accountId, acr: idp.forcedAcr ?? asked[0] ?? 'urn:idp:pwd', amr: ['pwd'] } };
      } else {
        const grant = new idp.provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
        const missing = prompt.details;
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        result = { consent: { grantId: await grant.save() } };
      }
      await idp.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  });
  await new Promise((r) => idp.server.listen(port, '127.0.0.1', r));
  idp.addClient = (c) => { idp.clients.push(c); idp.reload(); };
  idp.rotate = async (kid) => { idp.keys = [await signingKey(kid)]; idp.reload(); };
  idps.push(idp);
  return idp;
}

// The rogue IdP: discovery, JWKS, an authorization endpoint that answers at once, and a token
// endpoint whose ID token is broken as `mode` says.
async function startRogue() {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const stranger = await jose.generateKeyPair('RS256', { extractable: true });
  const pub = { ...(await jose.exportJWK(publicKey)), kid: 'rogue-1', alg: 'RS256', use: 'sig' };
  const codes = new Map();
  const rogue = { issuer, mode: 'good', email: undefined, sub: 'rogue-user' };
  rogue.server = http.createServer(async (req, res) => {
    const u = new URL(req.url, issuer);
    const json = (o, status = 200) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(o)); };
    if (u.pathname === '/.well-known/openid-configuration') {
      return json({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'],
        authorization_response_iss_parameter_supported: true, response_types_supported: ['code'] });
    }
    if (u.pathname === '/jwks') return json({ keys: [pub] });
    if (u.pathname === '/authorize') {
      const code = randomBytes(8).toString('hex');
      codes.set(code, Object.fromEntries(u.searchParams));
      const back = new URL(u.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state'));
      if (rogue.mode === 'wrong_iss_param') back.searchParams.set('iss', 'http://127.0.0.1:9/other-idp');
      else if (rogue.mode !== 'no_iss_param') back.searchParams.set('iss', issuer);
      res.writeHead(302, { Location: back.href });
      return res.end();
    }
    if (u.pathname === '/token') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const a = codes.get(form.get('code'));
      codes.delete(form.get('code'));
      if (!a) return json({ error: 'invalid_grant' }, 400);
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, sub: rogue.sub, aud: a.client_id, nonce: a.nonce, iat: now, exp: now + 300,
        email: rogue.email ?? a.login_hint, email_verified: true };
      const m = rogue.mode;
      if (m === 'wrong_iss') claims.iss = 'http://127.0.0.1:9/other-idp';
      if (m === 'wrong_aud') claims.aud = 'someone-else';
      if (m === 'no_nonce') delete claims.nonce;
      if (m === 'wrong_nonce') claims.nonce = 'a-nonce-from-another-login';
      if (m === 'expired') { claims.iat = now - 3600; claims.exp = now - 1800; }
      if (m === 'foreign') claims.iss = rogue.foreignIssuer;
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      let idToken;
      if (m === 'alg_none') {
        idToken = `${b64({ alg: 'none', kid: 'rogue-1' })}.${b64(claims)}.`;
      } else if (m === 'hs256_pubkey') {
        const input = `${b64({ alg: 'HS256', kid: 'rogue-1', typ: 'JWT' })}.${b64(claims)}`;
        const pem = createPublicKey({ key: pub, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        idToken = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
      } else if (m === 'foreign') {
        // Signed by organization A's IdP itself (its real key), issued to this client.
        idToken = await new jose.SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: rogue.foreignKey.kid, typ: 'JWT' })
          .sign(await jose.importJWK(rogue.foreignKey, 'RS256'));
      } else {
        const unknown = m === 'unknown_kid';
        idToken = await new jose.SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: unknown ? 'not-published' : 'rogue-1', typ: 'JWT' })
          .sign(unknown ? stranger.privateKey : privateKey);
      }
      return json({ access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: idToken });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => rogue.server.listen(port, '127.0.0.1', r));
  return rogue;
}

async function verifyDomain(org, domain) {
  const claimed = await call('POST', `/organizations/${org.id}/domains`, { domain });
  assert.equal(claimed.status, 201, JSON.stringify(claimed.body));
  records.set(claimed.body.verification.name, claimed.body.verification.value);
  await startDns();
  const verified = await call('POST', `/organizations/${org.id}/domains/${domain}/verify`);
  assert.equal(verified.body.state, 'verified', JSON.stringify(verified.body));
}

async function oidcConnection(org, idp, { name, domains, settings = {}, acr_mapping } = {}) {
  // private_key_jwt: no secret; the IdP registers the connection's JWKS URL instead.
  const keyed = settings.token_endpoint_auth_method === 'private_key_jwt';
  const secret = randomBytes(16).toString('hex');
  const created = await call('POST', `/organizations/${org.id}/connections`, {
    type: 'oidc', name: name ?? `${idp.name} IdP`, domains,
    settings: { discovery_url: `${idp.issuer}/.well-known/openid-configuration`, client_id: `gatehouse-${org.slug}-${idp.name}`,
      ...(keyed ? {} : { client_secret: secret }), ...settings },
    ...(acr_mapping ? { acr_mapping } : {}),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const c = created.body;
  idp.addClient?.({ client_id: c.settings.client_id, redirect_uris: [c.settings.redirect_uri],
    ...(keyed ? { jwks_uri: c.settings.client_jwks_uri } : { client_secret: secret }),
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: c.settings.token_endpoint_auth_method });
  const active = await call('POST', `/organizations/${org.id}/connections/${c.id}/activate`);
  assert.equal(active.status, 200, JSON.stringify(active.body));
  return c;
}

// The application's login: openid-client's authorization URL, hosted login and the IdP driven
// with a cookie jar, then openid-client's code exchange and ID token validation.
async function appLogin(email, { params = {}, connection, jar = new CookieJar() } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(app, {
    redirect_uri: demo.redirect_uri, scope: 'openid email profile', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    ...params,
  });
  const back = await signInWithTestIdp(url.href, { email, connection }, jar,
    { isClientUrl: (u) => u.startsWith(demo.redirect_uri) });
  const tokens = await client.authorizationCodeGrant(app, new URL(back), {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
  });
  return tokens.claims();
}

async function failsWith(promise, code) {
  await assert.rejects(promise, (e) => { assert.equal(e.code, code, e.message); return true; });
}

before(async () => {
  assert.ok(DNSMASQ, 'dnsmasq is not installed (scripts/deps installs dnsmasq-base)');
  dnsPort = await freePort();
  await startDns();
  dir = tempDir();
  const port = await freePort();
  demo = JSON.parse(cli(['seed-demo', '--data-dir', dir, '--log-level', 'warn', '--public-url', `http://127.0.0.1:${port}`]));
  srv = await startServer({ dataDir: dir, port, env: { GATEHOUSE_DNS_NAMESERVER: `127.0.0.1:${dnsPort}` } });
  app = await client.discovery(new URL(`${srv.url}/sandbox`), demo.client_id, undefined,
    client.ClientSecretBasic(demo.client_secret), insecure);
});

after(async () => {
  await srv?.stop();
  for (const i of idps) i.server.close();
  if (rogue) rogue.server.close();
  if (dns) dns.kill('SIGTERM');
  cleanup(dir);
});

let acme, globex, initech, rogueOrg, idpA, idpB, idpC1, idpC2, rogue, connA, connB, connC1, connC2, connR;

test('setup: three organizations, four oidc-provider IdPs and a rogue one, through the API', async () => {
  // Initech's American IdP names its accounts by the local part before any dot, so
  // sam.us@initech-oidc.example is account `u-sam` there, the same sub as sam@ at the European
  // IdP: the same sub from two issuers, with two different emails.
  [idpA, idpB, idpC1, idpC2] = [await startIdp('acme'), await startIdp('globex', { conform: true }), await startIdp('initech-eu'),
    await startIdp('initech-us', { accountOf: (email) => `u-${email.split('@')[0].split('.')[0]}` })];
  rogue = await startRogue();
  acme = (await call('POST', '/organizations', { name: 'Acme', slug: 'acme-oidc' })).body;
  globex = (await call('POST', '/organizations', { name: 'Globex', slug: 'globex-oidc' })).body;
  initech = (await call('POST', '/organizations', { name: 'Initech', slug: 'initech-oidc' })).body;
  rogueOrg = (await call('POST', '/organizations', { name: 'Rogue', slug: 'rogue-oidc' })).body;
  await verifyDomain(acme, 'acme-oidc.example');
  await verifyDomain(globex, 'globex-oidc.example');
  await verifyDomain(initech, 'initech-oidc.example');
  await verifyDomain(rogueOrg, 'rogue-oidc.example');
  connA = await oidcConnection(acme, idpA, { domains: ['acme-oidc.example'], acr_mapping: { 'urn:idp:pwd': 'urn:gh:pwd', 'urn:idp:mfa': 'urn:gh:mfa' } });
  connB = await oidcConnection(globex, idpB, { domains: ['globex-oidc.example'], settings: { token_endpoint_auth_method: 'client_secret_post', use_userinfo: true } });
  connC1 = await oidcConnection(initech, idpC1, { name: 'Initech Europe', domains: ['initech-oidc.example'] });
  connC2 = await oidcConnection(initech, idpC2, { name: 'Initech Americas', domains: ['initech-oidc.example'] });
  connR = await oidcConnection(rogueOrg, rogue, { domains: ['rogue-oidc.example'] });

  // The answer: the connection's own redirect_uri, the IdP's metadata, and never the secret.
  assert.equal(connA.settings.redirect_uri, `${srv.url}/sandbox/login/callback/${connA.id}`);
  assert.notEqual(connA.settings.redirect_uri, connB.settings.redirect_uri);
  assert.equal(connA.settings.metadata.issuer, idpA.issuer);
  assert.equal(connA.settings.metadata.authorization_response_iss_parameter_supported, true);
  assert.equal(connA.settings.client_secret_set, true);
  const got = await call('GET', `/organizations/${acme.id}/connections/${connA.id}`);
  const text = JSON.stringify(got.body);
  assert.ok(!text.includes('client_secret"') && !text.includes('client_secret_sealed') && !text.includes('secret_ref'), text);

  // Bad input: clear errors naming the field, nothing created.
  const before = (await call('GET', `/organizations/${acme.id}/connections`)).body.data.length;
  for (const [settings, field] of [
    [{ discovery_url: 'http://idp.example.com/.well-known/openid-configuration', client_id: 'x', client_secret: 'y' }, 'settings.discovery_url'],
    [{ discovery_url: `http://127.0.0.1:${await freePort()}/.well-known/openid-configuration`, client_id: 'x', client_secret: 'y' }, 'settings.discovery_url'],
    [{ discovery_url: `${idpA.issuer}/.well-known/openid-configuration`, client_secret: 'y' }, 'settings.client_id'],
    [{ discovery_url: `${idpA.issuer}/.well-known/openid-configuration`, client_id: 'x' }, 'settings.client_secret'],
    [{ discovery_url: `${idpA.issuer}/.well-known/openid-configuration`, client_id: 'x', client_secret: 'y', token_endpoint_auth_method: 'none' }, 'settings.token_endpoint_auth_method'],
    [{ issuer: idpA.issuer, client_id: 'x', client_secret: 'y' }, 'settings'],
  ]) {
    const r = await call('POST', `/organizations/${acme.id}/connections`, { type: 'oidc', name: `bad ${field}`, settings });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.code, 'connection.invalid');
    assert.equal(r.body.field, field, JSON.stringify(r.body));
  }
  assert.equal((await call('GET', `/organizations/${acme.id}/connections`)).body.data.length, before);
});

test('two organizations, two independent IdPs: full logins into the application', async () => {
  const a = await appLogin('jane@acme-oidc.example');
  assert.equal(a.email, 'jane@acme-oidc.example');
  const b = await appLogin('jane@globex-oidc.example');  // client_secret_post + UserInfo
  assert.equal(b.email, 'jane@globex-oidc.example');
  assert.notEqual(a.sub, b.sub);
  const again = await appLogin('jane@acme-oidc.example');
  assert.equal(again.sub, a.sub, 'the same (connection, issuer, sub) is the same user');
});

test('two IdPs in one organization: the chooser, and the same sub from two issuers is two users', async () => {
  // Both IdPs say sub `u-sam` (for two different people with two different emails): the
  // binding is (connection, issuer, sub), so they are two users, never one.
  const eu = await appLogin('sam@initech-oidc.example', { connection: connC1.id });
  const us = await appLogin('sam.us@initech-oidc.example', { connection: connC2.id });
  assert.notEqual(eu.sub, us.sub);
  const bindingsOf = async (user) => {
    const r = await call('GET', `/organizations/${initech.id}/users/${user}/bindings`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.data;
  };
  const [euBindings, usBindings] = [await bindingsOf(eu.sub), await bindingsOf(us.sub)];
  assert.equal(euBindings.length, 1);
  assert.equal(usBindings.length, 1);
  assert.equal(euBindings[0].subject, 'u-sam');
  assert.equal(usBindings[0].subject, 'u-sam', 'the same upstream sub');
  assert.equal(euBindings[0].issuer, idpC1.issuer);
  assert.equal(usBindings[0].issuer, idpC2.issuer);
  assert.equal(euBindings[0].connection_id, connC1.id);
  assert.equal(usBindings[0].connection_id, connC2.id);
  // Signing in again through each IdP finds each one's own user.
  assert.equal((await appLogin('sam@initech-oidc.example', { connection: connC1.id })).sub, eu.sub);
  // connection= skips the chooser (the application names the connection).
  const direct = await appLogin('sam.us@initech-oidc.example', { params: { connection: connC2.id } });
  assert.equal(direct.sub, us.sub);
});

test('acr requested and met, requested and not met (fail closed)', async () => {
  const met = await appLogin('mia@acme-oidc.example', { params: { acr_values: 'urn:gh:mfa' } });
  assert.equal(met.acr, 'urn:gh:mfa');
  idpA.forcedAcr = 'urn:idp:pwd';
  try {
    await failsWith(appLogin('mia@acme-oidc.example', { params: { acr_values: 'urn:gh:mfa' } }), 'oidc.acr_not_met');
  } finally {
    idpA.forcedAcr = undefined;
  }
});

test('the IdP rotates its signing key mid-test: the unknown kid re-fetches its JWKS', async () => {
  await appLogin('kim@acme-oidc.example');
  await idpA.rotate('acme-2');
  await sleep(5200);  // past the JWKS re-fetch rate limit
  const after = await appLogin('kim@acme-oidc.example');
  assert.equal(after.email, 'kim@acme-oidc.example');
  // The re-fetch is rate-limited per JWKS URI: a second rotation right after is not followed
  // until the interval has passed (made-up kids cannot make Gatehouse hammer the IdP), then is.
  await idpA.rotate('acme-3');
  await failsWith(appLogin('kim@acme-oidc.example'), 'oidc.key_not_found');
  await sleep(5200);
  assert.equal((await appLogin('kim@acme-oidc.example')).sub, after.sub, 'the same user throughout');
});

test('private_key_jwt to the IdP: a key per connection, its JWKS at a stable URL, registered at oidc-provider', async () => {
  const idpK = await startIdp('keyed');
  const keyedOrg = (await call('POST', '/organizations', { name: 'Keyed', slug: 'keyed-oidc' })).body;
  await verifyDomain(keyedOrg, 'keyed-oidc.example');
  const c = await oidcConnection(keyedOrg, idpK, { domains: ['keyed-oidc.example'],
    settings: { token_endpoint_auth_method: 'private_key_jwt' } });
  // The answer: the JWKS URL to register at the IdP and the public keys; nothing private.
  assert.equal(c.settings.client_jwks_uri, `${srv.url}/sandbox/oidc/${keyedOrg.id}/${c.id}/jwks.json`);
  assert.equal(c.settings.client_secret_set, false);
  const text = JSON.stringify(c);
  assert.ok(!text.includes('sealed') && !text.includes('client_key') && !text.includes('"d"'), text);
  const served = await fetch(c.settings.client_jwks_uri);
  assert.equal(served.status, 200);
  const jwks = await served.json();
  assert.equal(jwks.keys.length, 1);
  assert.deepEqual(jwks, c.settings.client_jwks);
  const kid = jwks.keys[0].kid;
  assert.equal(jwks.keys[0].alg, 'RS256');
  for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(jwks.keys[0][priv], undefined);
  // Another organization's path, or a connection without a key: not found.
  assert.equal((await fetch(`${srv.url}/sandbox/oidc/${acme.id}/${c.id}/jwks.json`)).status, 404);
  assert.equal((await fetch(`${srv.url}/sandbox/oidc/${acme.id}/${connA.id}/jwks.json`)).status, 404);

  // The login: oidc-provider fetches the JWKS from Gatehouse and verifies the assertion.
  const first = await appLogin('ana@keyed-oidc.example');
  assert.equal(first.email, 'ana@keyed-oidc.example');

  // Changing the settings keeps the key (the IdP has registered it); the IdP's issuer as the
  // assertion's audience works too (draft-ietf-oauth-rfc7523bis).
  const current = await call('GET', `/organizations/${keyedOrg.id}/connections/${c.id}`);
  const patched = await fetch(`${srv.url}/api/v1/environments/sandbox/organizations/${keyedOrg.id}/connections/${c.id}`, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${demo.admin_api_key}`, 'Content-Type': 'application/json', 'If-Match': `"v${current.body.version}"` },
    body: JSON.stringify({ settings: { discovery_url: `${idpK.issuer}/.well-known/openid-configuration`,
      client_id: c.settings.client_id, token_endpoint_auth_method: 'private_key_jwt', client_assertion_audience: 'issuer' } }),
  });
  const after = await patched.json();
  assert.equal(patched.status, 200, JSON.stringify(after));
  assert.equal(after.settings.client_jwks.keys[0].kid, kid, 'the same key after a change');
  assert.equal(after.settings.client_jwks_uri, c.settings.client_jwks_uri);
  assert.equal((await appLogin('ana@keyed-oidc.example')).sub, first.sub);

  // A bad audience setting is refused and changes nothing.
  const bad = await call('POST', `/organizations/${keyedOrg.id}/connections`, { type: 'oidc', name: 'bad audience',
    settings: { discovery_url: `${idpK.issuer}/.well-known/openid-configuration`, client_id: 'x',
      token_endpoint_auth_method: 'private_key_jwt', client_assertion_audience: 'anyone' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.field, 'settings.client_assertion_audience');
  // A connection cannot bring its own "generated" key.
  const forged = await call('POST', `/organizations/${keyedOrg.id}/connections`, { type: 'oidc', name: 'forged key',
    settings: { discovery_url: `${idpK.issuer}/.well-known/openid-configuration`, client_id: 'x',
      token_endpoint_auth_method: 'private_key_jwt', client_key: { kid, sealed: 'AAAA', jwks: jwks } } });
  assert.equal(forged.status, 400);
  assert.equal(forged.body.field, 'settings.client_key');

  // The IdP verifies the signature: registered with another key, it refuses the code exchange.
  const stranger = await jose.generateKeyPair('RS256', { extractable: true });
  const client0 = idpK.clients[0];
  idpK.clients[0] = { ...client0, jwks_uri: undefined,
    jwks: { keys: [{ ...(await jose.exportJWK(stranger.publicKey)), kid, alg: 'RS256', use: 'sig' }] } };
  delete idpK.clients[0].jwks_uri;
  idpK.reload();
  try {
    await failsWith(appLogin('ana@keyed-oidc.example'), 'oidc.token_exchange_failed');
  } finally {
    idpK.clients[0] = client0;
    idpK.reload();
  }
  assert.equal((await appLogin('ana@keyed-oidc.example')).sub, first.sub);
});

// ---- negatives through the rogue IdP -----------------------------------------------------------

for (const [mode, code] of [
  ['wrong_iss', 'oidc.issuer_mismatch'],
  ['wrong_aud', 'oidc.audience_mismatch'],
  ['no_nonce', 'oidc.nonce_mismatch'],
  ['wrong_nonce', 'oidc.nonce_mismatch'],
  ['expired', 'oidc.token_expired'],
  ['alg_none', 'oidc.signature_invalid'],
  ['hs256_pubkey', 'oidc.signature_invalid'],
  ['unknown_kid', 'oidc.key_not_found'],
  ['wrong_iss_param', 'oidc.iss_mismatch'],
  ['no_iss_param', 'oidc.iss_mismatch'],
]) {
  test(`negative: ${mode} → ${code}`, async () => {
    rogue.mode = mode;
    try {
      await failsWith(appLogin('eve@rogue-oidc.example'), code);
    } finally {
      rogue.mode = 'good';
    }
  });
}

test('the rogue IdP in good faith signs in (the negatives above fail for their one reason)', async () => {
  const ok = await appLogin('eve@rogue-oidc.example');
  assert.equal(ok.email, 'eve@rogue-oidc.example');
});

test("an ID token from organization A's IdP presented to B's connection", async () => {
  rogue.mode = 'foreign';
  rogue.foreignIssuer = idpA.issuer;
  rogue.foreignKey = idpA.keys[0];
  try {
    await failsWith(appLogin('eve@rogue-oidc.example'), 'oidc.key_not_found');
  } finally {
    rogue.mode = 'good';
  }
});

test('the domain guard: an IdP vouching for an email outside the organization', async () => {
  rogue.email = 'eve@acme-oidc.example';
  try {
    await failsWith(appLogin('eve@rogue-oidc.example'), 'login.domain_not_allowed');
  } finally {
    rogue.email = undefined;
  }
});

test('an unverified domain finds no organization', async () => {
  const claimed = await call('POST', `/organizations/${acme.id}/domains`, { domain: 'acme-unverified.example' });
  assert.equal(claimed.status, 201);
  await failsWith(appLogin('joe@acme-unverified.example'), 'login.no_organization');
});

// By hand, hop by hop, to keep the callback URL.
async function hop(url, jar, init = {}) {
  const r = await fetch(url, { redirect: 'manual', ...init, headers: { ...(init.headers ?? {}), Cookie: jar.header(url) } });
  jar.store(url, r);
  const html = r.status >= 300 && r.status < 400 ? '' : await r.text();
  const code = html.match(/<dd class="code">([^<]*)<\/dd>/) ?? html.match(/<span class="code">([^<]*)<\/span>/);
  return { status: r.status, location: r.headers.get('location'), code: code?.[1] };
}

async function rogueCallback(jar) {
  const url = client.buildAuthorizationUrl(app, {
    redirect_uri: demo.redirect_uri, scope: 'openid email', state: client.randomState(), nonce: client.randomNonce(),
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    login_hint: 'eve@rogue-oidc.example',
  });
  let r = await hop(url.href, jar);
  while (r.location && !r.location.startsWith(rogue.issuer)) r = await hop(new URL(r.location, srv.url).href, jar);
  const authz = r.location;
  r = await hop(authz, jar);
  assert.ok(r.location.startsWith(connR.settings.redirect_uri), r.location);
  return r.location;
}

test('a replayed authorization response (same state, same browser) is refused', async () => {
  const jar = new CookieJar();
  const callback = await rogueCallback(jar);
  // The login's binding cookie (one per login: gh_login_{env}_{t}), put back after the login
  // cleared it, as an attacker replaying from the same browser would.
  const saved = jar.cookies.find((c) => c.name.startsWith('gh_login_sandbox_'));
  assert.ok(saved, 'the login set its binding cookie');
  const first = await hop(callback, jar);
  assert.equal(first.status, 303);
  jar.cookies.push({ ...saved });
  const replay = await hop(callback, jar);
  assert.equal(replay.code, 'login.transaction_used');
});

test("mix-up: IdP X's response at connection Y's redirect URI", async () => {
  const jar = new CookieJar();
  const callback = new URL(await rogueCallback(jar));
  const elsewhere = new URL(connA.settings.redirect_uri);
  elsewhere.search = callback.search;
  const r = await hop(elsewhere.href, jar);
  // Refused before the code is used: this browser started no login with connection Y
  // (login.browser_mismatch), and Y's state check would refuse X's state anyway.
  assert.ok(['login.browser_mismatch', 'login.state_invalid'].includes(r.code), r.code);
  // And the state of a rogue login cannot be altered into another transaction.
  callback.searchParams.set('state', `${callback.searchParams.get('state')}x`);
  assert.equal((await hop(callback.href, jar)).code, 'login.state_invalid');
});
