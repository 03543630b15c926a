// `make demo`: a real kube-apiserver on 127.0.0.1 with logistis registered, a few changes by alice and bob,
// and the history they left, read with `kubectl blame` through the aggregated API. Stays up until Ctrl-C;
// `make demo ONCE=1` (--once) stops everything and exits 0 after printing.
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../harness/control-plane.ts';
import { startLogistis } from '../harness/logistis.ts';

const once = process.argv.includes('--once');
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const bold = (text: string) => (process.stdout.isTTY && !process.env['NO_COLOR'] ? `\u001b[1m${text}\u001b[0m` : text);
const say = (text: string) => console.log(`\n${bold(`== ${text}`)}`);

say('starting a local control plane (etcd + kube-apiserver on 127.0.0.1) and logistis');
const cp = await startControlPlane({ keep: !once });
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await logistis?.stop().catch(() => undefined);
  await cp.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
let logistis: Awaited<ReturnType<typeof startLogistis>> | undefined;
try {
  logistis = await startLogistis(cp, { provenance: true });
  console.log(`kube-apiserver ${cp.server} (started in ${(cp.timings.total / 1000).toFixed(1)} s), logistis ${logistis.url}`);

  const env = { PATH: `${ROOT}bin:${cp.binDir}:${process.env['PATH'] ?? ''}`, NO_COLOR: process.env['NO_COLOR'] ?? '' };
  const run = async (user: string, args: string[], input?: string) => {
    console.log(`\n$ kubectl ${args.join(' ')}${user === 'admin' ? '' : `    # as ${user}`}`);
    const result = await cp.kubectl(user, args, { input, env, allowFailure: true });
    process.stdout.write(result.stdout);
    if (result.stderr) process.stdout.write(result.stderr);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${result.code})`);
  };

  say('alice (group dev) and bob (group ops) get edit rights in namespace demo; alice may read its history');
  await cp.kubectl('admin', ['create', 'namespace', 'demo']);
  for (const user of ['alice', 'bob']) await cp.grant(user, 'edit', 'demo');
  await cp.grant('alice', 'logistis-viewer', 'demo');

  say('the changes');
  const deployment = (replicas: number, image: string) => JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'demo', labels: { app: 'web' } },
    spec: {
      replicas, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80 }] }] } },
    },
  });
  await run('alice', ['apply', '-f', '-'], deployment(2, 'nginx:1.27'));
  await run('bob', ['-n', 'demo', 'scale', 'deployment/web', '--replicas=3']);
  await run('alice', ['-n', 'demo', 'label', 'deployment/web', 'tier=frontend']);
  await run('bob', ['-n', 'demo', 'create', 'configmap', 'settings', '--from-literal=mode=fast']);
  await run('alice', ['-n', 'demo', 'create', 'secret', 'generic', 'db', '--from-literal=password=not-in-any-log']);
  await run('alice', ['apply', '-f', '-'], deployment(3, 'nginx:1.28'));

  say('what logistis recorded, read through the Kubernetes API with alice\'s own credentials');
  await run('alice', ['get', 'changes', '-n', 'demo']);
  await run('alice', ['blame', 'deploy/web', '-n', 'demo']);
  await run('alice', ['blame', 'deploy/web', '-n', 'demo', '--fields']);
  await run('alice', ['blame', 'deploy/web', '-n', 'demo', '-f', 'diff', '-U', '1']);
  await run('admin', ['blame']);

  say('the web dashboard');
  const tokenOf = (user: string) => `kubectl --context ${user} config view --raw --minify -o jsonpath='{.users[0].user.token}'`;
  console.log(`
  ${logistis.url}/ui/   (self-signed certificate: accept it once in the browser)
  Sign in with a Kubernetes bearer token; print one with:
    KUBECONFIG=${cp.kubeconfigPath} ${tokenOf('admin')}   # everything
    KUBECONFIG=${cp.kubeconfigPath} ${tokenOf('alice')}   # namespace demo only: the overview answers 403
  Deep links: ${logistis.url}/ui/object?namespace=demo&kind=Deployment&name=web&view=blame`);

  if (once) {
    say('done (ONCE=1): stopping everything');
    await stop(0);
  }
  say('the cluster keeps running; try it:');
  console.log(`
  export KUBECONFIG=${cp.kubeconfigPath}
  export PATH=${ROOT}bin:${cp.binDir}:$PATH
  kubectl --context bob -n demo scale deployment/web --replicas=5   # make a change as bob
  kubectl --context alice blame deploy/web -n demo                  # who changed it
  kubectl blame                                                     # cluster overview (admin)

  Contexts: admin, alice, bob. Press Ctrl-C here to stop the cluster and logistis.`);
  await new Promise(() => undefined);
} catch (error) {
  console.error(`demo failed: ${(error as Error).message}`);
  if (logistis) console.error(`logistis output:\n${logistis.output().split('\n').slice(-20).join('\n')}`);
  await stop(1);
}
