// One-off check (not part of `make test`): run every request of the Cedar 4.10 corpus through
// cedar-wasm 4.13 and list where the two Cedar versions disagree, so that a difference between
// our engine and either oracle can be told apart from a difference between the oracles.
// Usage: node corpus_vs_wasm.mjs CORPUS_DIR   (the folder holding corpus-tests/)
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2];
const files = readdirSync(join(root, 'corpus-tests')).filter((f) => f.endsWith('.json') && !f.includes('.entities.'));
let requests = 0, disagree = 0, failures = 0;
const sorted = (a) => [...a].sort();
for (const f of files) {
  const test = JSON.parse(readFileSync(join(root, 'corpus-tests', f), 'utf8'));
  const policies = readFileSync(join(root, test.policies), 'utf8');
  const entities = JSON.parse(readFileSync(join(root, test.entities), 'utf8'));
  const schema = readFileSync(join(root, test.schema), 'utf8');
  for (const [i, r] of test.requests.entries()) {
    requests++;
    const call = { principal: r.principal, action: r.action, resource: r.resource, context: r.context,
      policies: { staticPolicies: policies }, entities, schema, validateRequest: r.validateRequest };
    const a = cedar.isAuthorized(call);
    if (a.type !== 'success') {
      failures++;
      if (failures <= 10) console.log(`${f} #${i}: cedar-wasm failed: ${JSON.stringify(a.errors).slice(0, 300)}`);
      continue;
    }
    const got = { d: a.response.decision, r: sorted(a.response.diagnostics.reason), e: sorted(a.response.diagnostics.errors.map((e) => e.policyId)) };
    const want = { d: r.decision.toLowerCase(), r: sorted(r.reason), e: sorted(r.errors) };
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      disagree++;
      if (disagree <= 20) console.log(`${f} #${i}: corpus ${JSON.stringify(want)} cedar-wasm ${JSON.stringify(got)}`);
    }
  }
}
console.log(`cedar-wasm ${cedar.getCedarVersion()} on the 4.10 corpus: ${requests} requests, ${disagree} disagreements, ${failures} refused`);
