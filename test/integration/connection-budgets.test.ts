// The connection budgets over real TLS sockets, with the two apps `logistis serve --capture-listen` runs over one
// store: idle sockets that fill the main listener's cap do not stop a capture on the capture listener, a socket
// that never starts TLS is cut at the headers timeout (not Node's 120 s), live streams are capped per user and per
// server while captures go on, and the main listener refuses the webhooks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppConfig } from '../../src/server/app.ts';
import { createMetrics, type Metrics } from '../../src/server/metrics.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../src/admission/normalise.ts';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../../src/config/serve-config.ts';
import { kubernetesReadAccess } from '../../src/server/auth/read-access.ts';
import type { RequestUser } from '../../src/server/auth/types.ts';
import type { EventStore } from '../../src/store/types.ts';
import { testCertificate, type TestCertificate } from '../../harness/tls.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';

const USERS: Record<string, RequestUser> = {
  'alice-token': { username: 'alice', uid: 'a', groups: [], extra: {} },
  'bob-token': { username: 'bob', uid: 'b', groups: [], extra: {} },
};

interface Listeners {
  main: FastifyInstance;
  capture: FastifyInstance;
  mainPort: number;
  capturePort: number;
  store: EventStore;
  metrics: Metrics;
  close(): Promise<void>;
}

