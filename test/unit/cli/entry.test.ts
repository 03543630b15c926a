// The real entry point as a process: exit codes, where output goes, and a real HTTPS round trip with a
// kubeconfig (CA, bearer token, the context's namespace) to an API server on 127.0.0.1 whose logistis is the real app (./cluster.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { testCertificate } from '../../../harness/tls.ts';
import { deploymentHistory, deploymentLive, miscHistory, secretHistory } from '../format/golden.ts';
import { startLogistis, TestCluster, type Logistis } from './cluster.ts';

const ENTRY = fileURLToPath(new URL('../../../src/cli/kubectl-blame.ts', import.meta.url));
const TOKEN = 'token-of-alice';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of ['KUBECONFIG', 'NO_COLOR', 'COLUMNS', 'LOGISTIS_COMMAND', 'FORCE_COLOR']) delete base[key];
  const child = spawn(process.execPath, [ENTRY, ...args], { env: { ...base, HOME: '/nonexistent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

describe('kubectl-blame as a process', () => {
  let server: Server;
  let dir: string;
  let kubeconfig: string;
  let badToken: string;
  let cluster: TestCluster;
  let logistis: Logistis;

  before(async () => {
    const tls = await testCertificate();
    dir = tls.dir;
    logistis = await startLogistis([...deploymentHistory(), ...secretHistory(), ...miscHistory()]);
    cluster = new TestCluster({ objects: { '/apis/apps/v1/namespaces/shop/deployments/web': deploymentLive() } }, logistis.app);
    const listening = await cluster.listen({ cert: readFileSync(tls.certFile, 'utf8'), key: readFileSync(tls.keyFile, 'utf8') }, TOKEN);
    server = listening.server;
    const config = (token: string) => stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'alice',
      clusters: [{ name: 'test', cluster: { server: listening.url, 'certificate-authority-data': readFileSync(tls.caFile).toString('base64') } }],
      users: [{ name: 'alice', user: { token } }],
      contexts: [
        { name: 'alice', context: { cluster: 'test', user: 'alice', namespace: 'shop' } },
        { name: 'elsewhere', context: { cluster: 'test', user: 'alice', namespace: 'empty' } },
      ],
    });
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, config(TOKEN));
    badToken = join(dir, 'kubeconfig-bad');
    writeFileSync(badToken, config('wrong'));
  });

  after(async () => {
    server?.close();
    await logistis?.app.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong flag: the message on stderr, a pointer to --help, exit code 2', async () => {
    const r = await run(['--bogus']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, "error: unknown option '--bogus'\nSee 'kubectl blame --help' for usage.\n");
  });
  it('--help on stdout, exit 0; named after how it was installed', async () => {
    const r = await run(['--help'], { LOGISTIS_COMMAND: 'kubectl-logistis' });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: kubectl logistis \[TYPE\[\/NAME\] \| TYPE NAME\] \[flags\]/);
    assert.equal(r.stderr, '');
  });
  it('reads through the kubeconfig (KUBECONFIG): TLS with its CA, its token, its namespace', async () => {
    const r = await run(['deploy/web'], { KUBECONFIG: kubeconfig });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^KEY +OPERATION +USER +TIME +PATCH$/);
    assert.deepEqual(lines.filter((l) => l.startsWith('shop/')).map((l) => l.split(/ +/).slice(0, 3).join(' ')), [
      'shop/Deployment/web UPDATE system:serviceaccount:ci:deployer',
      'shop/Deployment/web UPDATE alice',
      'shop/Deployment/web UPDATE bob',
      'shop/Deployment/web CREATE alice',
    ]);
    // Not a terminal: no colour, 120 columns.
    assert.ok(!r.stdout.includes('\u001b['));
    assert.ok(lines.every((l) => l.length <= 120));
    const sent = cluster.requests.filter((q) => q.path.endsWith('/changes')).at(-1)!;
    assert.equal(sent.path, '/apis/audit.logistis.io/v1alpha1/namespaces/shop/changes');
  });
  it('--kubeconfig and --context, and COLUMNS', async () => {
    const r = await run(['-A', '--kubeconfig', kubeconfig, '--context', 'elsewhere'], { COLUMNS: '80' });
    assert.equal(r.code, 0, r.stderr);
    const wrapped = r.stdout.trimEnd().split('\n');
    assert.ok(wrapped.every((l) => l.length <= 80));
    // The table is there, its long patch lines wrapped rather than dropped.
    assert.match(wrapped[0]!, /^KEY +OPERATION +USER +TIME$/);
    assert.ok(wrapped.includes('shop/Deployment/web           CREATE     alice                              1y'), r.stdout);
    assert.ok(wrapped.some((l) => l.length > 70), 'some lines use the width');
    assert.match(r.stdout, /^ {6}"nginx:1\.26\.0"$/m);
    const empty = await run(['--kubeconfig', kubeconfig, '--context', 'elsewhere', 'cm']);
    assert.equal(empty.stderr, 'No changes to configmaps recorded in namespace empty.\n');
    assert.equal(empty.code, 0);
  });
  it('an unknown context: says which exist', async () => {
    const r = await run(['-A', '--kubeconfig', kubeconfig, '--context', 'prod']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot load --kubeconfig .*: --context: no context "prod" in the kubeconfig; known: alice, elsewhere\n$/);
  });
  it('a token the API server refuses: 401, explained', async () => {
    const r = await run(['-A'], { KUBECONFIG: badToken });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: the API server did not accept your credentials \(401 Unauthorized\) for context "alice"/);
  });
  it('no API server there: unreachable, explained', async () => {
    const gone = join(dir, 'kubeconfig-gone');
    writeFileSync(gone, readFileSync(kubeconfig, 'utf8').replace(/https:\/\/127\.0\.0\.1:\d+/, 'https://127.0.0.1:1'));
    const r = await run(['-A'], { KUBECONFIG: gone });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
    assert.match(r.stderr, /Check the context "alice" with: kubectl cluster-info\n$/);
  });
  it('--revert of a creation: nothing on stdout (a pipe to kubectl apply gets nothing), the delete command on stderr', async () => {
    const r = await run(['deploy/web', '--revert', logistis.ids.get('1001')!], { KUBECONFIG: kubeconfig });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /kubectl delete deployments.apps web -n shop\n$/);
  });
});
