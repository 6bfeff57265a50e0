// Differential test: `gatehouse policy authorize` against @cedar-policy/cedar-wasm (4.13).
// A seeded generator builds policy sets over every Cedar operator and extension function, entity
// graphs (attributes of every type, tags, a group hierarchy) and requests; both engines decide
// every request and must agree on decision, reasons and erroring policies. The generator asserts
// that every operator and function was exercised.
// Usage: node diff.mjs --gatehouse PATH [--cases N] [--seed S] [--requests R]
//   make test runs the default (400 cases x 8 requests); CEDAR_DIFF_LONG=1 runs 5000 cases.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const GATEHOUSE = opt('gatehouse');
const LONG = process.env.CEDAR_DIFF_LONG === '1';
const CASES = Number(opt('cases', LONG ? 5000 : 400));
const SEED = Number(opt('seed', 20261127));
const REQS = Number(opt('requests', 8));
if (!GATEHOUSE) { console.error('--gatehouse PATH is required'); process.exit(2); }

// mulberry32: small, seedable, reproducible.
let state = SEED >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rand() < p;

const coverage = new Map();
const used = (op) => coverage.set(op, (coverage.get(op) || 0) + 1);
const REQUIRED = ['==', '!=', '<', '<=', '>', '>=', 'in', 'in-set', 'has', 'has-path', 'like', 'is', 'is-in',
  '&&', '||', '!', 'neg', 'if', '+', '-', '*', 'contains', 'containsAll', 'containsAny', 'isEmpty',
  'record', 'set', 'getattr', 'entity-literal', 'hasTag', 'getTag', 'ip', 'isIpv4', 'isIpv6',
  'isLoopback', 'isMulticast', 'isInRange', 'decimal', 'lessThan', 'lessThanOrEqual', 'greaterThan',
  'greaterThanOrEqual', 'datetime', 'duration', 'offset', 'durationSince', 'toDate', 'toTime',
  'toMilliseconds', 'toSeconds', 'toMinutes', 'toHours', 'toDays', 'scope-eq', 'scope-in', 'scope-is',
  'scope-is-in', 'action-in-list', 'unless', 'forbid', 'schema'];

const USERS = ['alice', 'bob', 'carol', 'dave', 'eve'];
const GROUPS = ['g0', 'g1', 'g2', 'g3'];
const DOCS = ['d0', 'd1', 'd2'];
const ACTIONS = ['read', 'write', 'admin', 'delete'];
const STRINGS = ['', 'a', 'abc', 'alice', 'x*y', 'hello world', 'ünï', 'g1'];
const IPS = ['10.0.0.1', '10.0.0.0/8', '192.168.1.7', '127.0.0.1', '127.0.0.0/8', '224.1.2.3', '::1',
  'ff02::1', '2001:db8::/32', '2001:db8::5', '0.0.0.0/0', '10.1.2.3/24', '1.2.3.256', '::ffff:1.2.3.4', '01.2.3.4'];
const DECIMALS = ['0.0', '1.5', '-2.25', '3.1415', '922337203685477.5807', '-922337203685477.5808', '1.23456', '12', '1.'];
const DATETIMES = ['2024-01-01', '2024-02-29T12:00:00Z', '1970-01-01T00:00:00.001Z', '2023-12-31T23:59:59+0100',
  '1969-12-31T23:59:59.999-0130', '2024-13-01', '2024-02-30', '2024-01-01T24:00:00Z', '0001-01-01'];
const DURATIONS = ['1d', '2h30m', '-1ms', '1d2h3m4s5ms', '0ms', '90m', '-3h', '1h1d', 'ms', '9223372036854775807ms',
  '106751991167d'];
const LONGS = [0, 1, -1, 7, 42, 1000, 9223372036854775807n, -9223372036854775808n, 4611686018427387904n];

const str = (s) => JSON.stringify(s);
const uid = (type, id) => ({ type, id });
const ext = (fn, arg) => ({ __extn: { fn, arg } });

