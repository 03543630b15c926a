// The capture listener and the shutdown on a real control plane: with --capture-listen the API server's webhook
// calls reach their own port (the main one refuses /capture), and SIGTERM ends `logistis serve` within a few
// seconds while the API server holds keep-alive connections to both ports (the webhook client, the
// aggregation layer after `kubectl get changes`) and a dashboard's live stream is open.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { startControlPlane, waitFor, type ControlPlane } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';

/** The bound on SIGTERM to exit: the Kubernetes default grace period is 30 s, a rollout should not wait for it. */
const SHUTDOWN_BOUND_MS = 5000;

/** Established TCP connections whose server side is 127.0.0.1:`port` (from /proc/net/tcp, this host's table). */
function establishedTo(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local?.endsWith(`:${hexPort}`) && state === '01') count++;
    }
  }
  return count;
}

function post(port: number, path: string, body: unknown, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveAnswer, reject) => {
    const payload = JSON.stringify(body);
    const req = httpsRequest({
      host: '127.0.0.1', port, path, ca, method: 'POST', servername: 'logistis.logistis-system.svc',
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

function openLiveStream(port: number, token: string, ca: string, namespace: string): Promise<IncomingMessage> {
  return new Promise((resolveStream, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: `/api/v1/events/live?namespace=${namespace}`, ca, servername: 'logistis.logistis-system.svc',
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    }, resolveStream);
    req.on('error', reject);
    req.end();
  });
}

describe('logistis serve with --capture-listen on a real control plane', { timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  let ns: string;

  before(async () => {
    cp = await startControlPlane();
    logistis = await startLogistis(cp, { captureListen: true });
    ns = await cp.createNamespace('conn');
    await cp.grant('alice', 'edit', ns);
    await cp.grant('alice', 'logistis-viewer', ns);
  });

  after(async () => {
    await logistis?.stop('SIGKILL');
    await cp?.stop();
  });

  it('records changes through the capture listener, and the main listener refuses /capture', async () => {
    assert.notEqual(logistis.capturePort, logistis.port);
    await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'settings', '--from-literal=mode=fast']);
    const table = await waitFor(async () => {
      const got = await cp.kubectl('alice', ['get', 'changes', '-n', ns], { allowFailure: true });
      return got.code === 0 && got.stdout.includes('settings') ? got.stdout : null;
    }, { timeoutMs: 20_000, message: 'the ConfigMap change in kubectl get changes' });
    assert.match(table, /CREATE\s+ConfigMap\s+settings\s+alice|alice[\s\S]*settings/);

    const refused = await post(logistis.port, '/capture', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, logistis.ca.certPem);
    assert.equal(refused.status, 404);
    assert.match(refused.body, /served on the capture listener \(--capture-listen\)/);
  });

  it(`exits within ${SHUTDOWN_BOUND_MS / 1000} s of SIGTERM while the API server holds connections to both listeners and a live stream is open`, async () => {
    // The API server keeps its connections after a webhook call and a proxied read (idle, for up to 90 s).
    await cp.kubectl('alice', ['-n', ns, 'label', 'configmap', 'settings', 'tier=backend']);
    await cp.kubectl('alice', ['get', 'changes', '-n', ns]);
    assert.ok(establishedTo(logistis.capturePort) >= 1, 'the webhook client holds a connection to the capture listener');
    assert.ok(establishedTo(logistis.port) >= 1, 'the aggregation layer holds a connection to the main listener');
    const stream = await openLiveStream(logistis.port, cp.token('alice'), logistis.ca.certPem, ns);
    assert.equal(stream.statusCode, 200);
    const streamEnded = new Promise<void>((resolveEnded) => stream.once('close', () => resolveEnded()));
    stream.resume();

    const started = Date.now();
    const code = await logistis.stop('SIGTERM');
    const elapsed = Date.now() - started;
    assert.equal(code, 0, logistis.output());
    assert.ok(elapsed < SHUTDOWN_BOUND_MS, `exited ${elapsed} ms after SIGTERM:\n${logistis.output()}`);
    await streamEnded;
    assert.match(logistis.output(), /stopped cleanly/);
    assert.doesNotMatch(logistis.output(), /still open after --shutdown-grace/, 'idle connections and streams close at once, not at the deadline');
  });
});
