// Every view end to end against a cluster whose logistis is real (the app and its read handlers over a SQLite
// store holding the format fixtures' events; discovery and live objects recorded), from the command line to the
// lines printed: golden files with colour off, and the requests sent. The store numbers the fixtures' events as
// it records them, oldest first; id() says which number a fixture event got.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BlameError } from '../../../src/cli/blame/errors.ts';
import { parseArguments } from '../../../src/cli/blame/options.ts';
import { runBlame } from '../../../src/cli/blame/run.ts';
import { withoutLastRow } from '../../../src/cli/blame/views/changes.ts';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import { displayWidth } from '../../../src/format/text.ts';
import { deploymentHistory, deploymentLive, miscHistory, NOW, secretHistory, stripAnsi } from '../format/golden.ts';
import { CHANGES, startLogistis, status, TestCluster, type ClusterOptions, type Logistis, type Request } from './cluster.ts';
import { assertGolden, CLI_GOLDEN } from '../../support/golden.ts';

const LIVE_WEB = '/apis/apps/v1/namespaces/shop/deployments/web';
const RECORDED = [...deploymentHistory(), ...secretHistory(), ...miscHistory()];
const NOTHING: ChangeEvent[] = [];

interface Setup extends ClusterOptions {
  events?: readonly ChangeEvent[];
}

function everything(extra: Setup = {}): Setup {
  return { events: RECORDED, objects: { [LIVE_WEB]: deploymentLive() }, ...extra };
}

/** One logistis (app and store) per set of events, shared by the tests that read it. */
const stores = new Map<readonly ChangeEvent[], Promise<Logistis>>();
function logistisWith(events: readonly ChangeEvent[]): Promise<Logistis> {
  if (!stores.has(events)) stores.set(events, startLogistis(events));
  return stores.get(events)!;
}
after(async () => {
  for (const logistis of stores.values()) await (await logistis).app.close();
});
/** The ID the store gave a fixture event (the fixtures number theirs 1001 to 1009). */
const recordedIds = (await logistisWith(RECORDED)).ids;
function id(fixtureId: string): string {
  return recordedIds.get(fixtureId)!;
}

interface Result {
  stdout: string;
  stderr: string;
  error?: BlameError;
  requests: Request[];
}

async function blame(argv: string[], setup: Setup = everything(), terminal: { width?: number; colour?: boolean } = {}): Promise<Result> {
  const { events = NOTHING, ...options } = setup;
  const cluster = new TestCluster(options, (await logistisWith(events)).app);
  const out: string[] = [];
  const err: string[] = [];
  const now = Date.parse(NOW);
  try {
    const request = parseArguments(argv, { env: {}, now, writeOut: (t) => out.push(t) });
    assert.ok(request);
    await runBlame(request, {
      session: cluster.session('shop'),
      now,
      colour: terminal.colour ?? false,
      width: terminal.width ?? 120,
      output: { out: (l) => out.push(l), note: (l) => err.push(l) },
    });
  } catch (error) {
    if (!(error instanceof BlameError)) throw error;
    return { stdout: out.join('\n'), stderr: err.join('\n'), error, requests: cluster.requests };
  }
  return { stdout: out.length ? `${out.join('\n')}\n` : '', stderr: err.join('\n'), requests: cluster.requests };
}

/** The list requests sent to the changes API. */
function listQueries(requests: Request[]): { path: string; query: Record<string, string> }[] {
  return requests.filter((r) => r.path.endsWith('/changes')).map(({ path, query }) => ({ path, query }));
}

describe('kubectl blame (the overview)', () => {
  it('golden, and asks for the last 24 hours', async () => {
    const r = await blame([]);
    assertGolden(CLI_GOLDEN, 'overview.txt', r.stdout);
    assert.deepEqual(r.requests.map((q) => [q.path, q.query]), [[`${CHANGES}/overview`, { since: '2025-06-11T12:00:00.000Z' }]]);
  });
  it('-o wide asks for every top user', async () => {
    const r = await blame(['-o', 'wide', '--since', '2h']);
    assert.deepEqual(r.requests[0]!.query, { since: '2025-06-12T10:00:00.000Z', topUsers: '20' });
    assert.match(r.stdout.split('\n')[0]!, /^NAMESPACE +CHANGES +LAST CHANGE +TIME +BY/);
  });
  it('-o yaml prints the Overview', async () => {
    const r = await blame(['-o', 'yaml']);
    assert.match(r.stdout, /^apiVersion: audit.logistis.io\/v1alpha1\nkind: Overview\nsince: /);
  });
  it('nothing recorded: says so on stderr', async () => {
    const r = await blame([], { events: NOTHING });
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'No changes recorded since 2025-06-11T12:00:00Z (1d ago).');
  });
});

