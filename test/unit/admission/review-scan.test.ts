// The scan of a review too large to parse whole: on every admission fixture, cut into chunks anywhere, it keeps
// exactly the naming parts JSON.parse would give (objects' metadata without managedFields); it accepts what
// JSON.parse accepts and fails where JSON.parse fails, naming the place but not the text; it keeps a bounded
// amount whatever the body's size.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  JsonPositionError, MAX_KEPT_VALUE_BYTES, ReviewScanner, locateJsonError, scanReview,
} from '../../../src/admission/review-scan.ts';
import { isObject, type JsonObject } from '../../../src/event.ts';
import { fixtureNames, loadFixture } from '../../../harness/fixtures.ts';

const KEPT_REQUEST_FIELDS = ['uid', 'kind', 'resource', 'subResource', 'requestKind', 'requestResource', 'requestSubResource', 'name',
  'namespace', 'operation', 'userInfo', 'dryRun', 'options'];

/** What the scan should keep, computed from the whole parsed review: the oracle. */
function namingParts(review: JsonObject): JsonObject {
  const pick = (source: JsonObject, keys: string[]) => Object.fromEntries(keys.filter((key) => key in source).map((key) => [key, source[key]]));
  const out = pick(review, ['apiVersion', 'kind']);
  const request = review['request'];
  if (!isObject(request)) return 'request' in review ? { ...out, request } : out;
  const kept = pick(request, KEPT_REQUEST_FIELDS);
  for (const side of ['object', 'oldObject']) {
    if (!(side in request)) continue;
    const object = request[side];
    if (!isObject(object)) {
      kept[side] = object;
      continue;
    }
    const part = pick(object, ['apiVersion', 'kind']);
    if (isObject(object['metadata'])) {
      const { managedFields: _skipped, ...metadata } = object['metadata'];
      part['metadata'] = metadata;
    } else if ('metadata' in object) {
      part['metadata'] = object['metadata'];
    }
    kept[side] = part;
  }
  return { ...out, request: kept };
}

function scanInChunks(body: Buffer, cuts: number[]) {
  const scanner = new ReviewScanner();
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    scanner.write(body.subarray(at, Math.max(at, cut)));
    at = Math.max(at, cut);
  }
  scanner.write(body.subarray(at));
  return scanner.end();
}

function asApiServerSends(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

describe('review scan', () => {
  it('keeps exactly the naming parts of every fixture, however the body is cut', () => {
    for (const name of fixtureNames()) {
      const review = loadFixture(name) as unknown as JsonObject;
      const body = Buffer.from(asApiServerSends(review));
      const expected = namingParts(review);
      assert.deepEqual(scanReview(body).review, expected, name);
      fc.assert(fc.property(fc.array(fc.nat({ max: body.length }), { maxLength: 40 }), (cuts) => {
        assert.deepEqual(scanInChunks(body, cuts).review, expected, name);
      }), { numRuns: 40, seed: 23 });
    }
  });

  it('skips managedFields and the content, and keeps a value over its bound out, naming it', () => {
    const review = loadFixture('configmap-create') as unknown as { request: { object: JsonObject } };
    const metadata = review.request.object['metadata'] as JsonObject;
    metadata['managedFields'] = [{ manager: 'x'.repeat(100) }];
    metadata['annotations'] = { big: '<'.repeat(MAX_KEPT_VALUE_BYTES) };
    review.request.object['data'] = { big: 'y'.repeat(1000) };
    const scanned = scanReview(Buffer.from(asApiServerSends(review)));
    const kept = (scanned.review['request'] as { object: JsonObject }).object;
    assert.deepEqual(Object.keys(kept).sort(), ['apiVersion', 'kind', 'metadata']);
    assert.equal((kept['metadata'] as JsonObject)['managedFields'], undefined);
    assert.equal((kept['metadata'] as JsonObject)['annotations'], undefined);
    assert.deepEqual(scanned.dropped, ['request.object.metadata.annotations']);
    assert.equal((kept['metadata'] as JsonObject)['name'], metadata['name']);
  });

  it('reads names the way JSON.parse does: escaped names, duplicates (the last wins), `__proto__`', () => {
    const text = '{"kind":"AdmissionReview","\\u0072equest":{"uid":"a","uid":"b","object":{"metadata":{"labels":{"__proto__":"x"}}}}}';
    assert.deepEqual(scanReview(Buffer.from(text)).review, namingParts(JSON.parse(text) as JsonObject));
    const labels = ((scanReview(Buffer.from(text)).review['request'] as JsonObject)['object'] as { metadata: { labels: JsonObject } }).metadata.labels;
    assert.ok(Object.hasOwn(labels, '__proto__'));
  });

  it('accepts what JSON.parse accepts', () => {
    fc.assert(fc.property(fc.json(), (text) => {
      const scanned = scanReview(Buffer.from(text));
      const parsed = JSON.parse(text) as unknown;
      if (isObject(parsed)) assert.deepEqual(scanned.review, namingParts(parsed));
    }), { numRuns: 500, seed: 2026 });
  });

  it('refuses what JSON.parse refuses, at the position JSON.parse names, and never quotes the body', () => {
    const cases = ['{"a": tokenSECRET1}', '{"a": "x"', 'SECRET', '{"a":1,}', '', '{"a": "SECRET\u0001"}', '{"a": 1} SECRET',
      '{"a": nul}', '{"a":-}', '{\n"a": 1\n"b": 2}', '{"a":"\\q"}', '{"a":01}', '1.5e', '{"a":"\\u12G4"}', '[1,]', '{"a" 1}', '{"a":1.}'];
    for (const text of cases) {
      let v8: string | undefined;
      try {
        JSON.parse(text);
      } catch (error) {
        v8 = (error as Error).message;
      }
      assert.ok(v8 !== undefined, text);
      const located = locateJsonError(Buffer.from(text));
      assert.ok(located instanceof JsonPositionError, text);
      const position = /at position (\d+) \(line (\d+) column (\d+)\)/.exec(v8);
      if (position) assert.match(located.message, new RegExp(`^at byte ${position[1]} \\(line ${position[2]}, column ${position[3]}\\)`), text);
      assert.doesNotMatch(located.message, /SECRET|token|nul\b/, text);
    }
  });

  it('refuses what JSON.parse refuses: random corruptions of a review', () => {
    const body = JSON.stringify(loadFixture('deployment-create'));
    fc.assert(fc.property(fc.nat({ max: body.length - 1 }), fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', 'x', '0', '-', ' ', '\u0001'), (at, insert) => {
      const text = body.slice(0, at) + insert + body.slice(at);
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      assert.equal(locateJsonError(Buffer.from(text)) === undefined, valid, text.slice(Math.max(0, at - 20), at + 20));
    }), { numRuns: 1000, seed: 7 });
  });

  it('keeps a bounded amount of a large body', () => {
    const review = loadFixture('configmap-create') as unknown as { request: { object: JsonObject; options: JsonObject } };
    review.request.object['data'] = { big: '<'.repeat(3 * 1024 * 1024) };
    review.request.options = { huge: 'z'.repeat(MAX_KEPT_VALUE_BYTES + 1) };
    const body = Buffer.from(asApiServerSends(review));
    const scanned = scanInChunks(body, Array.from({ length: 200 }, (_, i) => i * 65_536));
    assert.ok(JSON.stringify(scanned.review).length < 64 * 1024);
    assert.deepEqual(scanned.dropped, ['request.options']);
  });
});