// In schema mode the schema types the attributes, so extension values and entity references are
// sometimes written without their __extn / __entity escapes, and tags are all strings.
function genEntities(schemaMode) {
  const ents = [];
  const x = (fn, arg) => (schemaMode && chance(0.5) ? arg : ext(fn, arg));
  const ref = (type, id) => (schemaMode && chance(0.5) ? uid(type, id) : { __entity: uid(type, id) });
  for (const g of GROUPS) {
    const parents = GROUPS.filter((h) => h > g && chance(0.35)).map((h) => uid('Group', h));
    ents.push({ uid: uid('Group', g), attrs: { name: g, level: int(5) }, parents });
  }
  for (const u of USERS) {
    if (chance(0.1)) continue; // sometimes a principal does not exist
    const attrs = {};
    if (chance(0.9)) attrs.level = pick(LONGS.slice(0, 6));
    if (chance(0.9)) attrs.name = pick(STRINGS);
    if (chance(0.8)) attrs.flag = chance(0.5);
    if (chance(0.8)) attrs.team = ref('Group', pick(GROUPS));
    if (chance(0.8)) attrs.roles = [...new Set([pick(STRINGS), pick(STRINGS)])];
    if (chance(0.7)) attrs.ip = x('ip', pick(IPS.slice(0, 11)));
    if (chance(0.7)) attrs.score = x('decimal', pick(DECIMALS.slice(0, 6)));
    if (chance(0.6)) attrs.joined = x('datetime', pick(DATETIMES.slice(0, 5)));
    if (chance(0.6)) attrs.ttl = x('duration', pick(DURATIONS.slice(0, 7)));
    if (chance(0.7)) attrs.rec = chance(0.7) ? { a: int(10), b: pick(STRINGS), inner: { c: chance(0.5) } } : { b: 'x' };
    const tags = {};
    if (chance(0.5)) tags.t = pick(STRINGS);
    if (chance(0.5)) tags.n = schemaMode ? String(int(100)) : int(100);
    const parents = GROUPS.filter(() => chance(0.3)).map((g) => uid('Group', g));
    ents.push({ uid: uid('User', u), attrs, parents, tags });
  }
  for (const d of DOCS) {
    const attrs = { owner: ref('User', pick(USERS)), public: chance(0.5), size: int(2000) };
    if (chance(0.5)) attrs.labels = [pick(STRINGS), pick(STRINGS)];
    ents.push({ uid: uid('Doc', d), attrs, parents: chance(0.5) ? [uid('Group', pick(GROUPS))] : [],
      tags: chance(0.5) ? { t: pick(STRINGS) } : {} });
  }
  if (schemaMode) return ents; // the schema declares the actions and their hierarchy
  ents.push({ uid: uid('Action', 'admin'), attrs: {}, parents: [] });
  ents.push({ uid: uid('Action', 'write'), attrs: {}, parents: [uid('Action', 'admin')] });
  ents.push({ uid: uid('Action', 'read'), attrs: {}, parents: [uid('Action', 'write')] });
  return ents;
}

const opt_ = (type) => ({ ...type, required: false });
const SCHEMA = { '': {
  entityTypes: {
    Group: { memberOfTypes: ['Group'], shape: { type: 'Record', attributes: { name: { type: 'String' }, level: { type: 'Long' } } } },
    User: { memberOfTypes: ['Group'], tags: { type: 'String' }, shape: { type: 'Record', attributes: {
      level: opt_({ type: 'Long' }), name: opt_({ type: 'String' }), flag: opt_({ type: 'Boolean' }),
      team: opt_({ type: 'Entity', name: 'Group' }), roles: opt_({ type: 'Set', element: { type: 'String' } }),
      ip: opt_({ type: 'Extension', name: 'ipaddr' }), score: opt_({ type: 'Extension', name: 'decimal' }),
      joined: opt_({ type: 'Extension', name: 'datetime' }), ttl: opt_({ type: 'Extension', name: 'duration' }),
      rec: opt_({ type: 'Record', attributes: { a: opt_({ type: 'Long' }), b: { type: 'String' },
        inner: opt_({ type: 'Record', attributes: { c: { type: 'Boolean' } } }) } }) } } },
    Doc: { memberOfTypes: ['Group'], tags: { type: 'String' }, shape: { type: 'Record', attributes: {
      owner: { type: 'Entity', name: 'User' }, public: { type: 'Boolean' }, size: { type: 'Long' },
      labels: opt_({ type: 'Set', element: { type: 'String' } }) } } },
  },
  actions: Object.fromEntries(ACTIONS.map((a) => [a, {
    memberOf: a === 'write' ? [{ id: 'admin' }] : a === 'read' ? [{ id: 'write' }] : [],
    appliesTo: { principalTypes: ['User', 'Group'], resourceTypes: ['Doc', 'Group'], context: { type: 'Record', attributes: {
      flag: opt_({ type: 'Boolean' }), n: opt_({ type: 'Long' }), s: opt_({ type: 'String' }),
      ip: opt_({ type: 'Extension', name: 'ipaddr' }), now: opt_({ type: 'Extension', name: 'datetime' }),
      r: opt_({ type: 'Record', attributes: { a: { type: 'Long' }, b: { type: 'String' } } }) } } },
  }])),
} };

