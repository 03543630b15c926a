// The Helm chart against a real control plane. No kubelet runs here, so the workloads are checked by server-side
// dry-run (the API server's own validation and Pod Security admission), while the server's ServiceAccount and
// RBAC from the chart are applied for real and a real `logistis serve` runs with a token for that
// ServiceAccount: capture and `kubectl blame` must work with exactly those permissions, and the ServiceAccount
// may do nothing more. The capture listener's Service port, webhook and NetworkPolicy (fed the control plane's own
// addresses from the `kubernetes` EndpointSlice, as NOTES.txt says) pass the API server, and `helm install
// --dry-run=server` warns while /capture is open. Last, `make deploy` and `make undeploy` run against the same cluster.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startControlPlane, unregisterWebhook, type ControlPlane, type KubectlResult } from '../../harness/control-plane.ts';
import { startLogistis, LOGISTIS_NAMESPACE, type Logistis } from '../../harness/logistis.ts';
import { CHART_DIR, ROOT, helmBinary, helmEnv, parseObjects, renderChart, type K8sObject } from '../../scripts/chart.ts';

const BIN = fileURLToPath(new URL('../../bin', import.meta.url));
const SERVER_ACCOUNT = `system:serviceaccount:${LOGISTIS_NAMESPACE}:logistis`;
const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
// Kinds of operators this control plane does not have (their CRDs are not installed): rendered, not applied.
const OPERATOR_GROUPS = ['cert-manager.io/', 'monitoring.coreos.com/'];

// Loose view of the objects the API server returns, for reading nested fields in assertions.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const asList = (items: K8sObject[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

