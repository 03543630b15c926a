// `logistis serve` stops within its grace period whatever its clients hold: idle keep-alive connections and live
// streams end at once, a socket that never starts TLS and a request stalled in its headers are destroyed at
// --shutdown-grace (and counted in the log), on both listeners; what was recorded stays recorded.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { testCertificate, type TestCertificate } from '../support/tls.ts';
import { freePort, startServer, type ServerProcess } from '../support/server-process.ts';
import { loadFixture, withFreshUid } from '../support/fixtures.ts';

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

  it('closes idle keep-alive connections and live streams at once', async () => {
    const { server, capturePort } = await startWithCaptureListener('idle');
    const agent = new Agent({ keepAlive: true, ca });
    try {
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
      agent.destroy();
      await server.kill('SIGKILL');
    }
  });

  it('destroys what is still open at --shutdown-grace, saying how many', async () => {
    const { server, capturePort } = await startWithCaptureListener('stalled');
    const held: Socket[] = [];
    try {
      // No TLS at all on either listener, and a request whose headers never end.
      held.push(await openSocket(server.port), await openSocket(capturePort), await stalledRequest(server.port, ca));
      for (const socket of held) socket.on('error', () => undefined);

      const { ms, code } = await timeShutdown(server);
      assert.equal(code, 0, server.output());
      assert.ok(ms >= 900 && ms < 2500, `exited ${ms} ms after SIGTERM, with --shutdown-grace 1s:\n${server.output()}`);
      assert.match(server.output(), /shutdown: closing 3 connection\(s\) still open after --shutdown-grace/);
      assert.match(server.output(), /stopped cleanly/);
    } finally {
      for (const socket of held) socket.destroy();
      await server.kill('SIGKILL');
    }
  });
});
