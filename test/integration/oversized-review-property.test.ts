// Property-based, through the real app and store: a random review, padded over --max-body-bytes in a random place
// (content, status, managedFields, unknown fields of the request or the review) and escaped as the API server
// escapes, is always answered with its uid and recorded, marked oversized, with the right uid, user, target and
// operation; the same review under the limit gives the same who and what. A small limit keeps the runs quick.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { ChangeEvent } from '../../src/event.ts';
import { createTestApp, postReview, type TestApp } from '../support/app.ts';

const SMALL_LIMIT = 2048;

function asApiServerSends(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const labelKey = fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/);
const TYPES = [
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps' },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments' },
  { group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets' },
];
/** Where the padding goes: a path into the review, and the object that ends up holding it. */
const PLACES = [
  ['padding'], ['request', 'padding'], ['request', 'object', 'spec'], ['request', 'object', 'status'],
  ['request', 'oldObject', 'data'], ['request', 'object', 'metadata', 'managedFields'], ['request', 'oldObject', 'metadata', 'managedFields'],
];

const reviews = fc.record({
  uid: fc.uuid(),
  operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE'),
  type: fc.constantFrom(...TYPES),
  namespace: fc.oneof(fc.constant(''), text),
  name: text,
  username: text,
  groups: fc.array(text, { maxLength: 3 }),
  labels: fc.dictionary(labelKey, text, { maxKeys: 4 }),
  oldLabels: fc.dictionary(labelKey, text, { maxKeys: 4 }),
  fieldManager: text,
  content: fc.dictionary(labelKey, text, { maxKeys: 4 }),
  place: fc.constantFrom(...PLACES),
  padding: fc.string({ unit: fc.constantFrom('<', '>', '&', 'a', 'é', '"', '\\', '\n'), minLength: 2 * SMALL_LIMIT, maxLength: 4 * SMALL_LIMIT }),
});

type Generated = typeof reviews extends fc.Arbitrary<infer T> ? T : never;

function reviewOf(g: Generated): Record<string, unknown> {
  const { group, version, kind, resource } = g.type;
  const object = (labels: Record<string, string>, revision: string) => ({
    apiVersion: group ? `${group}/${version}` : version, kind,
    metadata: { name: g.name, ...(g.namespace ? { namespace: g.namespace } : {}), uid: 'object-uid', labels },
    data: { ...g.content, revision },
  });
  // The API server's field order: the objects before dryRun and options.
  return {
    kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: g.uid, kind: { group, version, kind }, resource: { group, version, resource },
      requestKind: { group, version, kind }, requestResource: { group, version, resource },
      name: g.name, namespace: g.namespace, operation: g.operation,
      userInfo: { username: g.username, uid: 'user-uid', groups: g.groups },
      object: g.operation === 'DELETE' ? null : object(g.labels, 'new'),
      oldObject: g.operation === 'CREATE' ? null : object(g.oldLabels, 'old'),
      dryRun: false,
      options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: g.fieldManager },
    },
  };
}

function padded(review: Record<string, unknown>, place: readonly string[], padding: string): Record<string, unknown> {
  const copy = structuredClone(review);
  let at: Record<string, unknown> = copy;
  for (const key of place.slice(0, -1)) {
    if (at[key] === null || typeof at[key] !== 'object') return padded(review, ['padding'], padding);
    at = at[key] as Record<string, unknown>;
  }
  at[place.at(-1)!] = { padding };
  return copy;
}

/** Who and what: everything about an event but its content. */
function whoAndWhat(event: ChangeEvent) {
  const { requestUid, operation, user, group, version, kind, resource, subresource, namespace, name, objectUid, fieldManager } = event;
  const metadata = (event.object['metadata'] ?? {}) as Record<string, unknown>;
  return { requestUid, operation, user, group, version, kind, resource, subresource, namespace, name, objectUid, fieldManager, labels: metadata['labels'] };
}

async function recorded(t: TestApp, uid: string): Promise<ChangeEvent> {
  const page = await t.store.listEvents({}, 500);
  const event = page.items.find((e) => e.requestUid === uid);
  assert.ok(event, `an event for ${uid}`);
  return event;
}

describe('oversized reviews, property-based', () => {
  let small: TestApp;
  let large: TestApp;
  before(async () => {
    small = await createTestApp({ maxBodyBytes: SMALL_LIMIT });
    large = await createTestApp({ maxBodyBytes: 1024 * 1024 });
  });
  after(async () => {
    await small.close();
    await large.close();
  });

  it('a padded review over the limit is recorded, marked, with the who and what of the same review under it', async () => {
    await fc.assert(fc.asyncProperty(reviews, async (g) => {
      const review = reviewOf(g);
      const body = asApiServerSends(padded(review, g.place, g.padding));
      assert.ok(Buffer.byteLength(body) > SMALL_LIMIT);
      const over = await postReview(small.app, body);
      assert.equal(over.statusCode, 200, over.body);
      assert.deepEqual(over.json(), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: g.uid, allowed: true } });
      const oversized = await recorded(small, g.uid);
      assert.deepEqual(oversized.oversized, { reviewBytes: Buffer.byteLength(body), maxBodyBytes: SMALL_LIMIT });

      const under = await postReview(large.app, asApiServerSends(review));
      assert.equal(under.statusCode, 200, under.body);
      const whole = await recorded(large, g.uid);
      assert.equal(whole.oversized, undefined);
      assert.deepEqual(whoAndWhat(oversized), whoAndWhat(whole));
      assert.equal(oversized.object['data'], undefined, 'the content is not read');
    }), { numRuns: 60, seed: 23 });
  });
});