describe('the Helm chart on a real control plane', { timeout: 600_000 }, () => {
  let cp: ControlPlane;
  let logistis: Logistis | undefined;
  let serverRbac: K8sObject[];

  const kubectl = (user: string, args: string[], opts: { input?: string; allowFailure?: boolean } = {}): Promise<KubectlResult> =>
    cp.kubectl(user, args, { ...opts, env: { PATH: `${BIN}:${process.env['PATH'] ?? ''}`, COLUMNS: '200' } });

  before(async () => {
    cp = await startControlPlane();
    // The namespace `make deploy` creates, with the same Pod Security level: dry-runs get its warnings.
    await cp.kubectl('admin', ['create', 'namespace', LOGISTIS_NAMESPACE]);
    await cp.kubectl('admin', ['label', 'namespace', LOGISTIS_NAMESPACE,
      'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
    serverRbac = parseObjects(renderChart()).filter((o) => RBAC_KINDS.has(o.kind));
  });

  after(async () => {
    await logistis?.stop();
    await cp?.stop();
  });

  const dryRun = (objects: K8sObject[]) =>
    cp.kubectl('admin', ['apply', '--dry-run=server', '-f', '-'], { input: asList(objects), allowFailure: true });

  for (const [name, options] of [
    ['default values', {}],
    ['HA values', { valuesFiles: [join(CHART_DIR, 'values-ha.yaml')] }],
    ['HA values with a claim per commit log', { valuesFiles: [join(CHART_DIR, 'values-ha.yaml')], set: ['log.persistence.enabled=true'] }],
    ['cert-manager, NetworkPolicy, client auth, rules', {
      set: ['certManager.enabled=true', 'networkPolicy.enabled=true', 'serviceMonitor.enabled=true', 'capture.rules=ignore: []',
        `webhook.clientAuth.caBundle=${cpPlaceholderCa()}`],
    }],
  ] as const) {
    test(`${name}: every object passes server-side dry-run with no Pod Security warning`, async () => {
      const objects = parseObjects(renderChart(options));
      const applicable = objects.filter((o) => !OPERATOR_GROUPS.some((group) => o.apiVersion.startsWith(group)));
      const result = await dryRun(applicable);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /Warning/, result.stderr);
      for (const object of applicable) {
        assert.ok(result.stdout.includes(`/${object.metadata.name} created (server dry run)`), `${object.kind} ${object.metadata.name} missing from:\n${result.stdout}`);
      }
      assert.ok(applicable.some((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment'));
    });
  }

  /**
   * The API server's addresses as NOTES.txt tells operators to find them (the `kubernetes` EndpointSlice). This
   * harness runs kube-apiserver with --endpoint-reconciler-type=none, so there the slice is empty and the address
   * comes from the API server's URL: the same --advertise-address.
   */
  const controlPlaneAddresses = async () => {
    const fromSlice = (await cp.kubectl('admin', ['get', 'endpointslices', '-n', 'default', '-l', 'kubernetes.io/service-name=kubernetes',
      '-o', 'jsonpath={.items[*].endpoints[*].addresses[*]}'])).stdout.trim().split(/\s+/).filter(Boolean);
    if (fromSlice.length > 0) return fromSlice;
    return [new URL(cp.server).hostname.replace(/^\[|\]$/g, '')];
  };

  test("capture listener: the API server accepts its Service port, the webhook on it and a NetworkPolicy from the control plane's addresses", async () => {
    const addresses = await controlPlaneAddresses();
    assert.ok(addresses.length > 0, 'the kubernetes EndpointSlice lists the API server');
    const objects = parseObjects(renderChart({ set: [`capture.networkPolicy.controlPlaneCIDRs={${addresses.join(',')}}`] }));
    const result = await cp.kubectl('admin', ['apply', '--dry-run=server', '-o', 'json', '-f', '-'], { input: asList(objects), allowFailure: true });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /Warning/, result.stderr);
    // What the API server made of them (defaulted and validated), not what we sent.
    const accepted = (JSON.parse(result.stdout) as { items: Json[] }).items;
    const one = (kind: string) => {
      const found = accepted.filter((o) => o['kind'] === kind);
      assert.equal(found.length, 1, `${kind}: ${found.length}`);
      return found[0]!;
    };
    assert.deepEqual(one('Service')['spec']['ports'].map((p: Json) => [p['name'], p['port'], p['targetPort']]), [['https', 443, 'https'], ['capture', 8444, 'capture']]);
    assert.equal(one('ValidatingWebhookConfiguration')['webhooks'][0]['clientConfig']['service']['port'], 8444);
    const container = one('StatefulSet')['spec']['template']['spec']['containers'][0];
    assert.deepEqual(container['ports'].map((p: Json) => [p['name'], p['containerPort']]), [['https', 8443], ['capture', 8444]]);
    assert.equal(container['readinessProbe']['httpGet']['port'], 'capture');
    const ingress = one('NetworkPolicy')['spec']['ingress'] as Json[];
    const captureRule = ingress.find((r) => r['ports'][0]['port'] === 'capture')!;
    assert.deepEqual(captureRule['from'], addresses.map((address) => ({ ipBlock: { cidr: `${address}/${address.includes(':') ? 128 : 32}` } })));
    assert.equal(ingress.find((r) => r['ports'][0]['port'] === 'https')!['from'], undefined, 'the read API port stays reachable');
    // The same policy with a malformed address is refused by the API server, so the check above is a real one.
    const policy = structuredClone(objects.find((o) => o.kind === 'NetworkPolicy')!) as K8sObject & { spec: { ingress: { from?: { ipBlock: { cidr: string } }[] }[] } };
    policy.spec.ingress[1]!.from![0]!.ipBlock.cidr = '10.0.0.300/32';
    const refused = await dryRun([policy]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cidr/i);
  });

  test('helm install --dry-run=server: NOTES.txt warns while /capture accepts anyone, and not once the capture port is fenced', async () => {
    const install = async (set: string[]) => {
      const args = ['install', 'logistis', CHART_DIR, '--dry-run=server', '--namespace', LOGISTIS_NAMESPACE, ...set.flatMap((value) => ['--set', value])];
      const { stdout } = await promisify(execFile)(helmBinary(), args, { env: helmEnv({ KUBECONFIG: cp.kubeconfigPath }), maxBuffer: 64 * 1024 * 1024 });
      const notes = stdout.indexOf('\nNOTES:\n');
      assert.ok(notes >= 0, stdout);
      return { manifest: stdout.slice(0, notes), notes: stdout.slice(notes) };
    };
    const open = await install([]);
    assert.match(open.notes, /WARNING: \/capture ACCEPTS ANYONE/);
    assert.match(open.notes, /capture\.networkPolicy\.controlPlaneCIDRs is empty/);
    assert.doesNotMatch(open.manifest, /kind: NetworkPolicy/);
    const addresses = await controlPlaneAddresses();
    const fenced = await install([`capture.networkPolicy.controlPlaneCIDRs={${addresses.join(',')}}`]);
    assert.doesNotMatch(fenced.notes, /ACCEPTS ANYONE/);
    assert.match(fenced.notes, new RegExp(`admits only these peers to the capture port[^]*${addresses[0]!.replace(/[.:]/g, '\\$&')}/`));
    assert.match(fenced.manifest, /kind: NetworkPolicy/);
  });

  test('the dry-run does judge: a webhook timeout over 30s is refused, a pod that may escalate privileges is warned about', async () => {
    const objects = parseObjects(renderChart());
    const webhook = structuredClone(objects.find((o) => o.kind === 'ValidatingWebhookConfiguration')!) as K8sObject & { webhooks: { timeoutSeconds: number }[] };
    webhook.webhooks[0]!.timeoutSeconds = 31;
    const refused = await dryRun([webhook]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /timeoutSeconds/);
    const workload = structuredClone(objects.find((o) => o.kind === 'StatefulSet')!) as K8sObject & { spec: { template: { spec: { containers: { securityContext: object }[] } } } };
    workload.spec.template.spec.containers[0]!.securityContext = { allowPrivilegeEscalation: true };
    const warned = await dryRun([workload]);
    assert.match(warned.stderr, /would violate PodSecurity "restricted/);
  });

  test("capture and kubectl blame work with the chart's ServiceAccount and RBAC", async () => {
    logistis = await startLogistis(cp, { serverRbac: asList(serverRbac) });
    const ns = await cp.createNamespace('chart');
    await cp.grant('alice', 'edit', ns);
    await cp.grant('bob', 'edit', ns);
    // logistis-viewer is the chart's ClusterRole (applied above with the server's RBAC).
    await cp.grant('alice', 'logistis-viewer', ns);
    await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'settings', '--from-literal=mode=blue']);
    await cp.kubectl('bob', ['-n', ns, 'patch', 'configmap', 'settings', '-p', '{"data":{"mode":"green"}}']);

    const blamed = await kubectl('alice', ['blame', 'configmap/settings', '-n', ns, '-o', 'json']);
    const items = (JSON.parse(blamed.stdout) as { items: { user: { username: string }; operation: string }[] }).items;
    assert.deepEqual(items.map((c) => [c.user.username, c.operation]).reverse(), [['alice', 'CREATE'], ['bob', 'UPDATE']]);
    const table = await kubectl('alice', ['blame', 'configmap/settings', '-n', ns]);
    assert.match(table.stdout, /bob/);
    // bob may edit but has no viewer binding: the read side (SubjectAccessReview as logistis) refuses him.
    const refused = await kubectl('bob', ['blame', 'configmap/settings', '-n', ns], { allowFailure: true });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /forbidden|Forbidden/);
    assert.doesNotMatch(logistis.output(), /cannot read kube-system\/extension-apiserver-authentication/);
  });

  test('the ServiceAccount may do exactly TokenReview, SubjectAccessReview and read the front-proxy ConfigMap', async () => {
    // What any authenticated identity may do (discovery, self reviews) is the baseline; compare an empty ServiceAccount.
    await cp.kubectl('admin', ['create', 'serviceaccount', 'baseline', '-n', LOGISTIS_NAMESPACE]);
    const rules = async (account: string, namespace: string) => new Set((await cp.kubectl('admin',
      ['auth', 'can-i', '--list', '--as', account, '-n', namespace, '--no-headers'])).stdout
      .split('\n').map((line) => line.trim().replace(/\s+/g, ' ')).filter(Boolean));
    const extra = async (namespace: string) => {
      const baseline = await rules(`system:serviceaccount:${LOGISTIS_NAMESPACE}:baseline`, namespace);
      return [...await rules(SERVER_ACCOUNT, namespace)].filter((rule) => !baseline.has(rule)).sort();
    };
    assert.deepEqual(await extra('default'), [
      'subjectaccessreviews.authorization.k8s.io [] [] [create]',
      'tokenreviews.authentication.k8s.io [] [] [create]',
    ]);
    assert.deepEqual(await extra('kube-system'), [
      'configmaps [] [extension-apiserver-authentication] [get list watch]',
      'subjectaccessreviews.authorization.k8s.io [] [] [create]',
      'tokenreviews.authentication.k8s.io [] [] [create]',
    ]);
  });

  test('make deploy installs through the chart into the current context; make undeploy removes all of it', async () => {
    // The harness's own registrations and the RBAC applied above would clash with the release's objects.
    await logistis?.stop();
    logistis = undefined;
    await unregisterWebhook(cp);
    await cp.kubectl('admin', ['delete', 'apiservice', 'v1alpha1.audit.logistis.io', '--ignore-not-found']);
    await cp.kubectl('admin', ['delete', '-f', '-', '--ignore-not-found'], { input: asList(serverRbac) });

    const namespace = 'logistis-deployed';
    const make = (target: string) => promisify(execFile)('make', ['--no-print-directory', target], {
      cwd: ROOT, timeout: 180_000,
      env: helmEnv({
        KUBECONFIG: cp.kubeconfigPath, KUBECTL: join(cp.binDir, 'kubectl'), DEPLOY_NAMESPACE: namespace,
        DEPLOY_WAIT: 'hookOnly', IMAGE_REPO: 'registry.example.test/logistis', IMAGE_TAG: 'e2e',
      }),
    });
    await make('deploy');
    const helm = (args: string[]) => promisify(execFile)(helmBinary(), args, { env: helmEnv({ KUBECONFIG: cp.kubeconfigPath }) });
    const releases = JSON.parse((await helm(['list', '-n', namespace, '-o', 'json'])).stdout) as { name: string; status: string }[];
    assert.deepEqual(releases.map((r) => [r.name, r.status]), [['logistis', 'deployed']]);
    const statefulSet = JSON.parse((await cp.kubectl('admin', ['get', 'statefulset', 'logistis', '-n', namespace, '-o', 'json'])).stdout) as
      { spec: { template: { spec: { containers: { image: string }[] } } } };
    assert.equal(statefulSet.spec.template.spec.containers[0]!.image, 'registry.example.test/logistis:e2e');
    const labels = JSON.parse((await cp.kubectl('admin', ['get', 'namespace', namespace, '-o', 'jsonpath={.metadata.labels}'])).stdout) as Record<string, string>;
    assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted');
    // An upgrade with the same values keeps the generated CA (lookup of the existing Secret).
    const caBundle = async () => (await cp.kubectl('admin', ['get', 'validatingwebhookconfiguration', 'logistis', '-o', 'jsonpath={.webhooks[0].clientConfig.caBundle}'])).stdout;
    const firstCa = await caBundle();
    await make('deploy');
    assert.equal(await caBundle(), firstCa);

    await make('undeploy');
    assert.deepEqual(JSON.parse((await helm(['list', '-n', namespace, '-o', 'json'])).stdout), []);
    for (const [kind, name] of [['validatingwebhookconfiguration', 'logistis'], ['apiservice', 'v1alpha1.audit.logistis.io'],
      ['clusterrolebinding', 'logistis:auth-delegator'], ['clusterrole', 'logistis-viewer'],
      ['rolebinding', 'logistis:extension-apiserver-authentication-reader -n kube-system']] as const) {
      const result = await cp.kubectl('admin', ['get', kind, ...name.split(' ')], { allowFailure: true });
      assert.match(result.stderr, /NotFound/, `${kind} ${name} is still there`);
    }
    const left = await cp.kubectl('admin', ['get', 'secrets,persistentvolumeclaims', '-n', namespace, '-l', 'app.kubernetes.io/instance=logistis', '-o', 'name'], { allowFailure: true });
    assert.equal(left.stdout.trim(), '', 'the kept redaction key and the store volume are deleted too');
    // No controller-manager runs here to finish deleting the namespace: it is marked for deletion.
    const deleting = await cp.kubectl('admin', ['get', 'namespace', namespace, '-o', 'jsonpath={.metadata.deletionTimestamp}'], { allowFailure: true });
    assert.ok(deleting.stdout.trim() !== '' || deleting.stderr.includes('NotFound'), `namespace ${namespace} was not deleted`);
  });
});

/** A syntactically valid PEM CA for rendering client auth (the dry-run never checks it cryptographically). */
function cpPlaceholderCa(): string {
  return '-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----';
}