// The same schema in the human-readable format, to exercise both of gatehouse's schema readers.
function schemaText() {
  const ty = (t) => {
    switch (t.type) {
      case 'Boolean': return 'Bool';
      case 'Entity': case 'Extension': return t.name;
      case 'Set': return `Set<${ty(t.element)}>`;
      case 'Record': return `{ ${Object.entries(t.attributes).map(([k, v]) => `${k}${v.required === false ? '?' : ''}: ${ty(v)}`).join(', ')} }`;
      default: return t.type;
    }
  };
  const ns = SCHEMA[''];
  let out = '';
  for (const [name, e] of Object.entries(ns.entityTypes)) {
    out += `entity ${name} in [${e.memberOfTypes.join(', ')}] = ${ty(e.shape)}${e.tags ? ` tags ${ty(e.tags)}` : ''};\n`;
  }
  for (const [name, a] of Object.entries(ns.actions)) {
    const parents = a.memberOf.length ? ` in [${a.memberOf.map((m) => JSON.stringify(m.id)).join(', ')}]` : '';
    out += `action ${JSON.stringify(name)}${parents} appliesTo { principal: [${a.appliesTo.principalTypes}], resource: [${a.appliesTo.resourceTypes}], context: ${ty(a.appliesTo.context)} };\n`;
  }
  return out;
}
const SCHEMA_TEXT = schemaText();

// --- expression generator: typed, with some deliberately ill-typed branches to produce errors ---
const T = ['bool', 'long', 'string', 'entity', 'set', 'ip', 'decimal', 'datetime', 'duration', 'record'];
const anyType = () => pick(T);

function gen(type, d) {
  if (d <= 0 || chance(0.25)) return leaf(type);
  const f = G[type];
  return f(d - 1);
}

function leaf(type) {
  switch (type) {
    case 'bool': return pick(['true', 'false', 'principal.flag', 'context.flag']);
    case 'long': { const v = pick(LONGS); return typeof v === 'bigint' && v < 0n ? `(${v})` : String(v); }
    case 'string': return pick([str(pick(STRINGS)), 'principal.name', 'context.s']);
    case 'entity': used('entity-literal'); return pick(['principal', 'resource', 'action', `User::${str(pick(USERS))}`,
      `Group::${str(pick(GROUPS))}`, `Doc::${str(pick(DOCS))}`, `Action::${str(pick(ACTIONS))}`]);
    case 'set': used('set'); return pick(['[]', '[1, 2, 3]', `[${str(pick(STRINGS))}, ${str(pick(STRINGS))}]`, 'principal.roles',
      `[User::${str(pick(USERS))}, Group::${str(pick(GROUPS))}]`, 'resource.labels']);
    case 'ip': used('ip'); return chance(0.5) ? `ip(${str(pick(IPS))})` : pick(['context.ip', 'principal.ip']);
    case 'decimal': used('decimal'); return chance(0.6) ? `decimal(${str(pick(DECIMALS))})` : 'principal.score';
    case 'datetime': used('datetime'); return chance(0.6) ? `datetime(${str(pick(DATETIMES))})` : pick(['context.now', 'principal.joined']);
    case 'duration': used('duration'); return chance(0.6) ? `duration(${str(pick(DURATIONS))})` : 'principal.ttl';
    case 'record': used('record'); return pick(['{}', '{a: 1, b: "x"}', 'principal.rec', 'context.r', `{"k y": ${leaf('long')}}`]);
  }
  return 'true';
}

