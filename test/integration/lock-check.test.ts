// POST /locks/check, the strict Locks entry's route, over a real app and store: it answers AdmissionReviews,
// records nothing (the capture entry records), keeps `__proto__` keys readable, refuses what is not a review, and
// answers 503 (so failurePolicy Fail refuses) until the Lock watch has listed the Locks once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { LockWatcher } from '../../src/locks/watcher.ts';
import { createTestApp, postReview } from '../support/app.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';

const check = (app: Awaited<ReturnType<typeof createTestApp>>['app'], body: unknown) =>
  app.inject({ method: 'POST', url: '/locks/check', headers: { 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });

describe('POST /locks/check', () => {
  it('allows when the server enforces no Locks, and records nothing', async () => {
    const t = await createTestApp();
    try {
      const review = withFreshUid(loadFixture('deployment-scale.json'));
      const response = await check(t.app, review);
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
      const events = await t.app.inject({ method: 'GET', url: '/api/v1/events?limit=10' });
      assert.deepEqual((events.json<{ items: unknown[] }>()).items, [], 'the check records nothing');
      assert.equal((await postReview(t.app, review)).statusCode, 200);
      const recorded = await t.app.inject({ method: 'GET', url: '/api/v1/events?limit=10' });
      assert.equal((recorded.json<{ items: unknown[] }>()).items.length, 1, 'the capture route, given the same review, records it');
    } finally {
      await t.close();
    }
  });

  it('reads `__proto__` keys like /capture does, and refuses what is not an AdmissionReview', async () => {
    const t = await createTestApp();
    try {
      const review = withFreshUid(loadFixture('deployment-scale.json'));
      const text = JSON.stringify(review).replace('"metadata":{', '"metadata":{"labels":{"__proto__":"x"},');
      assert.notEqual(text, JSON.stringify(review));
      assert.equal((await check(t.app, text)).statusCode, 200);
      const bad = await check(t.app, { kind: 'Pod' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /not a usable AdmissionReview/);
    } finally {
      await t.close();
    }
  });

  it('answers 503 until the Lock watch has synced, so the strict entry refuses', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
    });
    // Never started: its cache has never been filled.
    const locks = new LockWatcher({ kubeConfig, log: pino({ level: 'silent' }) });
    const t = await createTestApp({ locks });
    try {
      const response = await check(t.app, withFreshUid(loadFixture('deployment-scale.json')));
      assert.equal(response.statusCode, 503);
      assert.match(response.body, /Locks are not loaded yet/);
    } finally {
      await t.close();
    }
  });
});
