// The capture pipeline on its own: the metrics and logger it declares, an in-memory append, and every way an
// allowed change can end unrecorded counted once by reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCapturePipeline, type CaptureLogger, type CaptureMetrics } from '../../../src/capture/pipeline.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';
import { AdmissionInputError } from '../../../src/admission/review.ts';
import type { NewChangeEvent } from '../../../src/event.ts';
import { loadFixture } from '../../../harness/fixtures.ts';
import { scanReview } from '../../../src/admission/review-scan.ts';

function recorder() {
  const counts = new Map<string, number>();
  const inc = (name: string) => (labels: object) => {
    const key = `${name}${JSON.stringify(labels)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const metrics: CaptureMetrics = {
    captures: { inc: inc('captures') }, captureDuration: { observe: () => undefined },
    storeErrors: { inc: inc('storeErrors') }, eventsLost: { inc: inc('eventsLost') },
    ruleSkips: { inc: inc('ruleSkips') }, ruleErrors: { inc: inc('ruleErrors') }, denials: { inc: inc('denials') },
    oversizedReviews: { inc: () => inc('oversizedReviews')({}) },
  };
  const lines: { fields: object; message: string }[] = [];
  const log: CaptureLogger = { error: (fields, message) => lines.push({ fields, message }), warn: (fields, message) => lines.push({ fields, message }) };
  return { counts, metrics, log, lines };
}

const settings = { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 4), recordUnchanged: false };

describe('capture pipeline', () => {
  it('appends the event and answers allowed', async () => {
    const { metrics, log, counts } = recorder();
    const stored: NewChangeEvent[] = [];
    const pipeline = createCapturePipeline({ store: { append: async (events) => { stored.push(...events); } }, metrics, settings, commitTimeoutMs: 1000 });
    const answer = await pipeline.handle(loadFixture('deployment-create'), log);
    assert.equal((answer.response as { allowed: boolean }).allowed, true);
    assert.equal(stored.length, 1);
    assert.equal(counts.get('captures{"operation":"CREATE","result":"recorded"}'), 1);
  });

  it('throws AdmissionInputError for a body that is not a review', async () => {
    const { metrics, log } = recorder();
    const pipeline = createCapturePipeline({ store: { append: async () => undefined }, metrics, settings, commitTimeoutMs: 1000 });
    await assert.rejects(pipeline.handle({ kind: 'Pod' }, log), AdmissionInputError);
  });

  it('counts a commit that times out and later fails as lost, logging identity and never content', async () => {
    const { metrics, log, counts, lines } = recorder();
    let fail: (error: Error) => void = () => undefined;
    const pipeline = createCapturePipeline({ store: { append: () => new Promise((_, reject) => { fail = reject; }) }, metrics, settings, commitTimeoutMs: 10 });
    const answer = await pipeline.handle(loadFixture('secret-create-generic'), log);
    assert.equal((answer.response as { allowed: boolean }).allowed, true);
    assert.equal(counts.get('eventsLost{"reason":"store-error-after-timeout"}'), undefined, 'not lost yet: it may still commit');
    fail(new Error('disk I/O error'));
    await new Promise((resolveTick) => setImmediate(resolveTick));
    assert.equal(counts.get('eventsLost{"reason":"store-error-after-timeout"}'), 1);
    const text = JSON.stringify(lines);
    assert.match(text, /"kind":"Secret"/);
    assert.doesNotMatch(text, /"data"|stringData/);
  });

  it('counts a store that refuses as lost', async () => {
    const { metrics, log, counts } = recorder();
    const pipeline = createCapturePipeline({ store: { append: async () => { throw new Error('read-only'); } }, metrics, settings, commitTimeoutMs: 1000 });
    await pipeline.handle(loadFixture('deployment-create'), log);
    assert.equal(counts.get('eventsLost{"reason":"store-error"}'), 1);
  });

  it('records an oversized review even when its metadata did not change, marked, counted and logged by identity', async () => {
    const { metrics, log, counts, lines } = recorder();
    const stored: NewChangeEvent[] = [];
    const pipeline = createCapturePipeline({ store: { append: async (events) => { stored.push(...events); } }, metrics, settings, commitTimeoutMs: 1000 });
    // A status-only update: read whole, its normalised objects are equal and it is skipped as unchanged.
    const review = loadFixture('deployment-status-only');
    await pipeline.handle(review, log);
    assert.equal(stored.length, 0);
    const scanned = scanReview(Buffer.from(JSON.stringify(review))).review;
    const oversized = { reviewBytes: 9_000_000, maxBodyBytes: 8_388_608 };
    const answer = await pipeline.handle(scanned, log, oversized);
    assert.deepEqual(answer.response, { uid: review.request.uid, allowed: true });
    assert.equal(stored.length, 1);
    assert.deepEqual(stored[0]!.oversized, oversized);
    assert.equal(counts.get('oversizedReviews{}'), 1);
    const warning = lines.find((line) => line.message.includes('larger than --max-body-bytes'));
    assert.ok(warning);
    assert.doesNotMatch(JSON.stringify(warning.fields), /"labels"|"spec"|"status"/);
  });

  it('redacts an oversized Secret as usual: its values in last-applied-configuration are never stored', async () => {
    const { metrics, log } = recorder();
    const stored: NewChangeEvent[] = [];
    const pipeline = createCapturePipeline({ store: { append: async (events) => { stored.push(...events); } }, metrics, settings, commitTimeoutMs: 1000 });
    const review = loadFixture('secret-apply-create');
    const scanned = scanReview(Buffer.from(JSON.stringify(review))).review;
    await pipeline.handle(scanned, log, { reviewBytes: 9_000_000, maxBodyBytes: 8_388_608 });
    assert.equal(stored.length, 1);
    const text = JSON.stringify(stored[0]);
    assert.match(text, /last-applied-configuration/);
    for (const value of ['aHVudGVyMi1vbGQtdmFsdWU=', 'ZGItdXNlci1xN3o=', 'hunter2']) assert.ok(!text.includes(value), value);
  });
});