describe('kubectl blame -n NS / -A', () => {
  it('golden: a namespace, newest first', async () => {
    const r = await blame(['-n', 'shop']);
    assertGolden(CLI_GOLDEN, 'namespace-shop-120.txt', r.stdout);
    assert.deepEqual(listQueries(r.requests), [{ path: `${CHANGES}/namespaces/shop/changes`, query: { limit: '50', order: 'desc' } }]);
  });
  it('the context\'s namespace when no -n: shop in these tests', async () => {
    const r = await blame(['deploy/web']);
    assert.equal(listQueries(r.requests)[0]!.path, `${CHANGES}/namespaces/shop/changes`);
  });
  it('-A lists everywhere, with the filters passed to the server', async () => {
    const r = await blame(['-A', '--user', 'alice', '--group', 'dev', '--operation', 'delete', '--since', '1d', '--until', '1m']);
    assert.deepEqual(listQueries(r.requests), [{
      path: `${CHANGES}/changes`,
      query: { limit: '50', user: 'alice', userGroup: 'dev', operation: 'DELETE', since: '2025-06-11T12:00:00.000Z', until: '2025-06-12T11:59:00.000Z', order: 'desc' },
    }]);
    assert.match(r.stdout, /^KEY +OPERATION +USER +TIME +PATCH\nshop\/ConfigMap\/feature-flags +DELETE +alice +10m +deleted\n$/);
  });
  it('fits the width: 80 columns', async () => {
    const r = await blame(['-A'], everything(), { width: 80 });
    for (const line of r.stdout.trimEnd().split('\n')) assert.ok(displayWidth(line) <= 80, line);
    assertGolden(CLI_GOLDEN, 'all-namespaces-80.txt', r.stdout);
  });
  it('--max-history pages through and says there is more', async () => {
    const r = await blame(['-A', '--max-history', '3'], everything({ pageSize: 2 }));
    assert.equal(r.stdout.trimEnd().split('\n').filter((l) => /^\S/.test(l)).length, 4, 'header and three changes');
    const [first, second, ...rest] = listQueries(r.requests);
    assert.deepEqual([first!.query.limit, first!.query.continue, second!.query.limit, rest.length], ['3', undefined, '1', 0]);
    assert.ok(second!.query.continue, 'the second page asks to continue with the token of the first');
    assert.equal(r.stderr, 'note: showing the newest 3 changes; more match: --max-history N shows more');
  });
  it('-o json prints a ChangeList of Change objects', async () => {
    const r = await blame(['-n', 'shop', '-o', 'json', '--max-history', '2']);
    const list = JSON.parse(r.stdout) as { apiVersion: string; kind: string; items: { kind: string; metadata: { name: string } }[] };
    assert.equal(list.kind, 'ChangeList');
    assert.equal(list.apiVersion, 'audit.logistis.io/v1alpha1');
    assert.deepEqual(list.items.map((c) => [c.kind, c.metadata.name]), [['Change', id('1004')], ['Change', id('1008')]]);
  });
  it('nothing matches: says so, exit 0', async () => {
    const r = await blame(['-n', 'empty']);
    assert.equal(r.error, undefined);
    assert.equal(r.stderr, 'No changes recorded in namespace empty.');
    const filtered = await blame(['-n', 'shop', '--user', 'mallory']);
    assert.equal(filtered.stderr, 'No changes recorded in namespace shop match the filters.');
  });
});

