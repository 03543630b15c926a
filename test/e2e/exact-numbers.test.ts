// Exact numbers end to end on a real control plane: a custom resource whose int64 field holds 9007199254740993
// (beyond a double's 2^53) is recorded, served and shown by `kubectl blame` with exactly the digits the API
// server keeps, through the first value, the change to 9007199254740995, the patch, the diff and the fields view;
// and the provenance watch, which reads the same objects as doubles, still confirms both changes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { decompressBody } from '../../src/store/body-dictionary.ts';
import { startControlPlane, waitFor, type ControlPlane, type KubectlResult } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';

const BIN = fileURLToPath(new URL('../../bin', import.meta.url));
const BUILT_PLUGIN = fileURLToPath(new URL('../../dist/cli/kubectl-blame.js', import.meta.url));
const FIRST = '9007199254740993';
const SECOND = '9007199254740995';
/** A schemaless field: the API server keeps int64 there too (a 30-digit integer or 1e400 it turns into a float64 or refuses). */
const FREE = '{"max":9223372036854775807,"min":-9007199254740993}';

/** Every stored event body as JSON text, from whichever store the server runs on. */
async function storedBodies(logistis: Logistis): Promise<string[]> {
  await logistis.storeCaughtUp();
  let rows: { body: Uint8Array; body_dictionary: number }[];
  if (logistis.store.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: logistis.store });
    await client.connect();
    try {
      rows = (await client.query<{ body: Buffer; body_dictionary: number }>('SELECT body, body_dictionary FROM events')).rows;
    } finally {
      await client.end();
    }
  } else {
    const db = new DatabaseSync(logistis.dbPath, { readOnly: true });
    try {
      rows = db.prepare('SELECT body, body_dictionary FROM events').all() as { body: Uint8Array; body_dictionary: number }[];
    } finally {
      db.close();
    }
  }
  return rows.map((row) => decompressBody(row.body, row.body_dictionary));
}

