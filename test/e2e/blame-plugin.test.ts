// `kubectl blame` end to end on a real control plane: the real kubectl finds the plugin on PATH (bin/, which
// runs dist/), the plugin reaches logistis through the aggregation layer with the user's own token, and RBAC
// decides. alice applies Deployment web, bob scales it, alice labels it; every view must tell who did what.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane, type KubectlResult } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';

const BIN = fileURLToPath(new URL('../../bin', import.meta.url));
const BUILT_PLUGIN = fileURLToPath(new URL('../../dist/cli/kubectl-blame.js', import.meta.url));

interface ChangeSummary {
  id: string;
  time: string;
  user: string;
  operation: string;
  subresource: string;
}

describe('kubectl blame on a real control plane', { timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  let ns: string;
  /** Oldest first: alice's create, bob's scale, alice's label. */
  let changes: ChangeSummary[];

  /** `kubectl <args>` as `user`, with bin/ first on PATH so `kubectl blame` and `kubectl logistis` are the plugin. */
  const kubectl = (user: string, args: string[], opts: { input?: string; allowFailure?: boolean } = {}): Promise<KubectlResult> =>
    cp.kubectl(user, args, { ...opts, env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, COLUMNS: '200' } });
  const blame = (user: string, args: string[], opts: { allowFailure?: boolean } = {}) => kubectl(user, ['blame', ...args], opts);

  before(async () => {
    assert.ok(existsSync(BUILT_PLUGIN), `${BUILT_PLUGIN} is missing: run make build (make test-e2e does)`);
    cp = await startControlPlane({ users: [{ name: 'carol', groups: ['sre'] }] });
    logistis = await startLogistis(cp);
    ns = await cp.createNamespace('demo');
    await cp.grant('alice', 'edit', ns);
    await cp.grant('bob', 'edit', ns);
    // alice may read the history of her namespace; bob may change things but not read the history.
    await cp.grant('alice', 'logistis-viewer', ns);
    // carol, an SRE, may read the history everywhere.
    await cp.grant('carol', 'logistis-viewer');

    await cp.kubectl('alice', ['-n', ns, 'apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          replicas: 2, selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
        },
      }),
    });
    await cp.kubectl('bob', ['-n', ns, 'scale', 'deployment/web', '--replicas=3']);
    await cp.kubectl('alice', ['-n', ns, 'label', 'deployment/web', 'tier=frontend']);

    const list = JSON.parse((await blame('alice', ['deploy/web', '-n', ns, '-o', 'json'])).stdout) as {
      items: { metadata: { name: string }; time: string; user: { username: string }; operation: string; target: { subresource: string } }[];
    };
    changes = list.items.reverse().map((c) => ({
      id: c.metadata.name, time: c.time, user: c.user.username, operation: c.operation, subresource: c.target.subresource,
    }));
  });

  after(async () => {
    await logistis?.stop();
    await cp?.stop();
  });

  test('the history has the three changes, by the right people', () => {
    assert.deepEqual(changes.map((c) => [c.user, c.operation, c.subresource]), [
      ['alice', 'CREATE', ''],
      ['bob', 'UPDATE', 'scale'],
      ['alice', 'UPDATE', ''],
    ]);
  });

  test('kubectl blame deploy/web: KEY OPERATION USER TIME PATCH, newest first, readable patches', async () => {
    const { stdout } = await blame('alice', ['deploy/web', '-n', ns]);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^KEY +OPERATION +USER +TIME +PATCH$/);
    const rows = lines.filter((l) => l.startsWith(`${ns}/`));
    assert.equal(rows.length, 3, stdout);
    assert.match(rows[0]!, new RegExp(`^${ns}/Deployment/web +UPDATE +alice +\\d+s +add /metadata/labels/tier: "frontend"$`));
    assert.match(rows[1]!, new RegExp(`^${ns}/Deployment/web +UPDATE scale +bob +\\d+s +replace /spec/replicas: 2 → 3$`));
    assert.match(rows[2]!, new RegExp(`^${ns}/Deployment/web +CREATE +alice +\\d+s +created \\(metadata, spec\\)$`));
    assert.ok(!stdout.includes('managedFields'), 'no managedFields noise');
    // The same through every TYPE kubectl takes, and under the other name.
    for (const args of [['deployment', 'web'], ['deployments.apps/web'], ['Deployment/web']]) {
      const same = await blame('alice', [...args, '-n', ns]);
      assert.equal(same.stdout.split('\n').filter((l) => l.startsWith(`${ns}/`)).length, 3, args.join(' '));
    }
    const logistisName = await kubectl('alice', ['logistis', 'deploy/web', '-n', ns]);
    assert.match(logistisName.stdout, /UPDATE scale +bob/);
  });

  test('-f diff: each change as a diff of the Deployment, with its ID, user and groups', async () => {
    const { stdout } = await blame('alice', ['deploy/web', '-n', ns, '-f', 'diff', '-U', '1']);
    const blocks = stdout.split(/\n\n(?=\d+[smhd] {2})/);
    assert.equal(blocks.length, 3, stdout);
    const [label, scale, create] = blocks as [string, string, string];
    assert.match(label, new RegExp(`^\\d+s {2}${ns}/Deployment/web {2}UPDATE {2}alice\n {2}groups: dev, system:authenticated\n`));
    assert.match(label, new RegExp(`\n {2}change: ${changes[2]!.id}\n`));
    assert.match(label, /^\+ {5}tier: frontend$/m);
    assert.match(scale, /UPDATE scale {2}bob\n {2}groups: ops, system:authenticated\n/);
    assert.match(scale, /^- {3}replicas: 2\n\+ {3}replicas: 3$/m);
    assert.ok(!scale.includes('kind: Scale'), 'the Deployment, not the Scale payload');
    assert.match(create, /^\+ kind: Deployment$/m);
  });

  test('--fields: replicas are bob\'s, the label alice\'s, the rest alice\'s creation', async () => {
    const { stdout } = await blame('alice', ['deploy/web', '-n', ns, '--fields']);
    const owner = (field: RegExp): string => {
      const line = stdout.split('\n').find((l) => field.test(l.split(' │ ')[1] ?? ''));
      assert.ok(line, `no line ${field} in\n${stdout}`);
      return line.split(/ +/)[0]!;
    };
    assert.equal(owner(/^ {2}replicas: 3$/), 'bob');
    assert.equal(owner(/^ {4}tier: frontend$/), 'alice');
    assert.equal(owner(/^ {4}app: web$/), 'alice');
    assert.equal(owner(/^ {2}name: web$/), 'alice');
    assert.equal(owner(/^ {8}image: nginx:1.27$/), 'alice');
  });

  test('--at: the Deployment as it was right after bob\'s scale, before alice\'s label', async () => {
    const { stdout } = await blame('alice', ['deploy/web', '-n', ns, '--at', changes[1]!.time]);
    assert.match(stdout, new RegExp(`^# ${ns}/Deployment/web as it was at `));
    assert.match(stdout, /^# last changed before then by bob \(UPDATE scale, /m);
    assert.match(stdout, /^kind: Deployment$/m);
    assert.match(stdout, /^ {2}replicas: 3$/m);
    assert.ok(!stdout.includes('tier:'), 'alice\'s label came later');
    const json = JSON.parse((await blame('alice', ['deploy/web', '-n', ns, '--at', changes[0]!.time, '-o', 'json'])).stdout) as { spec: { replicas: number } };
    assert.equal(json.spec.replicas, 2);
  });

  test('--revert of a creation: refuses, and prints the delete command', async () => {
    const result = await blame('alice', ['deploy/web', '-n', ns, '--revert', changes[0]!.id], { allowFailure: true });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`kubectl delete deployments.apps web -n ${ns}\\n$`));
  });

  test('bob without the viewer role: 403, and the RoleBinding to ask for', async () => {
    const result = await blame('bob', ['deploy/web', '-n', ns], { allowFailure: true });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, new RegExp(`^error: user "bob" is not allowed to read the changes logistis recorded in namespace "${ns}"`));
    assert.match(result.stderr, new RegExp(`kubectl create rolebinding blame-viewer --clusterrole=logistis-viewer --user=bob -n ${ns}\\n`));
    // alice may read her namespace, not everywhere.
    const everywhere = await blame('alice', ['-A'], { allowFailure: true });
    assert.equal(everywhere.code, 1);
    assert.match(everywhere.stderr, /not allowed to read the changes logistis recorded cluster-wide/);
    assert.match(everywhere.stderr, /kubectl create clusterrolebinding blame-viewer-alice --clusterrole=logistis-viewer --user=alice/);
  });

  test('the overview and -A, for someone with the viewer role cluster-wide', async () => {
    const overview = await blame('carol', []);
    const row = overview.stdout.split('\n').find((l) => l.startsWith(`${ns} `));
    assert.ok(row, overview.stdout);
    // The grants (RoleBindings by admin) count too: only alice's and bob's changes are fixed.
    assert.match(row, /^\S+ +\d+ +\d+s +alice +Deployment\/web UPDATE +.*\balice \(2\), bob \(1\)/);
    const everywhere = await blame('carol', ['-A', '--user', 'bob']);
    assert.match(everywhere.stdout, new RegExp(`^${ns}/Deployment/web +UPDATE scale +bob `, 'm'));
    assert.ok(!everywhere.stdout.includes(' alice '));
  });

  test('admin (system:masters) needs no binding, as with every Kubernetes API', async () => {
    // logistis must read every X-Remote-Group header the front proxy sends (Node joins repeated headers).
    const overview = await blame('admin', [], { allowFailure: true });
    assert.equal(overview.code, 0, overview.stderr);
    assert.ok(overview.stdout.split('\n').some((l) => l.startsWith(`${ns} `)), overview.stdout);
  });

  test('kubectl get changes and kubectl api-resources go through the aggregation layer', async () => {
    const got = await cp.kubectl('alice', ['get', 'changes', '-n', ns]);
    assert.match(got.stdout, /^NAME +AGE +OPERATION +USER +OBJECT/);
    for (const c of changes) assert.match(got.stdout, new RegExp(`^${c.id} +\\S+ +${c.operation} +${c.user} +Deployment/web`, 'm'));
    const resources = await cp.kubectl('alice', ['api-resources', '--api-group=audit.logistis.io']);
    assert.match(resources.stdout, /^changes +chg +audit.logistis.io\/v1alpha1 +true +Change$/m);
  });

  // Last: it changes the Deployment.
  test('--revert bob\'s scale, applied with kubectl, brings back 2 replicas', async () => {
    const scale = changes[1]!;
    const manifest = await blame('alice', ['deploy/web', '-n', ns, '--revert', scale.id]);
    assert.match(manifest.stdout, /^kind: Deployment$/m);
    assert.match(manifest.stdout, /^ {2}replicas: 2$/m);
    for (const noise of ['uid:', 'resourceVersion:', 'creationTimestamp: 2', 'managedFields:', 'status:']) {
      assert.ok(!manifest.stdout.includes(noise), `${noise} in the manifest:\n${manifest.stdout}`);
    }
    assert.match(manifest.stderr, /this manifest also undoes 1 later change:\n {2}alice \(UPDATE,/);
    await cp.kubectl('alice', ['-n', ns, 'apply', '-f', '-'], { input: manifest.stdout });
    const replicas = await cp.kubectl('alice', ['-n', ns, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']);
    assert.equal(replicas.stdout, '2');
    // The revert is itself a recorded change, by alice.
    const after = await blame('alice', ['deploy/web', '-n', ns, '--max-history', '1']);
    assert.match(after.stdout, /UPDATE +alice +\d+s +replace \/spec\/replicas: 3 → 2/);
  });

  // Last of all: they take logistis away.
  test('logistis stopped: registered but unreachable, and how to check', async () => {
    await logistis.stop();
    const result = await blame('alice', ['-n', ns], { allowFailure: true });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: logistis is registered but the API server cannot reach it \(503/);
    assert.match(result.stderr, /Check with: kubectl get apiservice v1alpha1.audit.logistis.io {2}\(AVAILABLE should be True/);
  });

  test('APIService gone: not installed, and how to check', async () => {
    await cp.kubectl('admin', ['delete', 'apiservice', 'v1alpha1.audit.logistis.io']);
    const result = await blame('alice', ['deploy/web', '-n', ns], { allowFailure: true });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: logistis is not installed in this cluster: the API server has no audit.logistis.io\/v1alpha1 \(404/);
    assert.match(result.stderr, /\nCheck with: kubectl get apiservice v1alpha1.audit.logistis.io\n$/);
  });
});