describe('kubectl blame TYPE [NAME]', () => {
  it('golden: deploy/web at 120 columns, and the query names the object', async () => {
    const r = await blame(['deploy/web', '-n', 'shop']);
    assertGolden(CLI_GOLDEN, 'deploy-web-120.txt', r.stdout);
    assert.deepEqual(listQueries(r.requests)[0]!.query, { limit: '51', group: 'apps', kind: 'Deployment', name: 'web', order: 'desc' });
  });
  it('every way of naming the type gives the same table', async () => {
    const expected = (await blame(['deploy/web'])).stdout;
    for (const argv of [['deployment', 'web'], ['deployments.apps/web'], ['Deployment/web'], ['deployments.v1.apps', 'web']]) {
      assert.equal((await blame(argv)).stdout, expected, argv.join(' '));
    }
  });
  it('TYPE alone: every object of that kind in the namespace', async () => {
    const r = await blame(['cm']);
    assert.deepEqual(listQueries(r.requests)[0]!.query, { limit: '50', group: '', kind: 'ConfigMap', order: 'desc' });
    assert.match(r.stdout, /shop\/ConfigMap\/feature-flags +DELETE/);
    assert.ok(!r.stdout.includes('Deployment'));
  });
  it('a cluster-scoped type: the cluster-scoped changes, whatever -n says', async () => {
    const r = await blame(['clusterrole', '-n', 'shop']);
    assert.deepEqual(listQueries(r.requests), [{
      path: `${CHANGES}/changes`, query: { limit: '50', clusterScoped: 'true', group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', order: 'desc' },
    }]);
    assert.match(r.stdout, /ClusterRole\/pod-reader +CREATE +kubernetes-admin +3h +created \(metadata, rules\)/);
  });
  it('with --max-history N it reads one change more, so the oldest row shown still has its old values', async () => {
    for (const [width, colour] of [[120, false], [60, false], [120, true]] as const) {
      const r = await blame(['deploy/web', '--max-history', '2'], everything(), { width, colour });
      const text = stripAnsi(r.stdout);
      assert.equal(listQueries(r.requests)[0]!.query.limit, '3');
      assert.match(text, /remove \/metadata\/labels\/owner \(was\s+"team-a"\)/, `${width} ${colour}`);
      assert.ok(!text.includes(' bob '), `bob's older change is not shown:\n${text}`);
      assert.equal(text.split('\n').filter((l) => l.startsWith('shop/')).length, 2);
      assert.equal(r.stderr, 'note: showing the newest 2 changes; more match: --max-history N shows more');
    }
  });
  it('withoutLastRow drops the oldest row with its continuation lines', () => {
    assert.deepEqual(withoutLastRow(['KEY  PATCH', 'a    one', '       more', 'b    two', '       more']), ['KEY  PATCH', 'a    one', '       more']);
    assert.deepEqual(withoutLastRow(['KEY', '    PATCH', 'a', '    one', 'b', '    two']), ['KEY', '    PATCH', 'a', '    one']);
    assert.deepEqual(withoutLastRow(['KEY']), ['KEY']);
  });
  it('-o wide', async () => {
    assertGolden(CLI_GOLDEN, 'deploy-web-wide-200.txt', (await blame(['deploy/web', '-o', 'wide'], everything(), { width: 200 })).stdout);
  });
  it('colour on: the same text once the escapes are removed', async () => {
    const plain = await blame(['deploy/web']);
    const coloured = await blame(['deploy/web'], everything(), { colour: true });
    assert.notEqual(coloured.stdout, plain.stdout);
    assert.equal(stripAnsi(coloured.stdout), plain.stdout);
  });
  it('an object with no history that exists: a clear error', async () => {
    const r = await blame(['deploy/api'], everything({ objects: { '/apis/apps/v1/namespaces/shop/deployments/api': deploymentLive() } }));
    assert.match(r.error!.message, /^logistis has recorded no change to deployments.apps\/api in namespace shop: it exists, but has not changed/);
    assert.equal(r.error!.exitCode, 1);
  });
  it('an object with no history that does not exist: not found', async () => {
    const r = await blame(['deploy/nope']);
    assert.equal(r.error!.message, 'deployments.apps/nope in namespace shop not found, and logistis has recorded no change to it');
  });
  it('an unknown or ambiguous type', async () => {
    assert.match((await blame(['deplyo/web'])).error!.message, /doesn't have a resource type "deplyo"; did you mean deploy\?/);
    assert.match((await blame(['widgets'])).error!.message, /ambiguous .* widgets.example.com or widgets.other.example.org/);
  });
});

describe('kubectl blame TYPE NAME -f diff', () => {
  it('golden: -U 2, the change IDs in the headers', async () => {
    const r = await blame(['deploy/web', '-f', 'diff', '-U', '2']);
    assertGolden(CLI_GOLDEN, 'deploy-web-diff.txt', r.stdout);
  });
  it('--diff-format json', async () => {
    const r = await blame(['deploy/web', '-f', 'diff', '--diff-format', 'json', '--max-history', '1', '-U', '1']);
    assert.match(r.stdout, /^- +"image": "nginx:1.25.3",$/m);
    assert.match(r.stdout, /^\+ +"image": "nginx:1.26.0",$/m);
  });
  it('with --max-history N it reads one change more, so the oldest shown still diffs against its predecessor', async () => {
    const r = await blame(['deploy/web', '-f', 'diff', '--max-history', '1', '-U', '0']);
    assert.equal(listQueries(r.requests)[0]!.query.limit, '2');
    assert.match(r.stdout, new RegExp(`change: ${id('1004')}$`, 'm'));
    assert.ok(!r.stdout.includes(`change: ${id('1003')}`));
    assert.ok(!r.stdout.includes('not in the history'));
    assert.equal(r.stderr, 'note: showing the newest change; more match: --max-history N shows more');
  });
});

describe('kubectl blame TYPE NAME --fields', () => {
  it('golden: each line blamed, the live annotation on its manager', async () => {
    const r = await blame(['deploy/web', '--fields']);
    assertGolden(CLI_GOLDEN, 'deploy-web-fields.txt', r.stdout);
    // The server blames the history and gives the newest state: the history itself never crosses the wire.
    assert.deepEqual(listQueries(r.requests).map((q) => q.query), [{ view: 'blame', group: 'apps', kind: 'Deployment', name: 'web' }]);
    assert.ok(r.requests.some((q) => q.path === LIVE_WEB));
  });
  it('no history: every line from managedFields, with a note', async () => {
    const r = await blame(['deploy/web', '--fields'], { objects: { [LIVE_WEB]: deploymentLive() } });
    assert.match(r.stdout, /^kubectl-edit\* +5h │ {3}replicas: 3$/m);
    assert.match(r.stdout, /^kubectl-label\* +35m │ {5}tier: web$/m);
    assert.equal(r.stderr, 'note: logistis has recorded no change to deployments.apps/web in namespace shop; each line shows its owner from metadata.managedFields');
  });
  it('deleted: the object as it was deleted', async () => {
    const r = await blame(['cm/feature-flags', '--fields']);
    assert.match(r.stdout, /^bob +20h │ kind: ConfigMap$/m);
    assert.match(r.stderr, new RegExp(`no longer exists; shown as it was when alice \\(DELETE, .*change ${id('1008')}\\) deleted it`));
  });
  it('a Secret: never the live values', async () => {
    const secretValue = Buffer.from('hunter2').toString('base64');
    const live: JsonObject = {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', namespace: 'shop' }, data: { password: secretValue },
    };
    const r = await blame(['secret/db-credentials', '--fields'], everything({ objects: { '/api/v1/namespaces/shop/secrets/db-credentials': live } }));
    assert.ok(!r.stdout.includes(secretValue));
    assert.match(r.stdout, /^bob +1h │ {3}password: <hmac:9b1e04d7c3a6f285>$/m);
  });
  it('-o json gives the lines with their authors', async () => {
    const r = await blame(['deploy/web', '--fields', '-o', 'json']);
    const doc = JSON.parse(r.stdout) as { lines: { text: string; path: string; author: { username: string; eventId?: string } | null }[] };
    const replicas = doc.lines.find((l) => l.path === '/spec/replicas')!;
    assert.deepEqual([replicas.text, replicas.author?.username, replicas.author?.eventId], ['  replicas: 3', 'bob', id('1002')]);
  });
  it('neither history nor object: not found', async () => {
    assert.match((await blame(['deploy/gone', '--fields'])).error!.message, /not found, and logistis has recorded no change to it/);
  });
});

describe('kubectl blame TYPE NAME --at', () => {
  it('golden: the object as it was, with where it came from', async () => {
    assertGolden(CLI_GOLDEN, 'deploy-web-at.txt', (await blame(['deploy/web', '--at', '2025-06-12T07:00:00Z'])).stdout);
  });
  it('-o json: just the object', async () => {
    const obj = JSON.parse((await blame(['deploy/web', '--at', '6h', '-o', 'json'])).stdout) as { spec: { replicas: number } };
    assert.equal(obj.spec.replicas, 2);
  });
  it('before it existed, or after it was deleted: why not', async () => {
    assert.match((await blame(['deploy/web', '--at', '30d'])).error!.message, /did not exist yet: created by alice/);
    assert.match((await blame(['cm/feature-flags', '--at', '1m'])).error!.message, /did not exist: deleted by alice/);
  });
});

describe('kubectl blame [TYPE NAME] --revert ID', () => {
  it('golden: the manifest from before bob\'s change, and a note of the later changes it undoes', async () => {
    const r = await blame(['deploy/web', '--revert', id('1002')]);
    assertGolden(CLI_GOLDEN, 'deploy-web-revert-bob.txt', r.stdout);
    assert.equal(r.stderr, [
      'note: this manifest also undoes 2 later changes:',
      `  alice (UPDATE, 2025-06-12T11:25:00.000Z, change ${id('1003')})`,
      `  system:serviceaccount:ci:deployer (UPDATE, 2025-06-12T11:59:48.000Z, change ${id('1004')})`,
    ].join('\n'));
  });
  it('by ID alone: finds the change in the namespace, then its object\'s history', async () => {
    const r = await blame(['--revert', id('1002'), '-n', 'shop']);
    assert.equal(r.stdout, (await blame(['deploy/web', '--revert', id('1002')])).stdout);
    assert.equal(r.requests[0]!.path, `${CHANGES}/namespaces/shop/changes/${id('1002')}`);
    assert.deepEqual(listQueries(r.requests)[0]!.query, { view: 'revert', group: 'apps', kind: 'Deployment', name: 'web', change: id('1002') });
  });
  it('an unknown ID', async () => {
    assert.match((await blame(['--revert', '77', '-n', 'shop'])).error!.message, /^no change "77" in namespace "shop"/);
  });
  it('a creation: the delete command, and nothing on stdout', async () => {
    const r = await blame(['deploy/web', '--revert', id('1001')]);
    assert.equal(r.stdout, '');
    assert.match(r.error!.message, /reverting it means deleting it\.\nNothing to apply; if that is what you want, run:\n {2}kubectl delete deployments.apps web -n shop$/);
  });
  it('a Secret: refused', async () => {
    assert.match((await blame(['secret/db-credentials', '--revert', id('1006')])).error!.message, /is a Secret: logistis recorded its values only as fingerprints/);
  });
  it('a deletion: the object back', async () => {
    const r = await blame(['cm/feature-flags', '--revert', id('1008'), '-o', 'json']);
    const manifest = JSON.parse(r.stdout) as { kind: string; metadata: Record<string, unknown> };
    assert.equal(manifest.kind, 'ConfigMap');
    assert.deepEqual(Object.keys(manifest.metadata).sort(), ['name', 'namespace']);
  });
  it('a change made through deployments/scale restores the Deployment, not a Scale', async () => {
    const events: ChangeEvent[] = deploymentHistory();
    const bob = events.find((e) => e.id === '1002')!;
    Object.assign(bob, { subresource: 'scale', object: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 3 } } });
    const { ids } = await logistisWith(events);
    const r = await blame(['deploy/web', '--revert', ids.get('1003')!, '-o', 'json'], { events });
    const manifest = JSON.parse(r.stdout) as { kind: string; spec: { replicas: number; template: unknown } };
    assert.equal(manifest.kind, 'Deployment');
    assert.equal(manifest.spec.replicas, 3);
    assert.ok(manifest.spec.template);
  });
});

