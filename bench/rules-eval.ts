// Micro-benchmark: µs per AdmissionReview spent in capture rules (the default presets plus the five CEL rules of
// bench/rules.yaml) over the real recorded reviews, against a baseline with no rules measured in the same run; and
// the five CEL expressions alone with and without the prefilter (src/rules/cel-prefilter.ts). `make bench` runs it
// beside the capture phase and prints a row; bounded: a fixed number of rounds.
// Run alone: node_modules/.bin/node bench/rules-eval.ts [rounds]
import { readFileSync } from 'node:fs';
import { parseAdmissionReview, type AdmissionRequest } from '../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../src/admission/normalise.ts';
import { compileCel, type CelPredicate } from '../src/rules/cel.ts';
import { compileRuleSet, parseRulesDocument, EMPTY_RULES_DOCUMENT, type RuleSet } from '../src/rules/rule-set.ts';
import { DEFAULT_PRESETS } from '../src/rules/presets.ts';
import { fixtureNames, loadFixture } from '../harness/fixtures.ts';

/** µs per review, each measured over the same recorded reviews in one process. */
export interface RulesCost {
  reviews: number;
  rounds: number;
  presetsAndCel: number;
  presetsOnly: number;
  noRules: number;
  celWithPrefilter: number;
  celOnly: number;
}

export function measureRulesCost(requestedRounds: number): RulesCost {
  const rounds = Math.max(1, Math.min(requestedRounds, 100_000));
  const requests: AdmissionRequest[] = fixtureNames().map((name) => parseAdmissionReview(loadFixture(name)).request);
  const document = parseRulesDocument(readFileSync(new URL('./rules.yaml', import.meta.url), 'utf8'), 'bench/rules.yaml');
  const sets = {
    presetsAndCel: compileRuleSet(document, DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS),
    presetsOnly: compileRuleSet(EMPTY_RULES_DOCUMENT, DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS),
    noRules: compileRuleSet(EMPTY_RULES_DOCUMENT, [], DEFAULT_NORMALISE_OPTIONS),
  };
  const sources = document.rules.map((rule) => (rule as { expression: string }).expression);
  const celSets = {
    celWithPrefilter: sources.map((source) => compileCel(source, 'bench')),
    celOnly: sources.map((source) => compileCel(source, 'bench', { prefilter: false })),
  };
  let kept = 0;
  const timed = (body: () => void): number => {
    const started = process.hrtime.bigint();
    body();
    return Number(process.hrtime.bigint() - started) / 1e3 / (rounds * requests.length);
  };
  const measureSet = (set: RuleSet): number => timed(() => {
    for (let round = 0; round < rounds; round++) for (const request of requests) if (set.evaluate(request).record) kept++;
  });
  const measureCel = (predicates: CelPredicate[]): number => timed(() => {
    for (let round = 0; round < rounds; round++) {
      for (const request of requests) {
        const bindings = { request, object: request.object, oldObject: request.oldObject };
        for (const predicate of predicates) if (predicate(bindings) === true) kept--;
      }
    }
  });
  // Warm up the JIT, then measure.
  for (const set of Object.values(sets)) measureSet(set);
  for (const predicates of Object.values(celSets)) measureCel(predicates);
  const result: RulesCost = {
    reviews: requests.length, rounds,
    presetsAndCel: measureSet(sets.presetsAndCel), presetsOnly: measureSet(sets.presetsOnly), noRules: measureSet(sets.noRules),
    celWithPrefilter: measureCel(celSets.celWithPrefilter), celOnly: measureCel(celSets.celOnly),
  };
  if (kept <= 0) throw new Error('no review was kept: the rules do not match the benchmark');
  return result;
}

if (import.meta.main) {
  const cost = measureRulesCost(Number(process.argv[2] ?? 2000));
  console.log(`capture rules: ${cost.reviews} recorded reviews × ${cost.rounds} rounds, µs per review`);
  console.log(`  presets + 5 CEL rules    ${cost.presetsAndCel.toFixed(2)}`);
  console.log(`  presets only             ${cost.presetsOnly.toFixed(2)}`);
  console.log(`  no rules (baseline)      ${cost.noRules.toFixed(2)}`);
  console.log(`  5 CEL rules, prefilter   ${cost.celWithPrefilter.toFixed(2)}`);
  console.log(`  5 CEL rules, CEL only    ${cost.celOnly.toFixed(2)}`);
}