/** The main and capture apps as serve builds them for --capture-listen, over real TLS on 127.0.0.1. */
async function startListeners(cert: TestCertificate, limits: { main: ConnectionLimits; capture: ConnectionLimits }): Promise<Listeners> {
  const dir = mkdtempSync(join(tmpdir(), 'logistis-budgets-'));
  const metrics = createMetrics({ defaultMetrics: false });
  const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 86_400_000 });
  const shared: AppConfig = {
    store, metrics, logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, commitTimeoutMs: 2000,
    capture: { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 5), recordUnchanged: false },
    tls: { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
    readAccess: kubernetesReadAccess({
      tokens: { review: async (token) => USERS[token] ?? null },
      access: { review: async () => ({ allowed: true, reason: '' }) },
      frontProxy: null,
    }),
    liveStreams: { perServer: 3, perUser: 2 },
  };
  const main = buildApp({ ...shared, routes: 'reads', limits: limits.main });
  const capture = buildApp({ ...shared, routes: 'webhooks', limits: limits.capture });
  await main.listen({ host: '127.0.0.1', port: 0 });
  await capture.listen({ host: '127.0.0.1', port: 0 });
  return {
    main, capture, store, metrics,
    mainPort: (main.server.address() as AddressInfo).port,
    capturePort: (capture.server.address() as AddressInfo).port,
    async close() {
      await Promise.all([main.close(), capture.close()]);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Answer {
  status: number;
  body: string;
}

/** One request on a fresh connection (no agent), so each one needs a connection of its own. */
function send(cert: TestCertificate, port: number, options: Omit<RequestOptions, 'headers'> & { headers?: OutgoingHttpHeaders; body?: unknown }): Promise<Answer> {
  return new Promise((resolveAnswer, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest({
      host: '127.0.0.1', port, ca: readFileSync(cert.caFile), agent: false, timeout: 5000, ...options,
      headers: { ...options.headers, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
    }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      response.on('end', () => resolveAnswer({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${options.path} timed out`)));
    req.end(payload);
  });
}

/** Opens a live stream; resolves with the response once its headers arrive (the stream stays open). */
function openStream(cert: TestCertificate, port: number, token: string): Promise<{ response: IncomingMessage; close(): void }> {
  return new Promise((resolveStream, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: '/api/v1/events/live', ca: readFileSync(cert.caFile), agent: false,
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    }, (response) => resolveStream({ response, close: () => req.destroy() }));
    req.on('error', reject);
    req.end();
  });
}

function readAll(response: IncomingMessage): Promise<string> {
  return new Promise((resolveBody) => {
    let body = '';
    response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    response.on('end', () => resolveBody(body));
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolveSocket(socket));
    socket.once('error', reject);
  });
}

/** Milliseconds until the server closes `socket`, or null if it is still open after `waitMs`. */
function closedWithin(socket: Socket, waitMs: number): Promise<number | null> {
  const started = Date.now();
  return new Promise((resolveClosed) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolveClosed(null);
    }, waitMs);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolveClosed(Date.now() - started);
    });
  });
}

function capture(cert: TestCertificate, port: number): Promise<Answer> {
  return send(cert, port, { method: 'POST', path: '/capture', body: withFreshUid(loadFixture('configmap-create')) });
}

describe('connection budgets', () => {
  let cert: TestCertificate;

  before(async () => {
    cert = await testCertificate();
  });

  after(() => {
    if (cert) rmSync(cert.dir, { recursive: true, force: true });
  });

  it('records a capture on the capture listener while idle sockets fill the main listener', async () => {
    const limits = { ...DEFAULT_CONNECTION_LIMITS, headersTimeoutMs: 5000, requestTimeoutMs: 10_000, maxConnections: 4 };
    const listeners = await startListeners(cert, { main: limits, capture: limits });
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) idle.push(await openSocket(listeners.mainPort));
      // The cap is full: the main listener closes a new connection on arrival.
      await assert.rejects(send(cert, listeners.mainPort, { path: '/healthz' }), /socket hang up|ECONNRESET|disconnected/);
      const answer = await capture(cert, listeners.capturePort);
      assert.equal(answer.status, 200, answer.body);
      assert.equal((JSON.parse(answer.body) as { response: { allowed: boolean } }).response.allowed, true);
      assert.equal((await listeners.store.listEvents({ kind: 'ConfigMap' }, 10)).items.length, 1, 'the change is recorded');
      assert.match(await listeners.metrics.registry.metrics(), /logistis_connections_refused_total{listener="main"} 1/);
    } finally {
      for (const socket of idle) socket.destroy();
      await listeners.close();
    }
  });

  it('closes a socket that never starts TLS at the headers timeout, on both listeners', async () => {
    const limits = { ...DEFAULT_CONNECTION_LIMITS, headersTimeoutMs: 500, requestTimeoutMs: 1000 };
    const listeners = await startListeners(cert, { main: limits, capture: limits });
    try {
      const sockets = [await openSocket(listeners.mainPort), await openSocket(listeners.capturePort)];
      // Without a handshake timeout of its own, Node keeps such a socket for 120 s.
      const [onMain, onCapture] = await Promise.all(sockets.map((socket) => closedWithin(socket, 5000)));
      for (const [name, elapsed] of [['main', onMain ?? null], ['capture', onCapture ?? null]] as const) {
        assert.ok(elapsed !== null && elapsed >= 400 && elapsed < 3000, `${name}: closed after ${elapsed} ms`);
      }
    } finally {
      await listeners.close();
    }
  });

  it('answers 429 to live streams over the per-user and per-server caps, while captures go on', async () => {
    const listeners = await startListeners(cert, { main: DEFAULT_CONNECTION_LIMITS, capture: DEFAULT_CONNECTION_LIMITS });
    const streams: { close(): void }[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const stream = await openStream(cert, listeners.mainPort, 'alice-token');
        streams.push(stream);
        assert.equal(stream.response.statusCode, 200);
      }
      const third = await openStream(cert, listeners.mainPort, 'alice-token');
      assert.equal(third.response.statusCode, 429);
      assert.match((JSON.parse(await readAll(third.response)) as { error: string }).error, /user "alice" already has 2 live-update streams open \(--max-live-streams-per-user\)/);

      const bobs = await openStream(cert, listeners.mainPort, 'bob-token');
      streams.push(bobs);
      assert.equal(bobs.response.statusCode, 200, 'another user still gets one');
      const overServer = await openStream(cert, listeners.mainPort, 'bob-token');
      assert.equal(overServer.response.statusCode, 429);
      assert.match((JSON.parse(await readAll(overServer.response)) as { error: string }).error, /too many live-update streams on this server \(--max-live-streams 3\)/);

      const answer = await capture(cert, listeners.capturePort);
      assert.equal(answer.status, 200, answer.body);
      const text = await listeners.metrics.registry.metrics();
      assert.match(text, /logistis_live_streams 3/);
      assert.match(text, /logistis_live_streams_refused_total{limit="user"} 1/);
      assert.match(text, /logistis_live_streams_refused_total{limit="server"} 1/);

      // A closed stream frees its slot.
      streams.shift()!.close();
      let again = await openStream(cert, listeners.mainPort, 'alice-token');
      for (let attempt = 0; again.response.statusCode !== 200 && attempt < 20; attempt++) {
        again.close();
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
        again = await openStream(cert, listeners.mainPort, 'alice-token');
      }
      streams.push(again);
      assert.equal(again.response.statusCode, 200);
    } finally {
      for (const stream of streams) stream.close();
      await listeners.close();
    }
  });

  it('refuses the webhooks on the main listener, and serves only the webhooks and probes on the capture listener', async () => {
    const listeners = await startListeners(cert, { main: DEFAULT_CONNECTION_LIMITS, capture: DEFAULT_CONNECTION_LIMITS });
    try {
      const onMain = await capture(cert, listeners.mainPort);
      assert.equal(onMain.status, 404);
      assert.match((JSON.parse(onMain.body) as { error: string }).error, /POST \/capture is served on the capture listener \(--capture-listen\)/);
      const lockCheck = await send(cert, listeners.mainPort, { method: 'POST', path: '/locks/check', body: withFreshUid(loadFixture('configmap-create')) });
      assert.equal(lockCheck.status, 404);
      assert.equal((await listeners.store.listEvents({}, 10)).items.length, 0, 'nothing recorded through the main listener');

      assert.equal((await send(cert, listeners.capturePort, { path: '/readyz' })).status, 200);
      assert.equal((await send(cert, listeners.capturePort, { path: '/healthz' })).status, 200);
      for (const path of ['/api/v1/events', '/metrics', '/ui/', '/apis']) {
        assert.equal((await send(cert, listeners.capturePort, { path, headers: { authorization: 'Bearer alice-token' } })).status, 404, path);
      }
      assert.equal((await send(cert, listeners.mainPort, { path: '/api/v1/events', headers: { authorization: 'Bearer alice-token' } })).status, 200);
    } finally {
      await listeners.close();
    }
  });
});
