// `logistis serve` stops within its grace period whatever its clients hold: idle keep-alive connections, spare
// connections that never sent a request, requests stalled in their headers and live streams end at once; sockets
// that never start TLS are destroyed at --shutdown-grace (and counted in the log), on both listeners.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { testCertificate, type TestCertificate } from '../../harness/tls.ts';
import { freePort, startServer, type ServerProcess } from '../../harness/server-process.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';

function get(port: number, path: string, ca: Buffer, agent: Agent | false): Promise<IncomingMessage> {
  return new Promise((resolveResponse, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, agent }, resolveResponse);
    req.on('error', reject);
    req.end();
  });
}

function post(port: number, path: string, body: unknown, ca: Buffer, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolveAnswer, reject) => {
    const payload = JSON.stringify(body);
    const req = httpsRequest({
      host: '127.0.0.1', port, path, ca, agent, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      response.on('end', () => resolveAnswer({ status: response.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function drain(response: IncomingMessage): Promise<void> {
  return new Promise((resolveDrained) => {
    response.resume();
    response.on('end', () => resolveDrained());
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolveSocket(socket));
    socket.once('error', reject);
  });
}

/** A TLS connection that sends half a request's headers, then nothing: a request in flight that never ends. */
function stalledRequest(port: number, ca: Buffer): Promise<TLSSocket> {
  return new Promise((resolveSocket, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      socket.write('GET /api/v1/events HTTP/1.1\r\nHost: x\r\n');
      resolveSocket(socket);
    });
    socket.once('error', reject);
  });
}

/** A TLS connection that never sends a request: an HTTP client's spare connection (Go's transport leaves such). */
function spareConnection(port: number, ca: Buffer): Promise<TLSSocket> {
  return new Promise((resolveSocket, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolveSocket(socket));
    socket.once('error', reject);
  });
}

/** Sends SIGTERM; the milliseconds until the process exited, and its exit code. */
async function timeShutdown(server: ServerProcess): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  const code = await server.kill('SIGTERM');
  return { ms: Date.now() - started, code };
}

describe('logistis serve shutting down', { timeout: 60_000 }, () => {
  let cert: TestCertificate;
  let dir: string;
  let ca: Buffer;

  before(async () => {
    cert = await testCertificate();
    ca = readFileSync(cert.caFile);
    dir = mkdtempSync(join(tmpdir(), 'logistis-shutdown-'));
  });

  after(() => {
    if (cert) rmSync(cert.dir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const startWithCaptureListener = async (name: string) => {
    const capturePort = await freePort();
    const server = await startServer([
      '--tls-cert-file', cert.certFile, '--tls-key-file', cert.keyFile, '--store', `sqlite:${join(dir, `${name}.db`)}`, '--auth', 'none',
      '--capture-listen', `127.0.0.1:${capturePort}`, '--shutdown-grace', '1s',
    ], { caFile: cert.caFile });
    return { server, capturePort };
  };

  it('closes idle keep-alive connections, spare connections and live streams at once', async () => {
    const { server, capturePort } = await startWithCaptureListener('idle');
    const agent = new Agent({ keepAlive: true, ca });
    const spare: TLSSocket[] = [];
    try {
      spare.push(await spareConnection(server.port, ca), await spareConnection(capturePort, ca));
      for (const socket of spare) socket.on('error', () => undefined);
      // Keep-alive connections left open on both listeners, as the API server leaves them, and a live stream.
      await drain(await get(server.port, '/api/v1/events', ca, agent));
      const captured = await post(capturePort, '/capture', withFreshUid(loadFixture('configmap-create')), ca, agent);
      assert.equal(captured.status, 200, captured.body);
      const stream = await get(server.port, '/api/v1/events/live', ca, false);
      assert.equal(stream.statusCode, 200);
      const streamEnded = new Promise<void>((resolveEnded) => stream.once('close', () => resolveEnded()));
      stream.resume();

      const { ms, code } = await timeShutdown(server);
      assert.equal(code, 0, server.output());
      assert.ok(ms < 900, `exited ${ms} ms after SIGTERM, before the 1 s grace ran out:\n${server.output()}`);
      await streamEnded;
      assert.doesNotMatch(server.output(), /still open after --shutdown-grace/);
      assert.match(server.output(), /stopped cleanly/);
    } finally {
      for (const socket of spare) socket.destroy();
      agent.destroy();
      await server.kill('SIGKILL');
    }
  });

  it('destroys sockets without TLS at --shutdown-grace, saying how many, and a request stalled in its headers at once', async () => {
    const { server, capturePort } = await startWithCaptureListener('stalled');
    const held: Socket[] = [];
    try {
      // No TLS at all on either listener, and a request whose headers never end.
      const stalled = await stalledRequest(server.port, ca);
      held.push(await openSocket(server.port), await openSocket(capturePort), stalled);
      for (const socket of held) socket.on('error', () => undefined);
      let stalledClosedAt = 0;
      stalled.once('close', () => { stalledClosedAt = Date.now(); });

      const signalled = Date.now();
      const { ms, code } = await timeShutdown(server);
      assert.equal(code, 0, server.output());
      assert.ok(ms >= 900 && ms < 2500, `exited ${ms} ms after SIGTERM, with --shutdown-grace 1s:\n${server.output()}`);
      assert.ok(stalledClosedAt > 0 && stalledClosedAt - signalled < 800, `the stalled request was closed ${stalledClosedAt - signalled} ms after SIGTERM`);
      assert.match(server.output(), /shutdown: closing 2 connection\(s\) still open after --shutdown-grace/);
      assert.match(server.output(), /stopped cleanly/);
    } finally {
      for (const socket of held) socket.destroy();
      await server.kill('SIGKILL');
    }
  });

  it('answers a capture whose body is still arriving at SIGTERM, and keeps it', async () => {
    const { server, capturePort } = await startWithCaptureListener('in-flight');
    const socket = await spareConnection(capturePort, ca);
    try {
      const body = JSON.stringify(withFreshUid(loadFixture('configmap-create')));
      let answer = '';
      socket.on('data', (chunk: Buffer) => { answer += chunk.toString(); });
      const answered = new Promise<void>((resolveClosed) => socket.once('close', () => resolveClosed()));
      socket.write(`POST /capture HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 100)}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
      const exited = server.kill('SIGTERM');
      await new Promise((resolveWait) => setTimeout(resolveWait, 300));
      socket.write(body.slice(100));
      await answered;
      assert.match(answer, /^HTTP\/1.1 200 /);
      assert.match(answer, /connection: close/i, 'the client is told not to reuse the connection');
      assert.match(answer, /"allowed":true/);
      assert.equal(await exited, 0, server.output());
      assert.doesNotMatch(server.output(), /still open after --shutdown-grace/);
      const store = await SqliteEventStore.open(join(dir, 'in-flight.db'), { maxEventsPerObject: 100, maxAgeMs: 86_400_000 });
      try {
        assert.equal((await store.listEvents({ kind: 'ConfigMap' }, 10)).items.length, 1, 'the change was recorded before the exit');
      } finally {
        await store.close();
      }
    } finally {
      socket.destroy();
      await server.kill('SIGKILL');
    }
  });
});
