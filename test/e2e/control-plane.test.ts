// The control-plane harness against a real etcd and kube-apiserver: users and RBAC, kubeconfigs, webhook
// registration by URL and through an ExternalName Service, clear start-up errors, and nothing left behind.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCa, createServingCert } from '../../harness/certs.ts';
import {
  pidAlive, portOpen, registerWebhook, startControlPlane, unregisterWebhook, waitFor, type ControlPlane,
} from '../../harness/control-plane.ts';

interface Review {
  apiVersion: string;
  path: string;
  query: string;
  request: {
    uid: string;
    operation: string;
    namespace?: string;
    name?: string;
    dryRun?: boolean;
    resource: { group: string; resource: string };
    userInfo: { username: string; uid?: string; groups?: string[] };
  };
}

/** A webhook server on 127.0.0.1 that allows everything and remembers what it was asked. */
async function startWebhookServer(cert: { certPem: string; keyPem: string }): Promise<{ server: Server; port: number; reviews: Review[] }> {
  const reviews: Review[] = [];
  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
      const [path = '', query = ''] = (req.url ?? '').split('?');
      reviews.push({ ...review, path, query });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, reviews };
}

describe('control-plane harness', { timeout: 120_000 }, () => {
  let cp: ControlPlane;
  let ns: string;
  const started = performance.now();

  before(async () => {
    cp = await startControlPlane();
    ns = await cp.createNamespace('harness');
    console.log(`# control plane ready in ${Math.round(performance.now() - started)} ms ${JSON.stringify(cp.timings)}`);
  });

  after(async () => {
    await cp?.stop();
  });

  test('admin creates a namespace and a ConfigMap', async () => {
    const own = await cp.createNamespace('admin');
    assert.match(own, /^admin-[0-9a-f]{6}$/);
    await cp.kubectl('admin', ['-n', own, 'create', 'configmap', 'settings', '--from-literal=color=blue']);
    const got = await cp.kubectl('admin', ['-n', own, 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.color}']);
    assert.equal(got.stdout, 'blue');
  });

  test('alice without a grant is forbidden', async () => {
    const res = await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'nope', '--from-literal=a=b'], { allowFailure: true });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /forbidden/i);
    assert.match(res.stderr, /User "alice" cannot create resource "configmaps"/);
    await assert.rejects(cp.kubectl('alice', ['-n', ns, 'get', 'configmaps']), /forbidden/);
  });

  test('grant(alice, edit, ns) lets alice write there, and only there', async () => {
    await cp.grant('alice', 'edit', ns);
    await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'by-alice', '--from-literal=a=b']);
    await cp.kubectl('alice', ['-n', ns, 'apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
        spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } }),
    });
    const other = await cp.createNamespace('other');
    const elsewhere = await cp.kubectl('alice', ['-n', other, 'create', 'configmap', 'x'], { allowFailure: true });
    assert.match(elsewhere.stderr, /forbidden/);
    const bob = await cp.kubectl('bob', ['-n', ns, 'get', 'configmap', 'by-alice'], { allowFailure: true });
    assert.match(bob.stderr, /forbidden/);
  });

  test('grant to a group, cluster-wide', async () => {
    await cp.grant('group:ops', 'view');
    const res = await cp.kubectl('bob', ['-n', ns, 'get', 'configmap', 'by-alice', '-o', 'name']);
    assert.equal(res.stdout.trim(), 'configmap/by-alice');
  });

  test('whoami shows the token user with uid and groups', async () => {
    const res = await cp.kubectl('alice', ['auth', 'whoami', '-o', 'json']);
    const info = (JSON.parse(res.stdout) as { status: { userInfo: { username: string; uid: string; groups: string[] } } }).status.userInfo;
    assert.equal(info.username, 'alice');
    assert.equal(info.uid, 'uid-alice');
    assert.ok(info.groups.includes('dev'), `groups: ${info.groups.join(',')}`);
    assert.ok(info.groups.includes('system:authenticated'));
  });

  test('the main kubeconfig has admin, alice and bob contexts, admin current', async () => {
    const contexts = await cp.kubectl('admin', ['--kubeconfig', cp.kubeconfigPath, 'config', 'get-contexts', '-o', 'name']);
    assert.deepEqual(contexts.stdout.trim().split('\n').sort(), ['admin', 'alice', 'bob']);
    const current = await cp.kubectl('admin', ['--kubeconfig', cp.kubeconfigPath, 'config', 'current-context']);
    assert.equal(current.stdout.trim(), 'admin');
    const asBob = await cp.kubectl('admin', ['--kubeconfig', cp.kubeconfigPath, '--context', 'bob', 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(asBob.stdout, 'bob');
  });

  test('the aggregation layer is configured with the front-proxy CA', async () => {
    const cm = await waitFor(async () => {
      const res = await cp.request('admin', 'GET', '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication');
      return res.status === 200 ? res.body as { data: Record<string, string> } : undefined;
    }, { message: 'extension-apiserver-authentication ConfigMap' });
    assert.equal(cm.data['requestheader-client-ca-file']?.trim(), cp.frontProxyCaPem.trim());
    assert.deepEqual(JSON.parse(cm.data['requestheader-allowed-names'] ?? '[]'), ['front-proxy-client']);
    assert.deepEqual(JSON.parse(cm.data['requestheader-username-headers'] ?? '[]'), ['X-Remote-User']);
  });

  test('webhooks reach 127.0.0.1 by URL and through an ExternalName Service; noise is filtered out', async () => {
    const pki = await mkdtemp(join(tmpdir(), 'logistis-webhook-'));
    const ca = await createCa(pki, { name: 'webhook-ca' });
    const cert = await createServingCert(pki, ca, { name: 'webhook', dnsNames: ['logistis.logistis-system.svc'] });
    const { server, port, reviews } = await startWebhookServer(cert);
    try {
      const seen = (name: string) => reviews.find((r) => r.request.name === name && !r.request.dryRun);
      // By URL. The API server loads the configuration through an informer: probe until it calls us.
      await registerWebhook(cp, { url: `https://127.0.0.1:${port}/capture`, caBundlePem: ca.certPem, timeoutSeconds: 5 });
      let probe = 0;
      await waitFor(async () => {
        await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', `probe-${++probe}`]);
        return seen(`probe-${probe}`);
      }, { timeoutMs: 20_000, intervalMs: 200, message: 'the webhook was never called' });

      await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'watched', '--from-literal=a=1']);
      const review = seen('watched');
      assert.ok(review, 'no review for configmap watched');
      assert.equal(review.apiVersion, 'admission.k8s.io/v1');
      assert.equal(review.path, '/capture');
      assert.equal(review.query, 'timeout=5s'); // the API server tells us its deadline
      assert.equal(review.request.operation, 'CREATE');
      assert.equal(review.request.namespace, ns);
      assert.equal(review.request.userInfo.username, 'alice');
      assert.equal(review.request.userInfo.uid, 'uid-alice');
      assert.ok(review.request.userInfo.groups?.includes('dev'));

      // Dry-run requests are sent (sideEffects: NoneOnDryRun) and say so.
      await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'dry', '--dry-run=server']);
      assert.equal(reviews.find((r) => r.request.name === 'dry')?.request.dryRun, true);

      // Scale is a subresource we watch; leases are noise the matchConditions drop before they reach us.
      await cp.kubectl('alice', ['-n', ns, 'scale', 'deployment', 'web', '--replicas=3']);
      assert.ok(reviews.some((r) => r.request.name === 'web' && (r.request as { subResource?: string }).subResource === 'scale'), 'no review for deployments/scale');
      await cp.kubectl('admin', ['-n', ns, 'create', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'heartbeat' }, spec: { holderIdentity: 'x' } }),
      });
      await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'after-lease']);
      assert.ok(seen('after-lease'));
      assert.equal(reviews.filter((r) => r.request.resource.resource === 'leases').length, 0, 'a lease reached the webhook');
      assert.equal(reviews.filter((r) => r.request.resource.group === 'authorization.k8s.io').length, 0, 'a review reached the webhook');

      // Through a Service: registerWebhook creates an ExternalName Service to localhost; TLS names <svc>.<ns>.svc.
      await unregisterWebhook(cp);
      await registerWebhook(cp, {
        service: { name: 'logistis', namespace: 'logistis-system', port, path: '/via-service' }, caBundlePem: ca.certPem,
      });
      await waitFor(async () => {
        await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', `probe-${++probe}`]);
        const r = seen(`probe-${probe}`);
        return r?.path === '/via-service' ? r : undefined;
      }, { timeoutMs: 20_000, intervalMs: 200, message: 'the webhook was never called through the Service' });
      await unregisterWebhook(cp);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await rm(pki, { recursive: true, force: true });
    }
  });

  test('restartApiserver() brings kube-apiserver back on the same port, etcd, certificates and tokens', async () => {
    const own = await cp.createNamespace('restart');
    await cp.kubectl('admin', ['-n', own, 'create', 'configmap', 'kept', '--from-literal=k=before']);
    const { port, server } = cp;
    const etcdPid = cp.pids.etcd;
    const oldPid = cp.pids.apiserver;

    await cp.stopApiserver();
    assert.equal(pidAlive(oldPid), false, 'the old kube-apiserver is gone');
    assert.equal(await portOpen(port), false, 'nothing listens while it is down');
    const down = await cp.kubectl('admin', ['-n', own, 'get', 'configmap', 'kept', '--request-timeout=2s'], { allowFailure: true });
    assert.notEqual(down.code, 0, 'kubectl fails while the API server is down');

    const t = performance.now();
    await cp.startApiserver();
    console.log(`# kube-apiserver back in ${Math.round(performance.now() - t)} ms`);
    assert.equal(cp.port, port);
    assert.equal(cp.server, server);
    assert.notEqual(cp.pids.apiserver, oldPid);
    assert.ok(pidAlive(cp.pids.apiserver));
    assert.equal(cp.pids.etcd, etcdPid, 'same etcd');
    // The old kubeconfig (CA, token) still works, and what was stored before is still there.
    const got = await cp.kubectl('admin', ['-n', own, 'get', 'configmap', 'kept', '-o', 'jsonpath={.data.k}']);
    assert.equal(got.stdout, 'before');
    await cp.grant('alice', 'edit', own);
    await cp.kubectl('alice', ['-n', own, 'create', 'configmap', 'after']);

    await cp.restartApiserver({ downMs: 200 });
    assert.equal((await cp.request('bob', 'GET', '/readyz')).status, 200);
    await assert.rejects(cp.startApiserver(), /already running/);
  });

  test('stop() leaves no process, port or temp dir behind', async () => {
    const { pids, ports, dir } = cp;
    for (const pid of Object.values(pids)) assert.ok(pidAlive(pid), `pid ${pid} should run before stop`);
    const t = performance.now();
    await cp.stop();
    console.log(`# stopped in ${Math.round(performance.now() - t)} ms`);
    for (const [name, pid] of Object.entries(pids)) assert.equal(pidAlive(pid), false, `${name} (pid ${pid}) still runs`);
    for (const [name, port] of Object.entries(ports)) assert.equal(await portOpen(port), false, `${name} port ${port} still open`);
    if (process.env.LOGISTIS_KEEP_CLUSTER !== '1') await assert.rejects(rm(dir, { recursive: false }), /ENOENT/);
    await cp.stop(); // idempotent
  });
});

describe('control-plane start-up failures', { timeout: 60_000 }, () => {
  test('a bad flag fails fast with the API server log, and cleans up', async () => {
    const t = performance.now();
    await assert.rejects(startControlPlane({ apiserverArgs: ['--no-such-flag'] }), (err: Error) => {
      assert.match(err.message, /kube-apiserver exited \(code 1\) before it was ready/);
      assert.match(err.message, /unknown flag: --no-such-flag/);
      return true;
    });
    assert.ok(performance.now() - t < 15_000);
  });
});
