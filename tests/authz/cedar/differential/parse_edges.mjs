// Parser differential: edge cases of Cedar's grammar (reserved words, trailing commas, unary
// chains, literals, escapes, scope forms, annotations) must be accepted or refused exactly as
// @cedar-policy/cedar-wasm does. Usage: node parse_edges.mjs PATH-TO-gatehouse
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'cedar-parse-'));
const conds = [
  'principal.if', 'principal.then', 'principal.in', 'principal.has', 'principal.like', 'principal.true', 'principal.is',
  '{if: 1} == {}', '{in: 1} == {}', '{"in": 1} == {}', 'principal has if', 'principal has in', 'principal has true', 'principal has principal',
  'principal has "a b"', 'context.principal', '{principal: 1} == {}', 'permit == 1', 'principal.permit', 'principal.when',
  '1 + if true then 1 else 2 == 1', '!if true then true else false', 'if true then 1 else 2 == 1',
  '1 < 2 == true', 'principal in User::"a" == true', 'principal has a == true', '"a" like "b" == true', 'principal is User == true',
  '- 1 == -1', '-(1) == -1', '--1 == 1', '!!!!true', '!!!!!true', '- - - - 1 == 1', '-----1 == -1',
  '1.contains(1)', '"a".isEmpty()', 'User::"a".foo', 'User::"a"["b"]', 'principal["a"]["b"]',
  'ip("1.2.3.4")', 'ip("1.2.3.4", "x")', 'ip()', 'foo("x")', 'decimal(1)', '__cedar::ip("1.2.3.4").isIpv4()', 'a::ip("1.1.1.1")',
  'principal.isIpv4()', 'principal.isIpv4(1)', 'principal.contains()', 'principal.contains(1, 2)', 'principal.isEmpty(1)',
  'principal.getTag()', '[1,].isEmpty()', '{a: 1,} == {}', '[,] == []', '{,} == {}', '{a: 1, a: 2} == {}',
  'context.a.b.c.d.e', 'principal is __cedar::User', 'principal is User::Other', 'Action::"a" == action',
  'principal == ?principal', '"\\u{10FFFF}" == ""', '"\\u{110000}" == ""', '"\\x7f" == ""', '"\\x80" == ""', "\"\\'\" == \"\"",
  'true && (1 has a)', 'principal has a.if', 'principal has a."b"', 'principal has "a".b',
  '9223372036854775807 == 1', '-9223372036854775808 == 1', '(-9223372036854775808) == 1', '- 9223372036854775808 == 1',
  'principal.a.contains(1).b', 'principal in []', 'principal in [User::"a"]', 'action in [Action::"a", 1]',
  'principal is User in [User::"a"]', 'resource.x.y is User', 'principal like "a"', 'principal has a && principal.a like "*\\**"',
  'User::"a"::"b" == 1', 'User :: "a" == principal', 'User::a::"b" == principal', 'Action::"x".foo(1)',
  'principal.offset(1,2,3)', 'ip("1.1.1.1",).isIpv4()', '[1].contains(1,)', 'principal.false', 'principal.else', '{false: 1} == {}', 'principal has else', 'if::"a" == principal', 'User::in::"a" == principal', 'principal is if', 'principal.__cedar', '{__cedar: 1} == {}', 'principal has __cedar', 'principal.permit', 'principal.principal', 'principal has when', '{when: 1, unless: 2, permit: 3, forbid: 4, context: 5} == {}', 'principal has a.b."c"', 'datetime("2020-01-01").offset()', 'decimal("1.0").lessThan()',
];
const scopes = [
  'principal, action, resource', 'principal in [User::"a"], action, resource', 'principal, action in [], resource',
  'principal, action in Action::"a", resource in [Doc::"a"]', 'principal is User, action, resource is Doc',
  'principal is User in Group::"g", action, resource', 'principal, action == [Action::"a"], resource',
  'principal, action, resource,', 'principal, action', 'principal == User::"a" , action , resource ', 'action, principal, resource',
  'principal is Action, action == Action::"a", resource', 'principal, action is Action, resource',
  'principal in ?principal, action, resource', 'principal, action in [Action::"a",], resource', 'principal == if::"a", action, resource', 'principal is in, action, resource',
];
const policies = [...conds.map((c) => `permit(principal, action, resource) when { ${c} };`),
  ...scopes.map((s) => `permit(${s});`),
  'permit(principal, action, resource) when { true } unless { false } when { true };',
  '@id("x") @id("y") permit(principal, action, resource);', '@a @b("") permit(principal, action, resource);',
  '@a() permit(principal, action, resource);', '@a(1) permit(principal, action, resource);', '@if("x") permit(principal, action, resource);',
  'permit(principal, action, resource) when { true }; ;', 'permit(principal, action, resource) when {};', 'permit(principal, action, resource) when { true } whenever { true };',
  'permit(principal,action,resource)', '', '// only a comment', 'forbid (principal, action, resource) unless { 1 };',
  'permit(principal, action, resource) when { "unterminated };', 'permit(principal, action, resource) when { "a\\qb" == "" };',
];
writeFileSync(join(dir, 'e.json'), '[]');
writeFileSync(join(dir, 'r.json'), JSON.stringify({ principal: { type: 'User', id: 'a' }, action: { type: 'Action', id: 'a' }, resource: { type: 'Doc', id: 'a' }, context: {} }));
let diffs = 0;
for (const p of policies) {
  const w = cedar.checkParsePolicySet({ staticPolicies: p });
  const wok = w.type === 'success';
  writeFileSync(join(dir, 'p.cedar'), p);
  let ook = true, msg = '';
  try { execFileSync(process.argv[2], ['policy', 'authorize', '--policies', join(dir, 'p.cedar'), '--entities', join(dir, 'e.json'), '--request', join(dir, 'r.json')], { stdio: 'pipe' }); }
  catch (e) { ook = false; msg = String(e.stderr).trim(); }
  if (wok !== ook) { diffs++; console.log(`${wok ? 'wasm accepts' : 'wasm rejects'}, ours ${ook ? 'accepts' : 'rejects'}: ${p}\n   ${wok ? '' : JSON.stringify(w.errors[0].message)} ${msg}`); }
}
rmSync(dir, { recursive: true, force: true });
console.log(`${policies.length} policies, ${diffs} parse disagreements`);
process.exit(diffs ? 1 : 0);
