// Property-based: whatever JSON arrives, the review parser either returns a review or throws
// AdmissionInputError naming the problem (which the HTTP layer answers with 400), never anything else; and a
// valid review keeps every key of its object, prototype-like names included. Bounded runs, so CI stays quick.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AdmissionInputError, parseAdmissionReview } from '../../../src/admission/review.ts';
import { decideCapture } from '../../../src/capture/record.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';
import { applyPatch } from '../../../src/history/patch.ts';
import { loadFixture } from '../../../harness/fixtures.ts';

const RUNS = { numRuns: 300, seed: 20261202 };
const settings = { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 5), recordUnchanged: false };
const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'uid', 'kind'), fc.string({ maxLength: 8 }));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), tie('object')),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
})) as { value: fc.Arbitrary<unknown>; object: fc.Arbitrary<Record<string, unknown>> };

function parseOrInputError(body: unknown): void {
  try {
    parseAdmissionReview(body);
  } catch (error) {
    if (!(error instanceof AdmissionInputError)) throw error;
    assert.ok(error.message.length > 0);
  }
}

describe('review parser, property-based', () => {
  it('any JSON value: a review or an AdmissionInputError', () => {
    fc.assert(fc.property(json.value, (body) => { parseOrInputError(JSON.parse(JSON.stringify(body ?? null))); }), RUNS);
  });

  it('a real review with any request field replaced: a review or an AdmissionInputError', () => {
    const base = loadFixture('configmap-create');
    const fields = ['uid', 'kind', 'resource', 'operation', 'userInfo', 'object', 'oldObject', 'dryRun', 'options', 'name', 'namespace', 'subResource'];
    fc.assert(fc.property(fc.constantFrom(...fields), json.value, (field, value) => {
      parseOrInputError({ ...base, request: { ...base.request, [field]: value } });
    }), RUNS);
  });

  it('keeps every key of the object and its data, and the patch replays', () => {
    const base = loadFixture('configmap-create');
    fc.assert(fc.property(json.object, json.object, (data, spec) => {
      // Through JSON text, as the server parses it: keys become own properties.
      const object = { ...(base.request['object'] as Record<string, unknown>), spec };
      const text = JSON.stringify({ ...base, request: { ...base.request, object } }).replace('"spec":', `"data":${JSON.stringify(data)},"spec":`);
      const review = parseAdmissionReview(JSON.parse(text));
      const decision = decideCapture(review.request, settings, new Date(0));
      assert.ok(decision.record);
      const recorded = decision.event.object;
      assert.equal(JSON.stringify(recorded['data']), JSON.stringify(data));
      assert.equal(JSON.stringify(recorded['spec']), JSON.stringify(spec));
      assert.equal(JSON.stringify(applyPatch({}, decision.event.patch)), JSON.stringify(recorded));
    }), RUNS);
  });
});