const G = {
  bool(d) {
    const r = int(30);
    switch (r) {
      case 0: used('!'); return `!(${gen('bool', d)})`;
      case 1: used('&&'); return `(${gen('bool', d)} && ${gen('bool', d)})`;
      case 2: used('||'); return `(${gen('bool', d)} || ${gen('bool', d)})`;
      case 3: used('if'); return `(if ${gen('bool', d)} then ${gen('bool', d)} else ${gen('bool', d)})`;
      case 4: { const op = pick(['<', '<=', '>', '>=']); used(op);
        const t = pick(['long', 'long', 'datetime', 'duration', anyType()]);
        return `(${gen(t, d)} ${op} ${gen(chance(0.9) ? t : anyType(), d)})`; }
      case 5: { const op = pick(['==', '!=']); used(op); const t = anyType();
        return `(${gen(t, d)} ${op} ${gen(chance(0.8) ? t : anyType(), d)})`; }
      case 6: used('in'); return `(${gen('entity', d)} in ${gen('entity', d)})`;
      case 7: used('in-set'); return `(${gen('entity', d)} in [${gen('entity', d)}, ${gen('entity', d)}])`;
      case 8: used('contains'); return `${gen('set', d)}.contains(${gen(anyType(), d)})`;
      case 9: used('containsAll'); return `${gen('set', d)}.containsAll(${gen('set', d)})`;
      case 10: used('containsAny'); return `${gen('set', d)}.containsAny(${gen('set', d)})`;
      case 11: used('isEmpty'); return `${gen('set', d)}.isEmpty()`;
      case 12: used('has'); return `(${pick(['principal', 'resource', 'context', gen('record', d), gen('entity', d)])} has ${pick(['flag', 'level', 'a', 'rec', 'ip', 'owner', '"k y"'])})`;
      case 13: used('has-path'); return `(principal has rec.${pick(['a', 'inner.c', 'b', 'zz'])})`;
      case 14: used('like'); return `(${gen('string', d)} like ${pick(['"*"', '"a*"', '"*c"', '"a*c"', '"x\\*y"', '""', '"*l*o*"', '"ü*"'])})`;
      case 15: used('is'); return `(${gen('entity', d)} is ${pick(['User', 'Group', 'Doc', 'Action'])})`;
      case 16: used('is-in'); return `(${gen('entity', d)} is ${pick(['User', 'Doc'])} in ${gen('entity', d)})`;
      case 17: used('hasTag'); return `${gen('entity', d)}.hasTag(${pick(['"t"', '"n"', '"zz"'])})`;
      case 18: { const m = pick(['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast']); used(m); return `${gen('ip', d)}.${m}()`; }
      case 19: used('isInRange'); return `${gen('ip', d)}.isInRange(${gen('ip', d)})`;
      case 20: { const m = pick(['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual']); used(m);
        return `${gen('decimal', d)}.${m}(${gen(chance(0.9) ? 'decimal' : anyType(), d)})`; }
      case 21: return `(${gen('datetime', d)} ${pick(['<', '>=', '=='])} ${gen('datetime', d)})`;
      case 22: used('getTag'); return `(principal.getTag("t") == ${gen('string', d)})`;
      case 23: used('getattr'); return `${pick(['principal', 'context'])}.flag`;
      case 24: used('getattr'); return `principal.rec.inner.c`;
      case 25: used('==') ; return `(${gen('record', d)} == ${gen('record', d)})`;
      default: return leaf('bool');
    }
  },
  long(d) {
    switch (int(14)) {
      case 0: used('+'); return `(${gen('long', d)} + ${gen('long', d)})`;
      case 1: used('-'); return `(${gen('long', d)} - ${gen('long', d)})`;
      case 2: used('*'); return `(${gen('long', d)} * ${gen(chance(0.9) ? 'long' : anyType(), d)})`;
      case 3: used('neg'); return `(-${gen('long', d)})`;
      case 4: { const m = pick(['toMilliseconds', 'toSeconds', 'toMinutes', 'toHours', 'toDays']); used(m); return `${gen('duration', d)}.${m}()`; }
      case 5: used('getattr'); return pick(['principal.level', 'context.n', 'resource.size', 'principal.rec.a']);
      case 6: used('getTag'); return `${gen('entity', d)}.getTag("n")`;
      case 7: used('if'); return `(if ${gen('bool', d)} then ${gen('long', d)} else ${gen('long', d)})`;
      default: return leaf('long');
    }
  },
  string(d) { return chance(0.5) ? leaf('string') : (used('getattr'), pick(['principal.rec.b', 'principal.team.name', `${gen('record', d)}.b`])); },
  entity(d) { return chance(0.7) ? leaf('entity') : (used('getattr'), pick(['principal.team', 'resource.owner', 'resource.owner.team'])); },
  set(d) { used('set'); return chance(0.5) ? leaf('set') : `[${gen(anyType(), d)}, ${gen(anyType(), d)}]`; },
  ip() { return leaf('ip'); },
  decimal() { return leaf('decimal'); },
  datetime(d) {
    switch (int(4)) {
      case 0: used('offset'); return `${gen('datetime', d)}.offset(${gen('duration', d)})`;
      case 1: used('toDate'); return `${gen('datetime', d)}.toDate()`;
      default: return leaf('datetime');
    }
  },
  duration(d) {
    switch (int(4)) {
      case 0: used('durationSince'); return `${gen('datetime', d)}.durationSince(${gen('datetime', d)})`;
      case 1: used('toTime'); return `${gen('datetime', d)}.toTime()`;
      default: return leaf('duration');
    }
  },
  record(d) { used('record'); return chance(0.5) ? leaf('record') : `{a: ${gen('long', d)}, b: ${gen('string', d)}}`; },
};

