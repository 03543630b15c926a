import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { canonicalJson, contentHash, guessAuthor, replicasOf } from '../../../src/provenance/content.ts';
import { recordedObject } from '../../../src/capture/record.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';
import type { JsonObject } from '../../../src/event.ts';

const watched = JSON.parse(readFileSync(new URL('../../fixtures/provenance/deployment-watched.json', import.meta.url), 'utf8')) as JsonObject;
const settings = { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 7), recordUnchanged: false };
const kind = { group: 'apps', version: 'v1', kind: 'Deployment' };

describe('what the watch keeps of an object', () => {
  it('hashes equal objects equal whatever their key order, and different ones differently', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
    assert.equal(contentHash({ b: 1, a: 2 }), contentHash({ a: 2, b: 1 }));
    assert.equal(canonicalJson(JSON.parse('{"__proto__":"p","constructor":"c"}')), '{"__proto__":"p","constructor":"c"}');
    assert.notEqual(contentHash({ a: [1, 2] }), contentHash({ a: [2, 1] }));
    assert.match(contentHash(watched), /^[A-Za-z0-9_-]{43}$/);
  });

  it('ignores what normalising drops: a status or resourceVersion change keeps the hash of the recorded form', () => {
    const identity = { namespace: 'shop', name: 'api' };
    const later = structuredClone(watched);
    (later['metadata'] as JsonObject)['resourceVersion'] = '9999';
    later['status'] = { replicas: 1 };
    assert.equal(contentHash(recordedObject(later, kind, identity, settings)), contentHash(recordedObject(watched, kind, identity, settings)));
    (later['spec'] as JsonObject)['replicas'] = 5;
    assert.notEqual(contentHash(recordedObject(later, kind, identity, settings)), contentHash(recordedObject(watched, kind, identity, settings)));
  });

  it('guesses the author from the newest managedFields entry that is not a status write', () => {
    assert.deepEqual(guessAuthor(watched), { manager: 'kubectl', operation: 'Update', time: '2026-12-03T06:20:00Z' });
    assert.equal(guessAuthor({ metadata: {} }), undefined);
    assert.equal(replicasOf(watched), 4);
    assert.equal(replicasOf({ spec: {} }), undefined);
  });
});
