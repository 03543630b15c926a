// Security review findings through a real kube-apiserver: Secret values embedded in custom resources (a Crossplane
// Object's manifest, an ExternalSecret's template) appear nowhere in the store, its files, the API answers or the
// logs; a CSR approval and a namespace finalize are recorded (the registration sends those subresources); and a
// service account's change to a pod-security label is recorded while its ordinary label churn is not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { decompressBody } from '../../src/store/body-dictionary.ts';
import { startControlPlane, waitFor, type ControlPlane } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';
import type { ChangeEvent } from '../../src/event.ts';

const OPERATOR = 'system:serviceaccount:tenant-ops:tenant-operator';

/** Every stored event body, decompressed, from whichever store the server runs on. */
async function storedBodies(logistis: Logistis): Promise<string[]> {
  await logistis.storeCaughtUp();
  if (logistis.store.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: logistis.store });
    await client.connect();
    try {
      const rows = (await client.query<{ body: Buffer; body_dictionary: number }>('SELECT body, body_dictionary FROM events')).rows;
      return rows.map((row) => decompressBody(row.body, row.body_dictionary));
    } finally {
      await client.end();
    }
  }
  const db = new DatabaseSync(logistis.dbPath, { readOnly: true });
  try {
    const rows = db.prepare('SELECT body, body_dictionary FROM events').all() as { body: Uint8Array; body_dictionary: number }[];
    return rows.map((row) => decompressBody(row.body, row.body_dictionary));
  } finally {
    db.close();
  }
}

const preserved = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const crds = [
  {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'objects.kubernetes.crossplane.io' },
    spec: {
      group: 'kubernetes.crossplane.io', scope: 'Cluster', names: { plural: 'objects', singular: 'object', kind: 'Object' },
      versions: [{ name: 'v1alpha2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: {
        providerConfigRef: preserved,
        forProvider: { type: 'object', properties: { manifest: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } } },
      } } } } } }],
    },
  },
  {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'externalsecrets.external-secrets.io' },
    spec: {
      group: 'external-secrets.io', scope: 'Namespaced', names: { plural: 'externalsecrets', singular: 'externalsecret', kind: 'ExternalSecret' },
      versions: [{ name: 'v1beta1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: preserved } } } }],
    },
  },
];

