// Drives Gatehouse's hosted login like a browser, over plain fetch with a cookie jar: from an
// authorization URL (or a /{env}/login URL) through the email page, the chooser, the test IdP's
// form and any auto-posted form, to the redirect back to the client. No npm packages.
//
//   const jar = new CookieJar();
//   const url = await signInWithTestIdp(authorizeUrl, { email: 'jane@example.test' }, jar);
//   // url: the client's redirect_uri with ?code=...&state=...&iss=...
//
// user: { email, name, given_name, family_name, groups: [..], department, acr, amr: [..],
// connection: id (pick on the chooser) }. opts.isClientUrl(url) decides where the journey ends
// (default: the first redirect or form post to another origin than startUrl's).

// A tiny cookie jar: name=value per host with Path, Max-Age=0 deletions, no Expires parsing.
export class CookieJar {
  constructor() {
    this.cookies = [];  // {host, name, value, path}
    this.lines = [];    // every Set-Cookie line received, as sent
  }
  store(url, response) {
    const host = new URL(url).host;
    const headers = typeof response.headers.getSetCookie === 'function'
      ? response.headers.getSetCookie() : [];
    for (const line of headers) {
      this.lines.push(line);
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let remove = false;
      for (const a of attrs) {
        const [k, v] = a.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) remove = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.host === host && c.name === name && c.path === path));
      if (!remove) this.cookies.push({ host, name, value, path });
    }
  }
  header(url) {
    const u = new URL(url);
    return this.cookies
      .filter((c) => c.host === u.host && (u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : c.path + '/')))
      .map((c) => `${c.name}=${c.value}`).join('; ');
  }
  get(name) {
    return this.cookies.find((c) => c.name === name)?.value;
  }
}

// mstch escapes & < > " ' and / (as &#x2F;).
function decode(s) {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCharCode(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCharCode(Number(d))).replace(/&amp;/g, '&');
}

function attr(tag, name) {
  const m = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
  return m ? decode(m[1]) : undefined;
}

// The page's first form: its action and its inputs (hidden and visible), selects and radios.
export function parseForm(html) {
  const form = html.match(/<form[^>]*>/);
  if (!form) return undefined;
  const action = attr(form[0], 'action');
  const inputs = [...html.matchAll(/<input[^>]*>/g)].map((m) => ({
    type: attr(m[0], 'type') ?? 'text', name: attr(m[0], 'name'), value: attr(m[0], 'value') ?? '',
    checked: /\schecked/.test(m[0]),
  }));
  const selects = [...html.matchAll(/<select[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)].map((m) => ({
    name: m[1], options: [...m[2].matchAll(/<option value="([^"]*)"/g)].map((o) => decode(o[1])),
  }));
  return { action, inputs, selects };
}

function errorOf(html) {
  const code = html.match(/<dd class="code">([^<]*)<\/dd>/) ?? html.match(/<span class="code">([^<]*)<\/span>/);
  return code ? decode(code[1]) : 'unknown';
}

export async function signInWithTestIdp(startUrl, user, jar, opts = {}) {
  const origin = new URL(startUrl).origin;
  const isClientUrl = opts.isClientUrl ?? ((u) => new URL(u).origin !== origin);
  let method = 'GET';
  let url = startUrl;
  let body;
  for (let hop = 0; hop < 20; hop++) {
    if (hop > 0 && isClientUrl(url)) {
      return method === 'GET' ? url : `${url}${url.includes('?') ? '&' : '?'}${body}`;
    }
    const headers = { Cookie: jar.header(url) };
    if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    jar.store(url, res);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location'), url).toString();
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await res.text();
    const form = parseForm(html);
    if (res.status !== 200 || !form) {
      const e = new Error(`hosted login stopped at ${url} with ${res.status} (${errorOf(html)})`);
      e.status = res.status;
      e.code = errorOf(html);
      e.html = html;
      throw e;
    }
    const fields = new URLSearchParams();
    const names = new Set(form.inputs.map((i) => i.name));
    if (names.has('state') && form.selects.some((s) => s.name === 'acr')) {
      // The test IdP's form: the user's attributes and authentication level.
      fields.set('state', form.inputs.find((i) => i.name === 'state').value);
      for (const f of ['email', 'name', 'given_name', 'family_name', 'department']) {
        const v = user[f] ?? (f === 'email' ? form.inputs.find((i) => i.name === 'email')?.value : '');
        if (v) fields.set(f, v);
      }
      if (user.groups?.length) fields.set('groups', user.groups.join('\n'));
      fields.set('acr', user.acr ?? form.selects.find((s) => s.name === 'acr').options[0]);
      for (const m of user.amr ?? ['pwd']) fields.append('amr', m);
    } else if (form.inputs.some((i) => i.type === 'radio' && i.name === 'connection')) {
      // The chooser.
      for (const i of form.inputs) if (i.type === 'hidden') fields.set(i.name, i.value);
      const radios = form.inputs.filter((i) => i.type === 'radio');
      fields.set('connection', user.connection ?? radios[0].value);
    } else if (names.has('email') && names.has('request')) {
      // The email-first page.
      fields.set('request', form.inputs.find((i) => i.name === 'request').value);
      fields.set('email', user.email);
    } else {
      // An auto-posted form (SAML, response_mode=form_post): post its hidden fields.
      for (const i of form.inputs) if (i.type === 'hidden') fields.append(i.name, i.value);
    }
    url = new URL(form.action, url).toString();
    method = 'POST';
    body = fields.toString();
  }
  throw new Error('hosted login did not finish in 20 steps');
}