function genScope(v, types) {
  const r = int(6);
  const ent = () => `${pick(types)}::${str(pick(v === 'principal' ? USERS.concat(GROUPS) : DOCS.concat(GROUPS)))}`;
  switch (r) {
    case 0: used('scope-eq'); return `${v} == ${ent()}`;
    case 1: used('scope-in'); return `${v} in ${ent()}`;
    case 2: used('scope-is'); return `${v} is ${pick(types)}`;
    case 3: used('scope-is-in'); return `${v} is ${pick(types)} in ${ent()}`;
    default: return v;
  }
}

function genPolicy() {
  const forbid = chance(0.3);
  if (forbid) used('forbid');
  const p = genScope('principal', ['User', 'Group']);
  let a = 'action';
  switch (int(4)) {
    case 0: a = `action == Action::${str(pick(ACTIONS))}`; break;
    case 1: a = `action in Action::${str(pick(ACTIONS))}`; break;
    case 2: used('action-in-list'); a = `action in [Action::${str(pick(ACTIONS))}, Action::${str(pick(ACTIONS))}]`; break;
  }
  const r = genScope('resource', ['Doc', 'Group']);
  let conds = '';
  const n = int(3);
  for (let i = 0; i < n; i++) {
    const unless = chance(0.3);
    if (unless) used('unless');
    conds += ` ${unless ? 'unless' : 'when'} { ${gen('bool', 3)} }`;
  }
  return `${forbid ? 'forbid' : 'permit'}(${p}, ${a}, ${r})${conds};`;
}

function genRequest(schemaMode) {
  const context = {};
  const x = (fn, arg) => (schemaMode && chance(0.5) ? arg : ext(fn, arg));
  if (chance(0.9)) context.flag = chance(0.5);
  if (chance(0.9)) context.n = int(50) - 10;
  if (chance(0.8)) context.s = pick(STRINGS);
  if (chance(0.8)) context.ip = x('ip', pick(IPS.slice(0, 11)));
  if (chance(0.7)) context.now = x('datetime', pick(DATETIMES.slice(0, 5)));
  if (chance(0.5)) context.r = { a: int(5), b: pick(STRINGS) };
  return {
    principal: chance(0.85) ? uid('User', pick(USERS)) : uid('Group', pick(GROUPS)),
    action: uid('Action', pick(ACTIONS)),
    resource: chance(0.85) ? uid('Doc', pick(DOCS)) : uid('Group', pick(GROUPS)),
    context,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'cedar-diff-'));