describe('security-relevant capture on the real API server', () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  before(async () => {
    cp = await startControlPlane({ users: [{ name: OPERATOR, groups: ['system:serviceaccounts', 'system:serviceaccounts:tenant-ops'] }] });
    logistis = await startLogistis(cp);
  });
  after(async () => {
    await logistis?.stop();
    await cp?.stop();
  });

  const events = async (query: string): Promise<ChangeEvent[]> => {
    const response = await logistis.api('admin', `/api/v1/events?limit=1000&${query}`);
    assert.equal(response.status, 200, response.body);
    return (response.json() as { items: ChangeEvent[] }).items;
  };
  /** Applies as admin, retrying while a just-created CRD is not served yet. */
  const apply = async (object: unknown) => {
    for (let attempt = 0; ; attempt++) {
      const result = await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify(object), allowFailure: true });
      if (result.code === 0) return;
      assert.ok(attempt < 50, `apply failed: ${result.stderr}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
  };

  it('never stores, serves or logs a Secret value embedded in a custom resource', async () => {
    const ns = await cp.createNamespace('embedded');
    for (const crd of crds) await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify(crd) });
    const crossplaneObject = (password: string) => ({
      apiVersion: 'kubernetes.crossplane.io/v1alpha2', kind: 'Object', metadata: { name: `db-credentials-${ns}` },
      spec: { providerConfigRef: { name: 'in-cluster' }, forProvider: { manifest: {
        apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', namespace: ns },
        data: { password: Buffer.from(password).toString('base64') }, stringData: { user: 'e2e-embedded-user-h5w' },
      } } },
    });
    const externalSecret = (literal: string) => ({
      apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', metadata: { name: 'grafana', namespace: ns },
      spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' }, target: { name: 'grafana', template: { data: { 'admin-password': literal, 'admin-user': 'admin' } } } },
    });
    await apply(crossplaneObject('e2e-embedded-first-m3q'));
    await apply(crossplaneObject('e2e-embedded-second-v8t'));
    await apply(externalSecret('e2e-template-literal-c6n'));
    const values = ['e2e-embedded-first-m3q', 'e2e-embedded-second-v8t', 'e2e-embedded-user-h5w', 'e2e-template-literal-c6n'];

    const objects = await waitFor(async () => {
      const found = await events('kind=Object&group=kubernetes.crossplane.io');
      return found.length >= 2 ? found : undefined;
    }, { message: 'the Object events' });
    assert.deepEqual(objects.map((event) => event.operation).sort(), ['CREATE', 'UPDATE']);
    const update = objects.find((event) => event.operation === 'UPDATE')!;
    assert.ok(update.patch.some((operation) => operation.path === '/spec/forProvider/manifest/data/password'), 'the changed value shows in the patch');
    const manifest = (update.object['spec'] as { forProvider: { manifest: { data: Record<string, string> } } }).forProvider.manifest;
    assert.match(manifest.data['password']!, /^redacted:hmac-sha256:/);
    const [secretEvent] = await waitFor(async () => {
      const found = await events(`namespace=${ns}&kind=ExternalSecret`);
      return found.length > 0 ? found : undefined;
    }, { message: 'the ExternalSecret event' });
    const template = (secretEvent!.object['spec'] as { target: { template: { data: Record<string, string> } } }).target.template.data;
    assert.match(template['admin-password']!, /^redacted:hmac-sha256:/);
    assert.match(template['admin-user']!, /^redacted:hmac-sha256:/, 'every template value is a fingerprint');

    const objectName = `db-credentials-${ns}`;
    const answers = [
      (await logistis.api('admin', '/api/v1/events?limit=1000&kind=Object')).body,
      (await logistis.api('admin', `/api/v1/events?limit=1000&namespace=${ns}`)).body,
      (await logistis.api('admin', `/api/v1/history?kind=Object&group=kubernetes.crossplane.io&name=${objectName}&format=yaml`)).body,
      (await logistis.api('admin', `/api/v1/history?kind=Object&group=kubernetes.crossplane.io&name=${objectName}&format=diff`)).body,
      (await logistis.api('admin', `/api/v1/history?namespace=${ns}&kind=ExternalSecret&name=grafana&format=yaml`)).body,
      (await cp.kubectl('admin', ['get', '--raw', `/apis/audit.logistis.io/v1alpha1/namespaces/${ns}/changes`])).stdout,
    ];
    const bodies = await storedBodies(logistis);
    const files = [logistis.dbPath, `${logistis.dbPath}-wal`].filter((file) => existsSync(file)).map((file) => readFileSync(file).toString('latin1'));
    for (const value of values) {
      for (const encoded of [value, Buffer.from(value).toString('base64')]) {
        for (const [where, text] of [['API', answers.join('\n')], ['database', bodies.join('\n')], ['database files', files.join('\n')], ['logs', logistis.output()]] as const) {
          assert.ok(!text.includes(encoded), `${encoded} found in the ${where}`);
        }
      }
    }
  });

  it('records kubectl certificate approve (certificatesigningrequests/approval)', async () => {
    const dir = join(cp.dir, 'csr');
    await promisify(execFile)('mkdir', ['-p', dir]);
    await promisify(execFile)('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=e2e-approved-user',
      '-keyout', join(dir, 'user.key'), '-out', join(dir, 'user.csr')]);
    const name = 'e2e-approved-user';
    await apply({
      apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name },
      spec: { request: readFileSync(join(dir, 'user.csr')).toString('base64'), signerName: 'example.com/e2e', usages: ['client auth'] },
    });
    await cp.kubectl('admin', ['certificate', 'approve', name]);
    const approval = await waitFor(async () => (await events(`kind=CertificateSigningRequest&name=${name}`)).find((event) => event.subresource === 'approval'), { message: 'the approval event' });
    assert.equal(approval.operation, 'UPDATE');
    assert.equal(approval.user.username, 'admin');
    assert.ok(approval.patch.some((operation) => operation.path.startsWith('/status/conditions')), JSON.stringify(approval.patch));
    const conditions = (approval.object['status'] as { conditions: Array<{ type: string; status: string }> }).conditions;
    assert.deepEqual(conditions.map((condition) => [condition.type, condition.status]), [['Approved', 'True']]);
  });

  it('records a forced namespace finalize (namespaces/finalize)', async () => {
    const ns = await cp.createNamespace('stuck');
    // No namespace controller runs here: a deleted namespace stays Terminating with its finalizer until forced.
    await cp.kubectl('admin', ['delete', 'namespace', ns, '--wait=false']);
    const namespace = JSON.parse((await cp.kubectl('admin', ['get', 'namespace', ns, '-o', 'json'])).stdout) as { spec: { finalizers?: string[] } };
    assert.deepEqual(namespace.spec.finalizers, ['kubernetes']);
    namespace.spec.finalizers = [];
    await cp.kubectl('admin', ['replace', '--raw', `/api/v1/namespaces/${ns}/finalize`, '-f', '-'], { input: JSON.stringify(namespace) });
    const finalize = await waitFor(async () => (await events(`kind=Namespace&name=${ns}`)).find((event) => event.subresource === 'finalize'), { message: 'the finalize event' });
    assert.equal(finalize.user.username, 'admin');
    assert.deepEqual(finalize.patch, [{ op: 'remove', path: '/spec/finalizers' }]);
  });

  it("records a service account's pod-security label change, not its ordinary label churn", async () => {
    const ns = await cp.createNamespace('psa');
    await cp.grant(OPERATOR, 'cluster-admin');
    const label = async (labels: Record<string, string>) => {
      const patched = await cp.request(OPERATOR, 'PATCH', `/api/v1/namespaces/${ns}`, { metadata: { labels } });
      assert.equal(patched.status, 200, patched.text);
    };
    await label({ 'team.example.com/reconciled': '1' });
    await label({ 'pod-security.kubernetes.io/enforce': 'privileged' });
    await label({ 'team.example.com/reconciled': '2' });
    // A person's change after them, so the wait below knows the earlier ones were decided.
    await cp.kubectl('admin', ['label', 'namespace', ns, 'e2e.example.com/done=yes']);
    const recorded = await waitFor(async () => {
      const found = (await events(`kind=Namespace&name=${ns}`)).filter((event) => event.operation === 'UPDATE');
      return found.some((event) => event.user.username === 'admin') ? found : undefined;
    }, { message: 'the namespace updates' });
    const byOperator = recorded.filter((event) => event.user.username === OPERATOR);
    assert.equal(byOperator.length, 1, JSON.stringify(byOperator.map((event) => event.patch)));
    assert.deepEqual(byOperator[0]!.patch, [{ op: 'add', path: '/metadata/labels/pod-security.kubernetes.io~1enforce', value: 'privileged' }]);
  });
});
