// End to end through a real kube-apiserver and real kubectl: who changed what is recorded, Secrets stay secret,
// dry runs and forbidden requests leave no trace, custom resources are captured, and a stopped logistis never
// blocks the cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { decompressBody } from '../../src/store/body-dictionary.ts';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';
import { WEBHOOK_CLIENT_NAME } from '../../harness/control-plane.ts';
import { createCa, createClientCert } from '../../harness/certs.ts';
import { request as httpsRequest } from 'node:https';
import { applyPatch } from '../../src/history/patch.ts';
import type { ChangeEvent } from '../../src/event.ts';

const NOISE = /managedFields|resourceVersion|\/generation|^\/status/;

/** Every stored event body as the store holds it (compressed), from whichever store the server runs on. */
async function storedBodies(logistis: Logistis): Promise<{ body: Uint8Array; body_dictionary: number }[]> {
  await logistis.storeCaughtUp();
  if (logistis.store.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: logistis.store });
    await client.connect();
    try {
      return (await client.query<{ body: Buffer; body_dictionary: number }>('SELECT body, body_dictionary FROM events')).rows;
    } finally {
      await client.end();
    }
  }
  const db = new DatabaseSync(logistis.dbPath, { readOnly: true });
  try {
    return db.prepare('SELECT body, body_dictionary FROM events').all() as { body: Uint8Array; body_dictionary: number }[];
  } finally {
    db.close();
  }
}