describe('failures of the API, explained', () => {
  it('logistis not installed', async () => {
    const r = await blame(['-n', 'shop'], { events: [] });
    assert.equal(r.error, undefined, 'logistis answers with no changes');
    const missing = await blame(['-n', 'shop'], { failures: { [CHANGES]: status(404, 'NotFound', 'the server could not find the requested resource') } });
    assert.match(missing.error!.message, /^logistis is not installed in this cluster/);
    assert.match(missing.error!.message, /kubectl get apiservice v1alpha1.audit.logistis.io$/);
  });
  it('forbidden for bob in shop: the RoleBinding to ask for', async () => {
    const r = await blame(['deploy/web', '-n', 'shop'], {
      failures: { [CHANGES]: status(403, 'Forbidden', 'user "bob" cannot list changes.audit.logistis.io in namespace "shop"') },
    });
    assert.match(r.error!.message, /^user "bob" is not allowed to read the changes logistis recorded in namespace "shop"/);
    assert.match(r.error!.message, /kubectl create rolebinding blame-viewer --clusterrole=logistis-viewer --user=bob -n shop/);
  });
  it('forbidden to read the live object: --fields goes on with the history, and says so', async () => {
    const r = await blame(['deploy/web', '--fields'], everything({ failures: { [LIVE_WEB]: status(403, 'Forbidden', 'User "bob" cannot get resource "deployments"') } }));
    assert.equal(r.error, undefined);
    assert.match(r.stderr, /you may not read deployments.apps\/web in namespace shop itself, so only its recorded history is shown/);
    assert.match(r.stdout, /^bob +5h │ {3}replicas: 3$/m);
  });
});