const sorted = (a) => [...a].sort();
let decisions = 0, disagreements = 0, skipped = 0, allows = 0, withErrors = 0;
const t0 = Date.now();
for (let c = 0; c < CASES; c++) {
  const policies = Array.from({ length: 1 + int(6) }, genPolicy).join('\n');
  const schemaMode = c % 3 === 2; // every third case runs with a schema
  if (schemaMode) used('schema');
  const entities = genEntities(schemaMode);
  const requests = Array.from({ length: REQS }, () => genRequest(schemaMode));
  const expected = [];
  let ok = true;
  for (const r of requests) {
    const call = { ...r, policies: { staticPolicies: policies }, entities };
    if (schemaMode) Object.assign(call, { schema: SCHEMA, validateRequest: false });
    const a = cedar.isAuthorized(call);
    if (a.type !== 'success') { ok = false; if (process.env.CEDAR_DIFF_DEBUG) console.log(JSON.stringify(a.errors).slice(0, 300)); break; }
    expected.push({ decision: a.response.decision,
      reasons: sorted(a.response.diagnostics.reason),
      errors: sorted(a.response.diagnostics.errors.map((e) => e.policyId)) });
  }
  if (!ok) { skipped++; continue; } // the generator produced something cedar-wasm refuses to parse
  writeFileSync(join(dir, 'p.cedar'), policies);
  writeFileSync(join(dir, 'e.json'), JSON.stringify(entities));
  writeFileSync(join(dir, 'r.json'), JSON.stringify(requests));
  const args = ['policy', 'authorize', '--policies', join(dir, 'p.cedar'), '--entities', join(dir, 'e.json'),
    '--requests', join(dir, 'r.json')];
  if (schemaMode) {
    const text = c % 2 === 0;
    writeFileSync(join(dir, text ? 's.cedarschema' : 's.json'), text ? SCHEMA_TEXT : JSON.stringify(SCHEMA));
    args.push('--schema', join(dir, text ? 's.cedarschema' : 's.json'));
  }
  let got;
  try {
    got = JSON.parse(execFileSync(GATEHOUSE, args, { encoding: 'utf8' }));
  } catch (e) {
    disagreements++;
    console.log(`case ${c}: gatehouse failed: ${e.stderr || e.message}\n${policies}\n${JSON.stringify(entities)}`);
    continue;
  }
  for (let i = 0; i < requests.length; i++) {
    decisions++;
    const w = expected[i], g = got[i];
    if (w.decision === 'allow') allows++;
    if (w.errors.length) withErrors++;
    const gr = { decision: g.decision, reasons: sorted(g.reasons), errors: sorted(g.errors.map((e) => e.policy)) };
    if (JSON.stringify(gr) !== JSON.stringify(w)) {
      disagreements++;
      if (disagreements <= 10) {
        console.log(`DISAGREE case ${c} request ${i} (seed ${SEED})\n  cedar-wasm: ${JSON.stringify(w)}\n  gatehouse:  ${JSON.stringify(gr)} ${JSON.stringify(g.errors)}\n  request: ${JSON.stringify(requests[i])}\n--- policies\n${policies}\n--- entities\n${JSON.stringify(entities)}`);
      }
    }
  }
}
rmSync(dir, { recursive: true, force: true });
const missing = REQUIRED.filter((op) => !coverage.get(op));
console.log(`cedar ${cedar.getCedarVersion()}: ${CASES} cases (${skipped} skipped), ${decisions} decisions ` +
  `(${allows} allow, ${withErrors} with errors), ${disagreements} disagreements, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(`coverage: ${REQUIRED.length - missing.length}/${REQUIRED.length} operators and functions` +
  (missing.length ? `; missing: ${missing.join(', ')}` : ''));
if (skipped > CASES / 10) { console.log('too many skipped cases: the generator is broken'); process.exit(1); }
process.exit(disagreements || missing.length ? 1 : 0);