describe('capture through the real API server', () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  before(async () => {
    cp = await startControlPlane();
    logistis = await startLogistis(cp);
  });
  after(async () => {
    await logistis?.stop();
    await cp?.stop();
  });

  const history = async (namespace: string, kind: string, name: string, extra = ''): Promise<ChangeEvent[]> => {
    const response = await logistis.api('admin', `/api/v1/history?namespace=${namespace}&kind=${kind}&name=${name}${extra}`);
    assert.equal(response.status, 200, response.body);
    return (response.json() as { items: ChangeEvent[] }).items;
  };
  const events = async (query: string): Promise<ChangeEvent[]> => {
    const response = await logistis.api('admin', `/api/v1/events?limit=1000&${query}`);
    assert.equal(response.status, 200, response.body);
    return (response.json() as { items: ChangeEvent[] }).items;
  };

  it('records apply, scale, patch and delete with the right users, groups and clean patches', async () => {
    const ns = await cp.createNamespace('capture');
    await cp.grant('alice', 'edit', ns);
    await cp.grant('bob', 'edit', ns);
    const deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    };
    await cp.kubectl('alice', ['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    await cp.kubectl('bob', ['-n', ns, 'scale', 'deployment/web', '--replicas=3']);
    await cp.kubectl('alice', ['-n', ns, 'patch', 'deployment/web', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"frontend"}}}']);
    await cp.kubectl('admin', ['-n', ns, 'delete', 'deployment/web']);

    const items = await history(ns, 'Deployment', 'web');
    assert.deepEqual(items.map((event) => [event.operation, event.user.username]), [['CREATE', 'alice'], ['UPDATE', 'bob'], ['UPDATE', 'alice'], ['DELETE', 'admin']]);
    assert.ok(items[0]!.user.groups.includes('dev'));
    assert.ok(items[1]!.user.groups.includes('ops'));
    assert.ok(items[3]!.user.groups.includes('system:masters'));
    assert.equal(items[0]!.fieldManager, 'kubectl-client-side-apply');
    assert.deepEqual(items[1]!.patch, [{ op: 'replace', path: '/spec/replicas', value: 3 }]);
    assert.deepEqual(items[2]!.patch, [{ op: 'add', path: '/metadata/labels/tier', value: 'frontend' }]);
    let state = {};
    for (const event of items) {
      for (const operation of event.patch) assert.doesNotMatch(operation.path, NOISE);
      state = applyPatch(state, event.patch);
      assert.deepEqual(state, event.operation === 'DELETE' ? {} : event.object, `${event.operation} replays`);
    }
  });

  it('never stores, logs or serves a Secret value; a changed value shows as a changed fingerprint', async () => {
    const ns = await cp.createNamespace('secret');
    await cp.grant('alice', 'edit', ns);
    await cp.grant('bob', 'edit', ns);
    const secret = (password: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, stringData: { password, user: 'e2e-db-user-k4p' } });
    await cp.kubectl('alice', ['apply', '-f', '-'], { input: secret('e2e-first-pass-x81') });
    await cp.kubectl('alice', ['apply', '-f', '-'], { input: secret('e2e-second-pass-y92') });
    await cp.kubectl('bob', ['-n', ns, 'create', 'secret', 'generic', 'api', '--from-literal=token=e2e-token-z03']);
    const values = ['e2e-first-pass-x81', 'e2e-second-pass-y92', 'e2e-db-user-k4p', 'e2e-token-z03'];

    const items = await history(ns, 'Secret', 'db');
    assert.deepEqual(items.map((event) => event.operation), ['CREATE', 'UPDATE']);
    const paths = items[1]!.patch.map((operation) => operation.path);
    assert.ok(paths.includes('/data/password'), 'the changed key is in the patch');
    assert.ok(!paths.includes('/data/user'), 'the unchanged key is not');
    const fingerprints = items.map((event) => (event.object['data'] as Record<string, string>)['password']);
    assert.match(fingerprints[0]!, /^redacted:hmac-sha256:/);
    assert.notEqual(fingerprints[0], fingerprints[1]);

    const answers = [
      (await logistis.api('admin', `/api/v1/events?namespace=${ns}`)).body,
      (await logistis.api('admin', `/api/v1/history?namespace=${ns}&kind=Secret&name=db&format=yaml`)).body,
      (await logistis.api('admin', `/api/v1/history?namespace=${ns}&kind=Secret&name=db&format=diff`)).body,
      (await cp.kubectl('admin', ['get', '--raw', `/apis/audit.logistis.io/v1alpha1/namespaces/${ns}/changes`])).stdout,
    ];
    const bodies = (await storedBodies(logistis)).map((row) => decompressBody(row.body, row.body_dictionary));
    const files = [logistis.dbPath, `${logistis.dbPath}-wal`].filter((file) => existsSync(file)).map((file) => readFileSync(file).toString('latin1'));
    for (const value of values) {
      for (const encoded of [value, Buffer.from(value).toString('base64')]) {
        for (const [where, text] of [['API', answers.join('\n')], ['database', bodies.join('\n')], ['database files', files.join('\n')], ['logs', logistis.output()]] as const) {
          assert.ok(!text.includes(encoded), `${encoded} found in the ${where}`);
        }
      }
    }
  });

  it('records nothing for a server-side dry run', async () => {
    const ns = await cp.createNamespace('dryrun');
    await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'dry', '--from-literal=a=1', '--dry-run=server']);
    await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'real', '--from-literal=a=1']);
    const names = (await events(`namespace=${ns}&kind=ConfigMap`)).map((event) => event.name);
    assert.deepEqual(names, ['real']);
  });

  it('captures a CustomResourceDefinition and its objects like built-ins', async () => {
    const ns = await cp.createNamespace('crd');
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.e2e.example.com' },
      spec: {
        group: 'e2e.example.com', scope: 'Namespaced', names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    };
    await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify(crd) });
    const gadget = (size: number) => JSON.stringify({ apiVersion: 'e2e.example.com/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: ns }, spec: { size } });
    for (let attempt = 0; ; attempt++) {
      const result = await cp.kubectl('admin', ['apply', '-f', '-'], { input: gadget(1), allowFailure: true });
      if (result.code === 0) break;
      assert.ok(attempt < 50, `the CRD was never served: ${result.stderr}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
    await cp.kubectl('admin', ['apply', '-f', '-'], { input: gadget(2) });
    const crdEvents = await events('kind=CustomResourceDefinition&name=gadgets.e2e.example.com');
    assert.equal(crdEvents.length, 1);
    assert.equal(crdEvents[0]!.group, 'apiextensions.k8s.io');
    assert.equal(crdEvents[0]!.namespace, '');
    const items = await history(ns, 'Gadget', 'g1', '&group=e2e.example.com');
    assert.deepEqual(items.map((event) => event.operation), ['CREATE', 'UPDATE']);
    assert.deepEqual(items[1]!.patch.find((operation) => operation.path === '/spec/size'), { op: 'replace', path: '/spec/size', value: 2 });
  });

  it('never blocks the cluster while logistis is down, and records again once it is back', async () => {
    const ns = await cp.createNamespace('down');
    await logistis.stop('SIGKILL');
    try {
      const started = Date.now();
      await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'while-down', '--from-literal=a=1']);
      await cp.kubectl('admin', ['-n', ns, 'patch', 'configmap', 'while-down', '-p', '{"data":{"a":"2"}}']);
      await cp.kubectl('admin', ['-n', ns, 'delete', 'configmap', 'while-down']);
      assert.ok(Date.now() - started < 30_000, 'changes went through without waiting on the webhook timeout each time');
    } finally {
      await logistis.start();
    }
    await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'after-restart', '--from-literal=a=1']);
    assert.deepEqual((await events(`namespace=${ns}&kind=ConfigMap`)).map((event) => event.name), ['after-restart']);
  });

  it('records nothing that RBAC forbids; a request that a later admission step rejects is recorded (known limitation)', async () => {
    const ns = await cp.createNamespace('rbac');
    const forbidden = await cp.kubectl('bob', ['-n', ns, 'create', 'configmap', 'not-allowed', '--from-literal=a=1'], { allowFailure: true });
    assert.notEqual(forbidden.code, 0);
    assert.match(forbidden.stderr, /forbidden/i);

    // ResourceQuota admission runs after validating webhooks. No controller-manager runs here, so the quota's
    // status is written by hand: one ConfigMap allowed, one used.
    await cp.kubectl('admin', ['-n', ns, 'create', 'quota', 'one-configmap', '--hard=configmaps=1']);
    await cp.kubectl('admin', ['-n', ns, 'patch', 'resourcequota', 'one-configmap', '--subresource=status', '--type=merge', '-p', '{"status":{"hard":{"configmaps":"1"},"used":{"configmaps":"1"}}}']);
    const rejected = await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'over-quota', '--from-literal=a=1'], { allowFailure: true });
    assert.notEqual(rejected.code, 0);
    assert.match(rejected.stderr, /exceeded quota/);
    assert.equal((await cp.kubectl('admin', ['-n', ns, 'get', 'configmap', 'over-quota'], { allowFailure: true })).code, 1, 'it does not exist');

    const names = (await events(`namespace=${ns}`)).map((event) => `${event.kind}/${event.name}`);
    assert.ok(!names.includes('ConfigMap/not-allowed'), 'forbidden by RBAC: never reached the webhook');
    assert.ok(names.includes('ConfigMap/over-quota'), 'rejected after the webhook: recorded although it never happened');
  });

  it('refuses forged reviews sent directly (no certificate, or one from another CA) while the API server\'s captures land', async () => {
    const ns = await cp.createNamespace('forged');
    const forged = (name: string) => JSON.stringify({
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: {
        uid: `forged-${name}`, kind: { group: '', version: 'v1', kind: 'ConfigMap' }, resource: { group: '', version: 'v1', resource: 'configmaps' },
        name, namespace: ns, operation: 'CREATE', userInfo: { username: 'alice', groups: ['dev'] },
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { forged: 'yes' } },
      },
    });
    const post = (body: string, client?: { cert: string; key: string }) => new Promise<number>((resolvePost, reject) => {
      const request = httpsRequest({
        host: '127.0.0.1', port: logistis.port, method: 'POST', path: '/capture', ca: logistis.ca.certPem, ...client,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      }, (response) => { response.resume(); response.on('end', () => resolvePost(response.statusCode ?? 0)); });
      request.on('error', reject);
      request.end(body);
    });
    assert.equal(await post(forged('no-certificate')), 401);
    const otherCa = await createCa(logistis.dataDir, { name: 'attacker-ca' });
    const otherClient = await createClientCert(logistis.dataDir, otherCa, { name: 'attacker-client', commonName: WEBHOOK_CLIENT_NAME });
    assert.equal(await post(forged('other-ca'), { cert: otherClient.certPem, key: otherClient.keyPem }), 401);
    const wrongName = await createClientCert(logistis.dataDir, cp.webhookClientCa, { name: 'wrong-name-client', commonName: 'someone-else' });
    assert.equal(await post(forged('wrong-name'), { cert: wrongName.certPem, key: wrongName.keyPem }), 403);

    await cp.kubectl('admin', ['-n', ns, 'create', 'configmap', 'real', '--from-literal=k=v']);
    const names = (await events(`namespace=${ns}&kind=ConfigMap`)).map((event) => `${event.name}:${event.user.username}`);
    assert.deepEqual(names, ['real:admin'], 'only the API server\'s capture is in history');
    const metrics = await logistis.api('admin', '/metrics');
    assert.equal(metrics.status, 200, metrics.body);
    assert.match(metrics.body, /logistis_capture_refused_total\{reason="no-client-certificate"\} 1/);
    assert.match(metrics.body, /logistis_capture_refused_total\{reason="untrusted-certificate"\} 1/);
    assert.match(metrics.body, /logistis_capture_refused_total\{reason="name-not-allowed"\} 1/);
  });

  it('stores keys named __proto__, constructor and prototype exactly, through the real API server', async () => {
    const ns = await cp.createNamespace('proto');
    const manifest = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"keys","namespace":"${ns}",`
      // Label and annotation keys must start with a letter or digit, so `__proto__` is only valid in data.
      + `"labels":{"constructor":"l2","prototype":"l3"},"annotations":{"constructor":"a2","prototype":"a3"}},`
      + '"data":{"__proto__":"p-value","constructor":"c-value","prototype":"q-value"}}';
    await cp.kubectl('admin', ['apply', '-f', '-'], { input: manifest });
    const [event] = await history(ns, 'ConfigMap', 'keys');
    assert.ok(event, 'recorded');
    const object = event.object as { data: Record<string, string>; metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    assert.deepEqual(Object.entries(object.data).sort(), [['__proto__', 'p-value'], ['constructor', 'c-value'], ['prototype', 'q-value']]);
    assert.deepEqual(Object.entries(object.metadata.labels).sort(), [['constructor', 'l2'], ['prototype', 'l3']]);
    assert.ok(Object.entries(object.metadata.annotations).some(([key, value]) => key === 'constructor' && value === 'a2'));
  });

  it('fingerprints the same value differently in two Secrets', async () => {
    const namespaces = [await cp.createNamespace('fp-a'), await cp.createNamespace('fp-b')];
    for (const ns of namespaces) await cp.kubectl('admin', ['-n', ns, 'create', 'secret', 'generic', 'db', '--from-literal=password=e2e-same-value-q7']);
    const prints = await Promise.all(namespaces.map(async (ns) => ((await history(ns, 'Secret', 'db'))[0]!.object['data'] as Record<string, string>)['password']));
    assert.match(prints[0]!, /^redacted:hmac-sha256:/);
    assert.notEqual(prints[0], prints[1]);
  });
});
