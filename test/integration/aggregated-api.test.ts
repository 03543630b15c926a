import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { kubernetesReadAccess } from '../../src/server/auth/read-access.ts';
import type { AccessAttributes, AccessReviewer, RequestUser, TokenReviewer } from '../../src/server/auth/types.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../src/admission/normalise.ts';
import { loadFixture } from '../../harness/fixtures.ts';

// Stand-ins for the API server's TokenReview and SubjectAccessReview; the real ones are exercised end to end.
const TOKENS: Record<string, RequestUser> = {
  'alice-token': { username: 'alice', uid: 'a', groups: ['dev'], extra: {} },
  'bob-token': { username: 'bob', uid: 'b', groups: ['ops'], extra: {} },
};
const tokens: TokenReviewer = { review: async (token) => TOKENS[token] ?? null };
const reviews: AccessAttributes[] = [];
const access: AccessReviewer = {
  async review(user, attributes) {
    reviews.push(attributes);
    return user.username === 'alice' ? { allowed: true, reason: 'RBAC: allowed' } : { allowed: false, reason: '' };
  },
};

describe('aggregated API and Kubernetes read access', () => {
  let app: FastifyInstance;
  let store: SqliteEventStore;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-aggregated-'));
    store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 86_400_000 });
    app = buildApp({
      store, metrics: createMetrics({ defaultMetrics: false }), logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, commitTimeoutMs: 2000,
      capture: { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 1), recordUnchanged: false },
      readAccess: kubernetesReadAccess({ tokens, access, frontProxy: null }),
    });
    for (const name of ['deployment-create', 'deployment-scale', 'configmap-create-v1beta1']) {
      const response = await app.inject({ method: 'POST', url: '/capture', payload: loadFixture(name) });
      assert.equal(response.statusCode, 200, 'capture needs no read credentials');
    }
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string, token?: string, accept?: string) => app.inject({
    url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(accept ? { accept } : {}) },
  });

  it('serves discovery without credentials', async () => {
    const list = (await get('/apis/audit.logistis.io/v1alpha1')).json<{ kind: string; resources: { name: string; namespaced: boolean }[] }>();
    assert.equal(list.kind, 'APIResourceList');
    assert.deepEqual(list.resources.map((resource) => [resource.name, resource.namespaced]), [['changes', true]]);
    assert.equal(((await get('/apis')).json<{ groups: { name: string }[] }>()).groups[0]!.name, 'audit.logistis.io');
  });

  it('lists changes of a namespace as a ChangeList for an authorised user', async () => {
    reviews.length = 0;
    const response = await get('/apis/audit.logistis.io/v1alpha1/namespaces/demo/changes?kind=Deployment', 'alice-token');
    assert.equal(response.statusCode, 200, response.body);
    const list = response.json<{ kind: string; items: { kind: string; operation: string; target: { kind: string; name: string } }[] }>();
    assert.equal(list.kind, 'ChangeList');
    assert.deepEqual(list.items.map((item) => `${item.operation} ${item.target.kind}/${item.target.name}`), ['UPDATE Deployment/web', 'CREATE Deployment/web']);
    assert.deepEqual(reviews, [{ verb: 'list', namespace: 'demo' }]);
  });

  it('answers kubectl get with server-side table columns, and gets one change', async () => {
    const table = (await get('/apis/audit.logistis.io/v1alpha1/namespaces/demo/changes', 'alice-token', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json')).json<{
      kind: string; columnDefinitions: { name: string }[]; rows: { cells: string[] }[];
    }>();
    assert.equal(table.kind, 'Table');
    assert.deepEqual(table.columnDefinitions.map((column) => column.name).slice(0, 5), ['Name', 'Age', 'Operation', 'User', 'Object']);
    assert.equal(table.rows.length, 3);
    const name = table.rows[0]!.cells[0]!;
    const one = (await get(`/apis/audit.logistis.io/v1alpha1/namespaces/demo/changes/${name}`, 'alice-token')).json<{ kind: string; metadata: { name: string } }>();
    assert.deepEqual([one.kind, one.metadata.name], ['Change', name]);
    const missing = await get('/apis/audit.logistis.io/v1alpha1/namespaces/other/changes/1', 'alice-token');
    assert.equal(missing.statusCode, 404);
    assert.equal((missing.json<{ kind: string; reason: string }>()).reason, 'NotFound');
  });

  it('filters with fieldSelector and rejects what it cannot filter', async () => {
    const list = (await get('/apis/audit.logistis.io/v1alpha1/changes?fieldSelector=user.username%3Dbob,target.kind%3DConfigMap', 'alice-token')).json<{ items: unknown[] }>();
    assert.equal(list.items.length, 1);
    const bad = await get('/apis/audit.logistis.io/v1alpha1/changes?fieldSelector=spec.x%3D1', 'alice-token');
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json<{ message: string }>()).message, /fieldSelector: "spec.x=1" is not supported/);
  });

  it('answers 401 without credentials and 403 with the RBAC to ask for, as Kubernetes Status objects', async () => {
    const anonymous = await get('/apis/audit.logistis.io/v1alpha1/namespaces/demo/changes');
    assert.equal(anonymous.statusCode, 401);
    assert.equal((anonymous.json<{ kind: string }>()).kind, 'Status');
    const badToken = await get('/api/v1/events', 'stolen');
    assert.equal(badToken.statusCode, 401);
    assert.match((badToken.json<{ error: string }>()).error, /did not accept this token/);
    const bob = await get('/apis/audit.logistis.io/v1alpha1/namespaces/demo/changes', 'bob-token');
    assert.equal(bob.statusCode, 403);
    const status = bob.json<{ reason: string; message: string }>();
    assert.equal(status.reason, 'Forbidden');
    assert.match(status.message, /user "bob" cannot list changes.audit.logistis.io in namespace "demo"/);
    assert.match(status.message, /--clusterrole=logistis-viewer --user=bob -n demo/);
    const overview = await get('/api/v1/overview', 'bob-token');
    assert.equal(overview.statusCode, 403);
    assert.match((overview.json<{ error: string }>()).error, /across all namespaces.*clusterrolebinding/);
  });

  it('serves the overview and the per-field blame', async () => {
    const overview = (await get('/apis/audit.logistis.io/v1alpha1/overview?since=1h', 'alice-token')).json<{ kind: string; namespaces: { namespace: string; changes: number }[] }>();
    assert.equal(overview.kind, 'Overview');
    assert.equal(overview.namespaces[0]!.changes, 3);
    const blame = (await get('/api/v1/blame?namespace=demo&kind=Deployment&name=web', 'alice-token')).json<{ lines: { text: string; author: { username: string } | null }[] }>();
    const replicas = blame.lines.find((line) => line.text.trim().startsWith('replicas:'))!;
    assert.equal(replicas.author!.username, 'bob');
    const image = blame.lines.find((line) => line.text.includes('image:'))!;
    assert.equal(image.author!.username, 'alice');
  });
});
