// Records the AdmissionReviews a real kube-apiserver sends for a scripted series of kubectl changes, and
// writes them to test/fixtures/admission/. Run it when the Kubernetes version changes:
//   node_modules/.bin/node scripts/record-fixtures.ts
// Secret values in these fixtures are test values made up here.
import { createServer } from 'node:https';
import { mkdtempSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, waitFor, type ControlPlane } from '../harness/control-plane.ts';
import { createCa, createServingCert } from '../harness/certs.ts';
import { renderWebhookConfiguration } from '../src/deploy/webhook-config.ts';

const OUT = new URL('../test/fixtures/admission/', import.meta.url).pathname;
type Review = { apiVersion: string; request: { uid: string; namespace?: string; name?: string; kind: { kind: string }; operation: string; dryRun?: boolean } };

const received: Review[] = [];
const dir = mkdtempSync(join(tmpdir(), 'logistis-record-'));
const ca = await createCa(dir, { name: 'ca' });
const serving = await createServingCert(dir, ca, { name: 'serving' });
const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
  request.on('end', () => {
    const review = JSON.parse(body) as Review;
    received.push(review);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
  });
});
await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
const port = (server.address() as { port: number }).port;

const cp: ControlPlane = await startControlPlane({ log: (message) => console.error(message) });
const written: string[] = [];
try {
  // The shipped rules, plus deployments/status: logistis must also cope with status updates (a cluster may
  // route them to it), though the shipped configuration does not send them.
  const main = renderWebhookConfiguration({ url: `https://127.0.0.1:${port}/capture`, caBundlePem: ca.certPem, configurationName: 'recorder' }).object;
  main.webhooks[0]!.rules[0]!.resources.push('deployments/status');
  await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify(main) });
  // A second registration that speaks only v1beta1, for a fixture of the older review version.
  const beta = renderWebhookConfiguration({ url: `https://127.0.0.1:${port}/capture-v1beta1`, caBundlePem: ca.certPem, configurationName: 'recorder-v1beta1' }).object;
  beta.webhooks[0]!.name = 'v1beta1.recorder.logistis.io';
  beta.webhooks[0]!.admissionReviewVersions = ['v1beta1'];
  beta.webhooks[0]!.rules = [{ apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], operations: ['CREATE'], scope: 'Namespaced' }];
  beta.webhooks[0]!.matchConditions = [{ name: 'only-v1beta1-fixture', expression: "object.metadata.name == 'legacy-settings'" }];
  await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify(beta) });

  const ns = 'demo';
  await cp.kubectl('admin', ['create', 'namespace', ns]);
  await waitFor(() => received.some((review) => review.request.name === ns), { message: 'the recorder webhook never saw a request' });
  for (const user of ['alice', 'bob']) await cp.grant(user, 'edit', ns);

  const record = async (fixture: string, step: () => Promise<unknown>, match: (review: Review) => boolean) => {
    const from = received.length;
    await step();
    await new Promise((resolveWait) => setTimeout(resolveWait, 300));
    const reviews = received.slice(from).filter(match);
    if (reviews.length === 0) throw new Error(`${fixture}: no review recorded`);
    const review = reviews[reviews.length - 1]!;
    writeFileSync(join(OUT, `${fixture}.json`), `${JSON.stringify(review, null, 2)}\n`);
    written.push(fixture);
  };
  const is = (kind: string, operation: string, name?: string) => (review: Review) =>
    review.request.kind.kind === kind && review.request.operation === operation && (!name || review.request.name === name);

  const deployment = (replicas: number, image: string) => JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      replicas, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
    },
  });
  await record('deployment-create', () => cp.kubectl('alice', ['apply', '-f', '-'], { input: deployment(2, 'nginx:1.27') }), is('Deployment', 'CREATE', 'web'));
  await record('deployment-scale', () => cp.kubectl('bob', ['-n', ns, 'scale', 'deployment/web', '--replicas=3']), is('Scale', 'UPDATE', 'web'));
  await record('deployment-patch-label', () => cp.kubectl('alice', ['-n', ns, 'patch', 'deployment/web', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"frontend"}}}']), is('Deployment', 'UPDATE', 'web'));
  await record('deployment-apply-image', () => cp.kubectl('alice', ['apply', '-f', '-'], { input: deployment(3, 'nginx:1.28') }), is('Deployment', 'UPDATE', 'web'));
  await record('deployment-dry-run', () => cp.kubectl('alice', ['apply', '--dry-run=server', '-f', '-'], { input: deployment(5, 'nginx:1.29') }), (review) => is('Deployment', 'UPDATE', 'web')(review) && review.request.dryRun === true);
  await record('deployment-status-only', () => cp.kubectl('admin', ['-n', ns, 'patch', 'deployment/web', '--subresource=status', '--type=merge', '-p', '{"status":{"observedGeneration":3,"replicas":3,"readyReplicas":3}}']), is('Deployment', 'UPDATE', 'web'));
  await record('deployment-delete', () => cp.kubectl('admin', ['-n', ns, 'delete', 'deployment/web']), is('Deployment', 'DELETE', 'web'));

  const secret = (password: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, type: 'Opaque', stringData: { password, user: 'db-user-q7z' } });
  await record('secret-apply-create', () => cp.kubectl('alice', ['apply', '-f', '-'], { input: secret('hunter2-old-value') }), is('Secret', 'CREATE', 'db'));
  await record('secret-update', () => cp.kubectl('alice', ['apply', '-f', '-'], { input: secret('s3cr3t-new-value') }), is('Secret', 'UPDATE', 'db'));
  await record('secret-create-generic', () => cp.kubectl('bob', ['-n', ns, 'create', 'secret', 'generic', 'api', '--from-literal=token=tok-9f8e7d6c5b4a']), is('Secret', 'CREATE', 'api'));

  await record('configmap-create', () => cp.kubectl('bob', ['-n', ns, 'create', 'configmap', 'settings', '--from-literal=mode=fast']), is('ConfigMap', 'CREATE', 'settings'));
  await record('configmap-create-v1beta1', () => cp.kubectl('bob', ['-n', ns, 'create', 'configmap', 'legacy-settings', '--from-literal=mode=slow']),
    (review) => review.apiVersion === 'admission.k8s.io/v1beta1' && review.request.name === 'legacy-settings');

  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'worker', namespace: ns, labels: { app: 'worker', tier: 'batch' }, annotations: { 'example.com/owner': 'team-data' } },
    spec: {
      containers: ['main', 'sidecar', 'metrics'].map((name, index) => ({
        name, image: `registry.example.com/data/${name}:2.${index}.7`, args: ['--verbose', `--shard=${index}`],
        env: Array.from({ length: 12 }, (_, i) => ({ name: `SETTING_${i}`, value: `value-${name}-${i}` })),
        ports: [{ containerPort: 8080 + index, name: `http-${index}` }],
        resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 + index }, periodSeconds: 5 },
        volumeMounts: [{ name: 'data', mountPath: `/data/${name}` }],
      })),
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  };
  await record('pod-create', () => cp.kubectl('alice', ['apply', '-f', '-'], { input: JSON.stringify(pod) }), is('Pod', 'CREATE', 'worker'));

  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wdg'] },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' }, color: { type: 'string' } } } } } } }],
    },
  };
  await record('crd-create', () => cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify(crd) }), is('CustomResourceDefinition', 'CREATE'));
  await waitFor(async () => (await cp.kubectl('admin', ['get', 'widgets', '-n', ns], { allowFailure: true })).code === 0, { message: 'CRD never served' });
  await record('custom-resource-create', () => cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'blue', namespace: ns }, spec: { size: 3, color: 'blue' } }) }), is('Widget', 'CREATE', 'blue'));

  // Hand-written fixtures that a real review now replaces.
  for (const file of readdirSync(OUT)) if (!written.includes(file.replace(/\.json$/, ''))) rmSync(join(OUT, file));
  console.error(`recorded ${written.length} fixtures into ${OUT}: ${written.join(', ')}`);
} finally {
  await cp.stop();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
