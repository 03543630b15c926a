// Micro-benchmark: µs per AdmissionReview spent in capture rules (the default presets plus the five CEL rules of
// bench/rules.yaml) over the real recorded reviews, against a baseline with no rules measured in the same run.
// Bounded: a fixed number of rounds. Run: node_modules/.bin/node bench/rules-eval.ts [rounds]
import { readFileSync } from 'node:fs';
import { parseAdmissionReview, type AdmissionRequest } from '../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../src/admission/normalise.ts';
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

for (const set of Object.values(sets)) measure(set); // warm up the JIT
console.log(`capture rules: ${requests.length} recorded reviews × ${rounds} rounds`);
for (const [name, set] of Object.entries(sets)) console.log(`  ${name.padEnd(24)} ${measure(set).toFixed(2)} µs per review`);
if (kept === 0) throw new Error('no review was kept: the rules do not match the benchmark');
