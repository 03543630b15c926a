// The write path's own defences over real sockets and a real store: stalled bodies are cut off, connections
// over the cap are refused, every key Kubernetes allows is stored exactly, readiness follows the database
// file, and /metrics asks Kubernetes RBAC for `get` on /metrics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { buildApp } from '../../src/server/app.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../src/admission/normalise.ts';
import { DEFAULT_CONNECTION_LIMITS } from '../../src/config/serve-config.ts';
import { kubernetesReadAccess } from '../../src/server/auth/read-access.ts';
import type { AccessAttributes, RequestUser } from '../../src/server/auth/types.ts';
import { createTestApp, postReview, type TestApp } from '../support/app.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import type { ChangeEvent } from '../../src/event.ts';
import { TRUNCATED_MARKER } from '../../src/admission/depth.ts';

const settings = { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 3), recordUnchanged: false };

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolveSocket(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<string> {
  return new Promise((resolveClosed) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    socket.on('error', () => undefined);
    socket.once('close', () => resolveClosed(text));
  });
}

describe('connection limits', () => {
  it('closes a body that stalls after its headers once --request-timeout passes', async () => {
    const t = await createTestApp({ limits: { ...DEFAULT_CONNECTION_LIMITS, requestTimeoutMs: 600, headersTimeoutMs: 300 } });
    try {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const socket = await openSocket((t.app.server.address() as AddressInfo).port);
      const started = Date.now();
      const done = closed(socket);
      socket.write('POST /capture HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"apiVersion":');
      const answer = await done;
      const elapsed = Date.now() - started;
      assert.match(answer, /^HTTP\/1.1 408/);
      assert.ok(elapsed >= 500 && elapsed < 3000, `closed after ${elapsed} ms`);
    } finally {
      await t.close();
    }
  });

  it('refuses connections over --max-connections and counts them', async () => {
    const t = await createTestApp({ limits: { ...DEFAULT_CONNECTION_LIMITS, maxConnections: 3 } });
    const sockets: Socket[] = [];
    try {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (t.app.server.address() as AddressInfo).port;
      for (let i = 0; i < 3; i++) sockets.push(await openSocket(port));
      const extra = await openSocket(port);
      const answer = await Promise.race([closed(extra), new Promise<string>((resolveWait) => setTimeout(() => resolveWait('still open'), 2000))]);
      assert.equal(answer, '', 'closed on arrival without an answer');
      assert.match(await t.metrics.registry.metrics(), /logistis_connections_refused_total{listener="main"} 1/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await t.close();
    }
  });
});

describe('keys Kubernetes allows', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  it('captures and reads back __proto__, constructor and prototype in data, labels, annotations and spec, exactly', async () => {
    const review = withFreshUid(loadFixture('configmap-create'));
    const object = review.request['object'] as { metadata: Record<string, unknown> };
    const keyed = (prefix: string) => `{"__proto__":"${prefix}-p","constructor":"${prefix}-c","prototype":"${prefix}-q"}`;
    const name = object.metadata['name'] as string;
    const namespace = review.request['namespace'] as string;
    const body = JSON.stringify(review)
      .replace('"metadata":{', `"metadata":{"labels":${keyed('label')},"annotations":${keyed('annotation')},`)
      .replace(/"data":\{[^}]*\}/, `"data":${keyed('data')},"spec":{"__proto__":{"nested":"s-p"},"constructor":{"prototype":"s-c"}}`);
    const response = await postReview(t.app, body);
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(({} as Record<string, unknown>)['nested'], undefined, 'no prototype was touched');
    const history = await t.app.inject(`/api/v1/history?namespace=${namespace}&kind=ConfigMap&name=${name}`);
    assert.equal(history.statusCode, 200, history.body);
    // Read back from the raw JSON text: a parser must not be the one that hides a key.
    const text = history.body;
    for (const prefix of ['label', 'annotation', 'data']) assert.ok(text.includes(keyed(prefix)), `${prefix}: ${text}`);
    assert.ok(text.includes('"spec":{"__proto__":{"nested":"s-p"},"constructor":{"prototype":"s-c"}}'), text);
    const [event] = (JSON.parse(text) as { items: ChangeEvent[] }).items;
    assert.ok(event);
    assert.ok(event.patch.some((operation) => operation.path === '/data'), 'the creation patch carries the data');
  });
});

