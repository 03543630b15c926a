// Micro-benchmark: µs per AdmissionReview spent in capture rules (the default presets plus the five CEL rules of
// bench/rules.yaml) over the real recorded reviews, against a baseline with no rules measured in the same run.
// Bounded: a fixed number of rounds. Run: node_modules/.bin/node bench/rules-eval.ts [rounds]
import { readFileSync } from 'node:fs';
import { parseAdmissionReview, type AdmissionRequest } from '../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../src/admission/normalise.ts';
import { compileCel, type CelPredicate } from '../src/rules/cel.ts';
import { compileRuleSet, parseRulesDocument, EMPTY_RULES_DOCUMENT } from '../src/rules/rule-set.ts';
import { DEFAULT_PRESETS } from '../src/rules/presets.ts';
import { fixtureNames, loadFixture } from '../test/support/fixtures.ts';

const rounds = Math.min(Number(process.argv[2] ?? 2000), 100_000);
const requests: AdmissionRequest[] = fixtureNames().map((name) => parseAdmissionReview(loadFixture(name)).request);
const document = parseRulesDocument(readFileSync(new URL('./rules.yaml', import.meta.url), 'utf8'), 'bench/rules.yaml');
const sets = {
  'presets + 5 CEL rules': compileRuleSet(document, DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS),
  'presets only': compileRuleSet(EMPTY_RULES_DOCUMENT, DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS),
  'no rules (baseline)': compileRuleSet(EMPTY_RULES_DOCUMENT, [], DEFAULT_NORMALISE_OPTIONS),
};

let kept = 0;
function measure(set: (typeof sets)[keyof typeof sets]): number {
  const started = process.hrtime.bigint();
  for (let round = 0; round < rounds; round++) {
    for (const request of requests) if (set.evaluate(request).record) kept++;
  }
  return Number(process.hrtime.bigint() - started) / 1e3 / (rounds * requests.length);
}

// The five CEL expressions alone, with and without the prefilter (src/rules/cel-prefilter.ts) in front of CEL.
const sources = document.rules.map((rule) => (rule as { expression: string }).expression);
const celSets = {
  '5 CEL rules, prefilter': sources.map((source) => compileCel(source, 'bench')),
  '5 CEL rules, CEL only': sources.map((source) => compileCel(source, 'bench', { prefilter: false })),
};
function measureCel(predicates: CelPredicate[]): number {
  const started = process.hrtime.bigint();
  for (let round = 0; round < rounds; round++) {
    for (const request of requests) {
      const bindings = { request, object: request.object, oldObject: request.oldObject };
      for (const predicate of predicates) if (predicate(bindings) === true) kept--;
    }
  }
  return Number(process.hrtime.bigint() - started) / 1e3 / (rounds * requests.length);
}

for (const set of Object.values(sets)) measure(set); // warm up the JIT
for (const predicates of Object.values(celSets)) measureCel(predicates);
console.log(`capture rules: ${requests.length} recorded reviews × ${rounds} rounds`);
for (const [name, set] of Object.entries(sets)) console.log(`  ${name.padEnd(24)} ${measure(set).toFixed(2)} µs per review`);
for (const [name, predicates] of Object.entries(celSets)) console.log(`  ${name.padEnd(24)} ${measureCel(predicates).toFixed(2)} µs per review`);
if (kept === 0) throw new Error('no review was kept: the rules do not match the benchmark');