describe('exact numbers through the real API server and kubectl blame', { timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  let ns: string;

  const kubectl = (user: string, args: string[], opts: { input?: string; allowFailure?: boolean } = {}): Promise<KubectlResult> =>
    cp.kubectl(user, args, { ...opts, env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, COLUMNS: '200' } });
  const gauge = (count: string) =>
    `{"apiVersion":"e2e.example.com/v1","kind":"Gauge","metadata":{"name":"g","namespace":"${ns}"},"spec":{"count":${count},"free":${FREE}}}`;

  before(async () => {
    assert.ok(existsSync(BUILT_PLUGIN), `${BUILT_PLUGIN} is missing: run make build (make test-e2e does)`);
    cp = await startControlPlane();
    ns = await cp.createNamespace('exact');
    await cp.grant('alice', 'edit', ns);
    await cp.grant('bob', 'edit', ns);
    await cp.grant('alice', 'logistis-viewer', ns);
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gauges.e2e.example.com' },
      spec: {
        group: 'e2e.example.com', scope: 'Namespaced', names: { plural: 'gauges', singular: 'gauge', kind: 'Gauge' },
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { count: { type: 'integer', format: 'int64' }, free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } } },
        }],
      },
    };
    await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify(crd) });
    await cp.kubectl('admin', ['wait', '--for=condition=Established', '--timeout=60s', 'crd/gauges.e2e.example.com']);
    // Established is not yet served: until the CRD's storage is initialised a list answers 429, and a create may pass
    // admission (recorded, pending) and then fail. Wait for a list to succeed, then start logistis, so that the
    // provenance watch follows Gauges from the start and every recorded create happened.
    await waitFor(async () => (await cp.request('admin', 'GET', '/apis/e2e.example.com/v1/gauges')).status === 200,
      { timeoutMs: 60_000, intervalMs: 200, message: 'the Gauge CRD was never served' });
    logistis = await startLogistis(cp, { provenance: true });
    await cp.kubectl('admin', ['-n', ns, 'create', 'role', 'gauges', '--verb=*', '--resource=gauges.e2e.example.com']);
    await cp.kubectl('admin', ['-n', ns, 'create', 'rolebinding', 'gauges', '--role=gauges', '--user=alice', '--user=bob']);
    for (let attempt = 0; ; attempt++) {
      const result = await cp.kubectl('alice', ['create', '-f', '-'], { input: gauge(FIRST), allowFailure: true });
      if (result.code === 0) break;
      assert.ok(attempt < 100, `the CRD was never served: ${result.stderr}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
    await cp.kubectl('bob', ['-n', ns, 'patch', 'gauge/g', '--type=merge', '-p', `{"spec":{"count":${SECOND}}}`]);
  });
  after(async () => {
    await logistis?.stop();
    await cp?.stop();
  });

  test('the API server itself keeps the int64 exactly', async () => {
    const response = await cp.request('admin', 'GET', `/apis/e2e.example.com/v1/namespaces/${ns}/gauges/g`);
    assert.equal(response.status, 200, response.text);
    assert.ok(response.text.includes(`"count":${SECOND},"free":${FREE}`), response.text);
  });

  test('the stored events hold the exact digits: the created object, and the patch and object of the change', async () => {
    const bodies = (await storedBodies(logistis)).filter((body) => body.includes('"apiVersion":"e2e.example.com/v1"'));
    assert.equal(bodies.length, 2, bodies.join('\n'));
    assert.ok(bodies.some((body) => body.includes(`"spec":{"count":${FIRST},"free":${FREE}}`)), bodies.join('\n'));
    assert.ok(bodies.some((body) => body.includes(`{"op":"replace","path":"/spec/count","value":${SECOND}}`)), bodies.join('\n'));
    assert.ok(bodies.some((body) => body.includes(`"spec":{"count":${SECOND},"free":${FREE}}`)), bodies.join('\n'));
  });

  test('provenance confirms both changes: the recorded exact numbers hash as the watch reads them', async () => {
    const states = async () => {
      const response = await logistis.api('admin', `/api/v1/history?namespace=${ns}&group=e2e.example.com&kind=Gauge&name=g`);
      return (response.json() as { items: { state?: string }[] }).items.map((item) => item.state);
    };
    await waitFor(async () => ((await states()).join() === 'confirmed,confirmed' ? true : undefined),
      { timeoutMs: 90_000, intervalMs: 500, message: `the watch never confirmed both changes:\n${logistis.output()}` });
  });

  test('the read API answers with the exact digits', async () => {
    const response = await logistis.api('admin', `/api/v1/history?namespace=${ns}&group=e2e.example.com&kind=Gauge&name=g`);
    assert.equal(response.status, 200, response.body);
    assert.ok(response.body.includes(`"count":${FIRST}`), response.body);
    assert.ok(response.body.includes(`"value":${SECOND}`), response.body);
    assert.ok(response.body.includes(`"free":${FREE}`), response.body);
  });

  test('kubectl blame shows the exact digits in the change list, the diff, the fields view and -o json', async () => {
    const list = await kubectl('alice', ['blame', 'gauge/g', '-n', ns]);
    assert.match(list.stdout, new RegExp(`UPDATE +bob +\\d+s +replace /spec/count: ${FIRST} → ${SECOND}$`, 'm'));
    const diff = await kubectl('alice', ['blame', 'gauge/g', '-n', ns, '-f', 'diff', '-U', '0']);
    assert.match(diff.stdout, new RegExp(`^- {3}count: ${FIRST}\\n\\+ {3}count: ${SECOND}$`, 'm'));
    const fields = await kubectl('alice', ['blame', 'gauge/g', '-n', ns, '--fields']);
    const countLine = fields.stdout.split('\n').find((line) => line.includes(`count: ${SECOND}`));
    assert.ok(countLine, fields.stdout);
    assert.equal(countLine.split(/ +/)[0], 'bob');
    assert.match(fields.stdout, /^alice .* {4}max: 9223372036854775807$/m);
    const json = await kubectl('alice', ['blame', 'gauge/g', '-n', ns, '-o', 'json']);
    assert.ok(json.stdout.includes(SECOND) && json.stdout.includes(FIRST), json.stdout);
  });
});
