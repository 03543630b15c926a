// Oversized reviews through the real kube-apiserver: a ConfigMap of about 1 MB of `<` is a review of over 6 MB per
// object (the API server's encoder writes `<` as \u003c), so its UPDATE exceeds the default --max-body-bytes. The
// update is recorded, marked oversized with its labels, and a Lock that selects those labels denies the next one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, waitFor, type ControlPlane } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';
import type { ChangeEvent } from '../../src/event.ts';

const PAYLOAD_BYTES = 1_000_000;
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

describe('an oversized review through the real API server', () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  before(async () => {
    cp = await startControlPlane();
    logistis = await startLogistis(cp, { locks: true });
  });
  after(async () => {
    await logistis?.stop();
    await cp?.stop();
  });

  const configMap = (ns: string, value: string, labels: Record<string, string>) =>
    ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: ns, labels }, data: { payload: '<'.repeat(PAYLOAD_BYTES), value } });
  const history = async (ns: string): Promise<ChangeEvent[]> => {
    const response = await logistis.api('admin', `/api/v1/history?namespace=${ns}&kind=ConfigMap&name=big`);
    assert.equal(response.status, 200, response.body);
    return (response.json() as { items: ChangeEvent[] }).items;
  };

  it('records the update marked oversized with its metadata, and a Lock selecting its labels denies the next', async () => {
    const ns = await cp.createNamespace('oversized');
    await cp.grant('alice', 'edit', ns);
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    // Sent with `<` unescaped (1 MB), under the API server's own 3 MiB limit; the review escapes it six-fold.
    const created = await cp.request('alice', 'POST', path, configMap(ns, 'v1', { app: 'big' }));
    assert.equal(created.status, 201, created.text.slice(0, 300));
    const updated = await cp.request('alice', 'PUT', `${path}/big`, configMap(ns, 'v2', { app: 'big', tier: 'frontend' }));
    assert.equal(updated.status, 200, updated.text.slice(0, 300));

    const items = await waitFor(async () => {
      const found = await history(ns);
      return found.length >= 2 ? found : undefined;
    }, { timeoutMs: 10_000, message: 'both changes recorded' });
    const [create, update] = items;
    assert.equal(create!.operation, 'CREATE');
    assert.equal(create!.oversized, undefined, 'a CREATE of one such object still fits: recorded whole');
    assert.equal(update!.operation, 'UPDATE');
    assert.equal(update!.user.username, 'alice');
    assert.ok(update!.oversized, 'the UPDATE is marked oversized');
    assert.equal(update!.oversized.maxBodyBytes, DEFAULT_MAX_BODY_BYTES);
    assert.ok(update!.oversized.reviewBytes > 2 * 6 * PAYLOAD_BYTES, `review of ${update!.oversized.reviewBytes} bytes`);
    assert.deepEqual((update!.object['metadata'] as { labels: object }).labels, { app: 'big', tier: 'frontend' });
    assert.ok(update!.patch.some((operation) => operation.path === '/metadata/labels/tier'), 'its metadata change is there');
    assert.equal(update!.object['data'], undefined);
    assert.match((await logistis.api('admin', '/metrics')).body, /logistis_oversized_reviews_total [1-9]/);

    const lock = await cp.kubectl('admin', ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'logistis.io/v1alpha1', kind: 'Lock', metadata: { name: 'freeze-frontend' },
        spec: { target: { selector: { matchLabels: { tier: 'frontend' } } }, subjects: { users: ['alice'] }, reason: 'frontend freeze' },
      }),
    });
    assert.equal(lock.code, 0, lock.stderr);
    const denied = await waitFor(async () => {
      const response = await cp.request('alice', 'PUT', `${path}/big`, configMap(ns, 'v3', { app: 'big', tier: 'frontend' }));
      return response.status === 200 ? undefined : response;
    }, { timeoutMs: 10_000, intervalMs: 300, message: 'the Lock did not deny the oversized update' });
    assert.equal(denied.status, 403, denied.text.slice(0, 300));
    assert.match((denied.body as { message: string }).message, /denied the request: locked by Lock "freeze-frontend": frontend freeze/);
    const attempt = (await history(ns)).find((event) => event.deniedBy === 'freeze-frontend');
    assert.ok(attempt?.oversized, 'the denied attempt is recorded, marked oversized');
    const live = await cp.request('admin', 'GET', `${path}/big`);
    assert.equal((live.body as { data: { value: string } }).data.value, 'v2');
  });
});