describe('objects nested deeper than the walk can follow', () => {
  it('records the change with the too-deep values replaced by a marker, instead of losing it as a store error', async () => {
    const t = await createTestApp();
    try {
      const review = withFreshUid(loadFixture('configmap-create'));
      const object = review.request['object'] as { metadata: Record<string, unknown> };
      const name = object.metadata['name'] as string;
      const namespace = review.request['namespace'] as string;
      const depth = 5000;
      const deep = `${'{"a":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;
      const body = JSON.stringify(review).replace(/"data":\{[^}]*\}/, `"data":{"kept":"yes"},"spec":${deep}`);
      const response = await postReview(t.app, body);
      assert.equal(response.statusCode, 200, response.body);
      assert.equal((response.json<{ response: { allowed: boolean } }>()).response.allowed, true);
      const events = await t.store.history({ group: '', kind: 'ConfigMap', namespace, name });
      assert.equal(events.length, 1, 'the change is recorded');
      const stored = JSON.stringify(events[0]!.object);
      assert.ok(stored.includes('"kept":"yes"'), 'shallower fields are kept');
      assert.ok(stored.includes(TRUNCATED_MARKER), 'the too-deep value is marked');
      assert.ok(!stored.includes('bottom'), 'nothing below the limit is stored');
    } finally {
      await t.close();
    }
  });
});

describe('readiness follows the database file', () => {
  it('is not ready when the file is deleted, with the reason', async () => {
    const t = await createTestApp();
    try {
      assert.equal((await t.app.inject('/readyz')).statusCode, 200);
      rmSync(t.dbPath);
      const response = await t.app.inject('/readyz');
      assert.equal(response.statusCode, 503);
      assert.match((response.json<{ error: string }>()).error, /database file .* is gone/);
    } finally {
      await t.close();
    }
  });

  it('counts a capture after the file is deleted as lost (store-file-gone), not recorded', async () => {
    const t = await createTestApp();
    try {
      assert.equal((await postReview(t.app, withFreshUid(loadFixture('configmap-create')))).statusCode, 200);
      rmSync(t.dbPath);
      const answer = await postReview(t.app, withFreshUid(loadFixture('configmap-create')));
      assert.equal(answer.statusCode, 200);
      assert.equal((answer.json<{ response: { allowed: boolean } }>()).response.allowed, true, 'fails open');
      const metrics = await t.metrics.registry.metrics();
      assert.match(metrics, /logistis_events_lost_total\{reason="store-file-gone"\} 1/);
      assert.match(metrics, /logistis_captures_total\{operation="CREATE",result="recorded"\} 1\n/);
      assert.match(metrics, /logistis_captures_total\{operation="CREATE",result="failed"\} 1/);
    } finally {
      await t.close();
    }
  });

  it('is not ready when the directory becomes read-only', { skip: process.getuid?.() === 0 ? 'root may write anywhere' : false }, async () => {
    const t = await createTestApp();
    try {
      chmodSync(t.dir, 0o500);
      chmodSync(t.dbPath, 0o400);
      const response = await t.app.inject('/readyz');
      assert.equal(response.statusCode, 503);
      assert.match((response.json<{ error: string }>()).error, /not writable/);
    } finally {
      chmodSync(t.dir, 0o700);
      chmodSync(t.dbPath, 0o600);
      await t.close();
    }
  });
});

describe('/metrics under Kubernetes auth', () => {
  it('needs a token allowed get on the non-resource URL /metrics', async () => {
    const users: Record<string, RequestUser> = {
      'prometheus-token': { username: 'system:serviceaccount:monitoring:prometheus', uid: 'p', groups: [], extra: {} },
      'alice-token': { username: 'alice', uid: 'a', groups: [], extra: {} },
    };
    const asked: AccessAttributes[] = [];
    const metrics = createMetrics({ defaultMetrics: false });
    const { store } = await createTestApp();
    const app = buildApp({
      store, metrics, logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, commitTimeoutMs: 2000, capture: settings,
      readAccess: kubernetesReadAccess({
        tokens: { review: async (token) => users[token] ?? null },
        access: { review: async (user, attributes) => { asked.push(attributes); return { allowed: user.username.includes('prometheus'), reason: '' }; } },
        frontProxy: null,
      }),
    });
    try {
      assert.equal((await app.inject('/metrics')).statusCode, 401);
      assert.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer alice-token' } })).statusCode, 403);
      const allowed = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer prometheus-token' } });
      assert.equal(allowed.statusCode, 200);
      assert.match(allowed.body, /logistis_captures_total/);
      assert.deepEqual(asked.at(-1), { verb: 'get', nonResourcePath: '/metrics' });
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('a commit that times out and then fails', () => {
  it('is logged and counted as lost', async () => {
    let fail: (error: Error) => void = () => undefined;
    const t = await createTestApp({
      commitTimeoutMs: 50,
      store: {
        append: () => new Promise<void>((_, reject) => { fail = reject; }),
        listEvents: async () => ({ items: [] }), getEvent: async () => null, objectGroups: async () => [], history: async () => [], overview: async () => [],
        activity: async () => ({ cells: [], topObjects: [], people: [], serviceAccounts: [], denials: [] }),
        pruneByAge: async () => ({ prunedByAge: 0 }), resourceKinds: async () => [], ping: async () => undefined, close: async () => undefined,
      },
    });
    try {
      const response = await postReview(t.app, withFreshUid(loadFixture('deployment-scale')));
      assert.equal(response.statusCode, 200);
      fail(new Error('disk I/O error'));
      await new Promise((resolveTick) => setImmediate(resolveTick));
      assert.match(await t.metrics.registry.metrics(), /logistis_events_lost_total\{reason="store-error-after-timeout"\} 1/);
    } finally {
      await t.close();
    }
  });
});
