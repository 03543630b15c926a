// Provenance end to end on a real kube-apiserver: normal changes become confirmed, a change a later admission
// step refuses (ResourceQuota, a second validating webhook) becomes not-applied, and a change made while
// logistis was down appears as unattributed with the field manager as the author guess.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:https';
import { registerWebhook, startControlPlane, unregisterWebhook, waitFor, type ControlPlane } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';
import { createCa, createServingCert } from '../../harness/certs.ts';
import { fileURLToPath } from 'node:url';
import type { ChangeEvent } from '../../src/event.ts';

const BIN = fileURLToPath(new URL('../../bin', import.meta.url));

const WINDOW = '5s';

describe('provenance through the real API server', () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  let rejecter: Server | undefined;
  before(async () => {
    cp = await startControlPlane();
    logistis = await startLogistis(cp, { provenance: true, args: ['--provenance-window', WINDOW] });
  });
  after(async () => {
    rejecter?.close();
    await logistis?.stop();
    await cp?.stop();
  });

  const events = async (query: string): Promise<ChangeEvent[]> => {
    const response = await logistis.api('admin', `/api/v1/events?limit=1000&${query}`);
    assert.equal(response.status, 200, response.body);
    return (response.json() as { items: ChangeEvent[] }).items;
  };
  const settled = (query: string, count: number, message: string) => waitFor(async () => {
    const items = await events(query);
    return items.length >= count && items.every((item) => item.state && item.state !== 'pending') ? items : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500, message });
  /** The watch lists a resource once it is discovered; a change before that has no state to confirm. */
  const watching = async (ns: string) => {
    await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'probe', '--from-literal=a=1']);
    await waitFor(async () => (await events(`namespace=${ns}&name=probe`))[0]?.state === 'confirmed' || undefined,
      { timeoutMs: 90_000, intervalMs: 500, message: `the watch never confirmed a change:\n${logistis.output()}` });
  };

  it('confirms normal changes within seconds: create, apply, scale, patch, delete', async () => {
    const ns = await cp.createNamespace('prov-ok');
    await cp.grant('alice', 'edit', ns);
    await watching(ns);
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    };
    const started = Date.now();
    await cp.kubectl('alice', ['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    await cp.kubectl('alice', ['-n', ns, 'scale', 'deployment/web', '--replicas=3']);
    await cp.kubectl('alice', ['-n', ns, 'patch', 'deployment/web', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"web"}}}']);
    await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'settings', '--from-literal=a=1']);
    await cp.kubectl('alice', ['-n', ns, 'delete', 'configmap', 'settings']);
    // A Secret's values are redacted to fingerprints on both sides, so its hash still matches.
    await cp.kubectl('alice', ['-n', ns, 'create', 'secret', 'generic', 'db', '--from-literal=password=e2e-prov-pass-1']);
    const items = (await settled(`namespace=${ns}&user=alice`, 6, 'the changes were never judged'))
      .filter((item) => item.kind !== 'Secret' || item.name === 'db');
    assert.equal(items.shift()!.state, 'confirmed', 'the Secret');
    assert.deepEqual(items.map((item) => `${item.operation} ${item.kind}/${item.name}${item.subresource ? `/${item.subresource}` : ''} ${item.state}`).reverse(), [
      'CREATE Deployment/web confirmed', 'UPDATE Deployment/web/scale confirmed', 'UPDATE Deployment/web confirmed',
      'CREATE ConfigMap/settings confirmed', 'DELETE ConfigMap/settings confirmed',
    ]);
    // Confirmed by the watch, not by the window running out (which would say not-applied).
    for (const item of items) assert.ok(Date.parse(item.stateChangedAt!) - started < 30_000, `${item.operation} confirmed late`);
  });

  it('confirms a Namespace created through the webhook, and records it once (not again as unattributed)', async () => {
    await watching(await cp.createNamespace('prov-watching'));
    const name = `prov-ns-${Date.now().toString(36)}`;
    await cp.kubectl('admin', ['create', 'namespace', name]);
    const items = await settled(`kind=Namespace&name=${name}`, 1, 'the Namespace CREATE was never judged');
    // A second, unattributed event would come once the watch saw a Namespace no captured change explained.
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    assert.deepEqual((await events(`kind=Namespace&name=${name}`)).map((item) => `${item.operation} ${item.state}`), ['CREATE confirmed'], JSON.stringify(items));
  });

  it('marks a change that ResourceQuota refused after the webhook as not-applied', async () => {
    const ns = await cp.createNamespace('prov-quota');
    await watching(ns);
    await cp.kubectl('admin', ['-n', ns, 'create', 'quota', 'one-configmap', '--hard=configmaps=1']);
    await cp.kubectl('admin', ['-n', ns, 'patch', 'resourcequota', 'one-configmap', '--subresource=status', '--type=merge', '-p', '{"status":{"hard":{"configmaps":"1"},"used":{"configmaps":"1"}}}']);
    const rejected = await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'over-quota', '--from-literal=a=1'], { allowFailure: true });
    assert.match(rejected.stderr, /exceeded quota/);
    const [event] = await settled(`namespace=${ns}&name=over-quota`, 1, 'the over-quota change was never judged');
    assert.equal(event!.state, 'not-applied');
    // kubectl blame marks it, and --confirmed-only leaves it out; kubectl get changes has the state column.
    const blame = (args: string[]) => cp.kubectl('admin', ['blame', '-n', ns, 'configmaps', ...args], { env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, COLUMNS: '200' } });
    const lines = (await blame([])).stdout.split('\n');
    const row = lines.findIndex((line) => line.includes('over-quota'));
    // The mark is the operation cell's second line.
    assert.match(lines.slice(row, row + 2).join('\n'), /CREATE +admin.*\n +not applied/, lines.join('\n'));
    assert.ok(!(await blame(['--confirmed-only'])).stdout.includes('over-quota'));
    const table = (await cp.kubectl('admin', ['get', 'changes', '-n', ns])).stdout;
    assert.match(table, /STATE/);
    assert.match(table.split('\n').find((line) => line.includes('ConfigMap/over-quota')) ?? '', /not-applied/);
  });

  it('marks a change that a second validating webhook denied as not-applied, and the allowed ones confirmed', async () => {
    const ns = await cp.createNamespace('prov-webhook');
    await watching(ns);
    const ca = await createCa(logistis.dataDir, { name: 'rejecter-ca' });
    const serving = await createServingCert(logistis.dataDir, ca, { name: 'rejecter-serving' });
    let denied = 0;
    rejecter = createServer({ cert: serving.certPem, key: serving.keyPem }, (request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      request.on('end', () => {
        const review = JSON.parse(body) as { request: { uid: string; name: string } };
        const deny = review.request.name === 'denied-by-webhook';
        if (deny) denied += 1;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: !deny, ...(deny ? { status: { message: 'the second webhook says no' } } : {}) },
        }));
      });
    });
    await new Promise<void>((resolveListen) => rejecter!.listen(0, '127.0.0.1', () => resolveListen()));
    const port = (rejecter.address() as { port: number }).port;
    await cp.kubectl('admin', ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'second-webhook' },
        webhooks: [{
          name: 'second.e2e.example.com', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', timeoutSeconds: 10,
          clientConfig: { url: `https://127.0.0.1:${port}/`, caBundle: Buffer.from(ca.certPem).toString('base64') },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], operations: ['CREATE'], scope: 'Namespaced' }],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
        }],
      }),
    });
    try {
      // The registration takes effect once the API server's webhook informer sees it.
      await waitFor(async () => {
        const result = await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'denied-by-webhook', '--from-literal=a=1'], { allowFailure: true });
        return result.code !== 0 && result.stderr.includes('the second webhook says no') ? true : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500, message: 'the second webhook never denied' });
      await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'allowed-by-webhook', '--from-literal=a=1']);
      assert.ok(denied >= 1);
      const items = await settled(`namespace=${ns}&kind=ConfigMap&name=denied-by-webhook`, 1, 'the denied change was never judged');
      assert.ok(items.every((item) => item.state === 'not-applied'), JSON.stringify(items.map((item) => item.state)));
      const [allowed] = await settled(`namespace=${ns}&name=allowed-by-webhook`, 1, 'the allowed change was never judged');
      assert.equal(allowed!.state, 'confirmed');
    } finally {
      await cp.kubectl('admin', ['delete', 'validatingwebhookconfiguration', 'second-webhook', '--ignore-not-found']);
    }
  });

  it('records a change that bypassed the webhook while logistis ran as unattributed', async () => {
    const ns = await cp.createNamespace('prov-bypass');
    await watching(ns);
    await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'bypassed', '--from-literal=a=0']);
    await settled(`namespace=${ns}&name=bypassed`, 1, 'the create was never confirmed');
    await unregisterWebhook(cp);
    let found: ChangeEvent | undefined;
    try {
      // The API server drops the webhook once its informer sees the deletion; until then changes are captured.
      for (let value = 1; !found && value <= 30; value++) {
        await cp.kubectl('admin', ['-n', ns, 'patch', 'configmap', 'bypassed', '--type=merge', '-p', JSON.stringify({ data: { a: String(value) } })]);
        found = await waitFor(async () => {
          const items = await events(`namespace=${ns}&name=bypassed`);
          const mine = items.find((item) => (item.object['data'] as Record<string, string> | undefined)?.['a'] === String(value));
          return mine && mine.state !== 'pending' ? mine : undefined;
        }, { timeoutMs: 40_000, intervalMs: 500, message: `the change to ${value} was never judged` });
        if (found.state !== 'unattributed') found = undefined;
      }
    } finally {
      await registerWebhook(cp, { url: `${logistis.url}/capture`, caBundlePem: logistis.ca.certPem });
      let attempt = 0;
      await waitFor(async () => {
        attempt += 1;
        await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', `after-bypass-${attempt}`, '--from-literal=a=1']);
        await new Promise((resolveWait) => setTimeout(resolveWait, 500));
        return (await events(`namespace=${ns}&user=admin&name=after-bypass-${attempt}`)).length > 0 || undefined;
      }, { timeoutMs: 60_000, intervalMs: 500, message: 'the webhook never came back' });
    }
    assert.ok(found, 'a change without a captured request became unattributed');
    assert.equal(found.user.username, '');
    assert.match(found.authorGuess?.manager ?? '', /^kubectl/);
    assert.ok(found.patch.some((operation) => operation.path === '/data/a'), JSON.stringify(found.patch));
  });

  it('records a scale made while logistis was down as unattributed, with the field manager as a guess', async () => {
    const ns = await cp.createNamespace('prov-down');
    await cp.grant('alice', 'edit', ns);
    await watching(ns);
    await cp.kubectl('alice', ['-n', ns, 'create', 'deployment', 'api', '--image=nginx:1.27', '--replicas=1']);
    await settled(`namespace=${ns}&kind=Deployment&name=api`, 1, 'the create was never confirmed');
    // Let the watcher write the object's hash (it flushes every second).
    await new Promise((resolveWait) => setTimeout(resolveWait, 3000));
    await logistis.stop();
    try {
      await cp.kubectl('alice', ['-n', ns, 'scale', 'deployment/api', '--replicas=4']);
    } finally {
      await logistis.start();
    }
    const found = await waitFor(async () => (await events(`namespace=${ns}&kind=Deployment&name=api`)).find((item) => item.state === 'unattributed'),
      { timeoutMs: 90_000, intervalMs: 1000, message: `the change made while down never appeared:\n${logistis.output()}` });
    assert.equal(found.operation, 'UPDATE');
    assert.equal(found.user.username, '', 'no user is invented');
    assert.match(found.authorGuess?.manager ?? '', /^kubectl/);
    assert.ok(found.patch.some((operation) => operation.path === '/spec/replicas' && 'value' in operation && operation.value === 4), JSON.stringify(found.patch));
    const metrics = await logistis.api('admin', '/metrics');
    assert.match(metrics.body, /logistis_event_states_total\{state="unattributed"\} [1-9]/);
    assert.match(metrics.body, /logistis_oldest_pending_event_seconds \d/);
  });

  it('recovers its watches after kube-apiserver restarts: a change made afterwards is confirmed', async () => {
    const ns = await cp.createNamespace('prov-restart');
    await watching(ns);
    await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'before-restart', '--from-literal=a=1']);
    await settled(`namespace=${ns}&name=before-restart`, 1, 'the change before the restart was never judged');
    await cp.restartApiserver({ downMs: 3000 });
    // The watches fail while the API server is gone and are restarted with back-off (at most 30 s apart).
    await cp.kubectl('admin', ['-n', ns, 'patch', 'configmap', 'before-restart', '--type=merge', '-p', '{"data":{"a":"2"}}']);
    const items = await settled(`namespace=${ns}&name=before-restart`, 2, `the change after the restart was never judged:\n${logistis.output()}`);
    assert.deepEqual(items.map((item) => `${item.operation} ${item.state}`), ['UPDATE confirmed', 'CREATE confirmed']);
    assert.match(logistis.output(), /watch re-established/);
  });
});
