// Capture rules through a real kube-apiserver: a controller's update is not recorded while a person's is, and with
// the exec preset a `kubectl exec` is recorded with its command. No kubelet runs, but the API server runs
// validating admission for CONNECT before it tries to reach the node, so the webhook sees the exec even though
// the exec itself then fails.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerWebhook, startControlPlane, waitFor, type ControlPlane } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';
import { DEFAULT_PRESETS } from '../../src/rules/presets.ts';
import type { ChangeEvent } from '../../src/event.ts';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin', import.meta.url));

const CONTROLLER = 'system:serviceaccount:kube-system:replicaset-controller';

describe('capture rules on the real API server', () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  before(async () => {
    cp = await startControlPlane({ users: [{ name: CONTROLLER, groups: ['system:serviceaccounts'] }] });
    logistis = await startLogistis(cp, { args: ['--capture-presets', `${DEFAULT_PRESETS.join(',')},exec`] });
    await registerWebhook(cp, { url: `${logistis.url}/capture`, caBundlePem: logistis.ca.certPem, presets: [...DEFAULT_PRESETS, 'exec'] });
  });
  after(async () => {
    await logistis?.stop();
    await cp?.stop();
  });

  const history = async (namespace: string, kind: string, name: string): Promise<ChangeEvent[]> => {
    const response = await logistis.api('admin', `/api/v1/history?namespace=${namespace}&kind=${kind}&name=${name}`);
    assert.equal(response.status, 200, response.body);
    return (response.json() as { items: ChangeEvent[] }).items;
  };

  it("records a person's change but not a controller's", async () => {
    const ns = await cp.createNamespace('rules');
    await cp.grant('alice', 'edit', ns);
    await cp.grant(CONTROLLER, 'edit', ns);
    await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'settings', '--from-literal=mode=a']);
    // A service account's update, as the replicaset controller would send it (the harness has no kubeconfig for it).
    const patched = await cp.request(CONTROLLER, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/settings`, { data: { mode: 'controller' } });
    assert.equal(patched.status, 200, patched.text);
    await cp.kubectl('alice', ['-n', ns, 'patch', 'configmap/settings', '--type=merge', '-p', '{"data":{"mode":"alice"}}']);
    const items = await waitFor(async () => {
      const found = await history(ns, 'ConfigMap', 'settings');
      return found.length >= 2 ? found : undefined;
    }, { message: 'the history of settings' });
    assert.deepEqual(items.map((event) => [event.operation, event.user.username]), [['CREATE', 'alice'], ['UPDATE', 'alice']]);
    assert.deepEqual(items[1]!.patch, [{ op: 'replace', path: '/data/mode', value: 'alice' }]);
  });

  it('records kubectl exec with its user, container and command', async () => {
    const ns = await cp.createNamespace('exec');
    await cp.grant('alice', 'edit', ns);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: ns }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } };
    await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify(pod) });
    // Fails after admission: there is no node to run it on.
    await cp.kubectl('alice', ['-n', ns, 'exec', 'web', '-c', 'app', '--', 'sh', '-c', 'id'], { allowFailure: true });
    const items = await waitFor(async () => {
      const found = await history(ns, 'Pod', 'web');
      return found.some((event) => event.operation === 'CONNECT') ? found : undefined;
    }, { message: 'the exec in the history of web' });
    const exec = items.find((event) => event.operation === 'CONNECT')!;
    assert.equal(exec.user.username, 'alice');
    assert.equal(exec.subresource, 'exec');
    assert.equal(exec.object['container'], 'app');
    assert.deepEqual(exec.object['command'], ['sh', '-c', 'id']);
    // And `kubectl blame pod/web` (the plugin, through the aggregated API) shows who ran what.
    const shown = await cp.kubectl('admin', ['blame', 'pod/web', '-n', ns], { env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, COLUMNS: '200' } });
    assert.match(shown.stdout, /alice.*exec \["sh","-c","id"\] in app/, shown.stdout);
  });
});
