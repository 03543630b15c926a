// Micro-benchmark: µs per review of the request thread's own work on the bench's review mix, in one process:
// JSON.parse plus parseAdmissionReview, then decideCapture (depth scan, normalise, redact, patch, the event), per
// category and weighted by the mix. Bounded: a fixed number of rounds.
// Run: node_modules/.bin/node bench/pipeline-eval.ts [rounds]
import { parseAdmissionReview } from '../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../src/admission/normalise.ts';
import { decideCapture } from '../src/capture/record.ts';
import { loadFixture } from '../harness/fixtures.ts';

// The categories of bench/fixtures.ts that use a recorded review, with their share of the mix.
const MIX: Array<[string, number]> = [
  ['deployment-apply-image', 0.35], ['pod-create', 0.2], ['configmap-create', 0.2], ['secret-update', 0.15], ['deployment-delete', 0.1],
];
const rounds = Math.max(10, Math.min(Number(process.argv[2] ?? 3000), 100_000));
const settings = { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 7), recordUnchanged: false };
const now = new Date();
let parseWeighted = 0;
let decideWeighted = 0;
for (const [name, share] of MIX) {
  const raw = JSON.stringify(loadFixture(name));
  for (let i = 0; i < rounds / 10; i++) decideCapture(parseAdmissionReview(JSON.parse(raw)).request, settings, now);
  let started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) parseAdmissionReview(JSON.parse(raw));
  const parse = Number(process.hrtime.bigint() - started) / 1e3 / rounds;
  started = process.hrtime.bigint();
  let recorded = 0;
  for (let i = 0; i < rounds; i++) if (decideCapture(parseAdmissionReview(JSON.parse(raw)).request, settings, now).record) recorded++;
  const decide = Number(process.hrtime.bigint() - started) / 1e3 / rounds - parse;
  if (recorded !== rounds) throw new Error(`${name}: not every review was recorded`);
  parseWeighted += share * parse;
  decideWeighted += share * decide;
  console.log(`${name.padEnd(24)} ${String(raw.length).padStart(6)} B  parse ${parse.toFixed(1).padStart(6)} µs  decide ${decide.toFixed(1).padStart(6)} µs`);
}
console.log(`${'mix-weighted'.padEnd(33)} parse ${parseWeighted.toFixed(1).padStart(6)} µs  decide ${decideWeighted.toFixed(1).padStart(6)} µs`);
