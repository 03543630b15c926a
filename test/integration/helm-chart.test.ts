// The Helm chart rendered and linted by the real Helm 4 (scripts/build-helm.sh): what it deploys for the default
// (embedded store) and HA values, that its copies of deploy/ stay identical to the originals, and that
// deploy/manifests/ is the chart's current output; the capture listener, its NetworkPolicy and what NOTES.txt warns about;
// where each replica's commit log lives, and the checks that its volume and the grace period leave it room.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { renderWebhookConfiguration } from '../../src/deploy/webhook-config.ts';
import { CHART_DIR, MANIFESTS_FILE, ROOT, helmBinary, helmEnv, parseObjects, renderChart, renderManifests, type K8sObject } from '../../scripts/chart.ts';

// Loose views of the rendered objects, for reading nested fields in assertions.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HA_VALUES = join(CHART_DIR, 'values-ha.yaml');

function find(objects: K8sObject[], kind: string, name?: string): Json {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as Json;
}

const valuesDirs: string[] = [];

/** A values file holding `values` (JSON is YAML), for values that --set cannot spell (keys with dots). */
function valuesFile(values: Json): string {
  const dir = mkdtempSync(join(tmpdir(), 'logistis-chart-values-'));
  valuesDirs.push(dir);
  const file = join(dir, 'values.yaml');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

/** What `helm install` prints after NOTES: (rendered client-side, no cluster). */
function notes(set: string[] = []): string {
  const result = helm(['install', 'logistis', CHART_DIR, '--dry-run=client', '--namespace', 'logistis-system', ...set.flatMap((value) => ['--set', value])]);
  assert.equal(result.status, 0, result.output);
  const start = result.output.indexOf('\nNOTES:\n');
  assert.ok(start >= 0, result.output);
  return result.output.slice(start);
}

function helm(args: string[]): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync(helmBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: helmEnv() }) };
  } catch (error) {
    const failure = error as { status: number; stdout: string; stderr: string };
    return { status: failure.status, output: `${failure.stdout}${failure.stderr}` };
  }
}

const container = (workload: Json): Json => workload['spec']['template']['spec']['containers'][0];

describe('the Helm chart', { timeout: 900_000 }, () => {
  after(() => {
    for (const dir of valuesDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('passes helm lint --strict with the default and the HA values', () => {
    for (const extra of [[], ['--values', HA_VALUES], ['--set', 'certManager.enabled=true']]) {
      const result = helm(['lint', '--strict', CHART_DIR, ...extra]);
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('default: one replica of a StatefulSet with a volume for the embedded store, a Service and a PDB', () => {
    const objects = parseObjects(renderChart());
    assert.equal(objects.filter((o) => o.kind === 'Deployment').length, 0);
    const statefulSet = find(objects, 'StatefulSet', 'logistis');
    assert.equal(statefulSet['spec']['replicas'], 1);
    assert.equal(statefulSet['spec']['volumeClaimTemplates'][0]['spec']['resources']['requests']['storage'], '10Gi');
    const server = container(statefulSet);
    assert.ok(server['args'].includes('--store=sqlite:/var/lib/logistis/events.db'));
    assert.ok(server['volumeMounts'].some((m: Json) => m['name'] === 'data' && m['mountPath'] === '/var/lib/logistis'));
    assert.ok(server['args'].includes('--log-dir=/var/lib/logistis/events.db-log'), 'the commit log beside the database, on its volume');
    assert.equal(statefulSet['spec']['volumeClaimTemplates'].length, 1);
    assert.deepEqual(server['readinessProbe']['httpGet'], { path: '/readyz', port: 'capture', scheme: 'HTTPS' }, 'ready once the capture listener answers');
    assert.deepEqual(server['livenessProbe']['httpGet'], { path: '/healthz', port: 'https', scheme: 'HTTPS' });
    assert.equal(server['securityContext']['readOnlyRootFilesystem'], true);
    assert.equal(server['securityContext']['allowPrivilegeEscalation'], false);
    assert.deepEqual(server['securityContext']['capabilities'], { drop: ['ALL'] });
    assert.equal(statefulSet['spec']['template']['spec']['securityContext']['runAsNonRoot'], true);
    assert.ok(server['resources']['requests']['memory']);
    const service = find(objects, 'Service', 'logistis');
    assert.deepEqual(service['spec']['ports'], [
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
      { name: 'capture', port: 8444, targetPort: 'capture', protocol: 'TCP' },
    ]);
    assert.equal(find(objects, 'PodDisruptionBudget')['spec']['maxUnavailable'], 1);
    assert.equal(objects.filter((o) => ['NetworkPolicy', 'ServiceMonitor', 'Certificate'].includes(o.kind)).length, 0);
  });

  it('default: one generated CA signs the serving certificate and is the caBundle of the webhook and the APIService', () => {
    const objects = parseObjects(renderChart());
    const secret = find(objects, 'Secret', 'logistis-tls');
    const pem = (key: string) => Buffer.from(secret['data'][key] as string, 'base64').toString();
    const ca = new X509Certificate(pem('ca.crt'));
    const serving = new X509Certificate(pem('tls.crt'));
    assert.ok(serving.verify(ca.publicKey), 'the serving certificate is signed by the CA');
    assert.ok(serving.checkHost('logistis.logistis-system.svc'), serving.subjectAltName);
    const webhook = find(objects, 'ValidatingWebhookConfiguration', 'logistis')['webhooks'][0];
    assert.equal(webhook['clientConfig']['caBundle'], secret['data']['ca.crt']);
    assert.deepEqual(webhook['clientConfig']['service'], { name: 'logistis', namespace: 'logistis-system', port: 8444, path: '/capture' });
    assert.equal(find(objects, 'APIService', 'v1alpha1.audit.logistis.io')['spec']['caBundle'], secret['data']['ca.crt']);
  });

  it('HA: a Deployment of several replicas over PostgreSQL, an emptyDir for each commit log, the store URL from a Secret', () => {
    const objects = parseObjects(renderChart({ valuesFiles: [HA_VALUES] }));
    assert.equal(objects.filter((o) => o.kind === 'StatefulSet').length, 0);
    const deployment = find(objects, 'Deployment', 'logistis');
    assert.equal(deployment['spec']['replicas'], 3);
    const server = container(deployment);
    assert.ok(!server['args'].some((arg: string) => arg.startsWith('--store=')));
    assert.deepEqual(server['env'], [{ name: 'LOGISTIS_STORE', valueFrom: { secretKeyRef: { name: 'logistis-postgres', key: 'url' } } }]);
    assert.ok(server['args'].includes('--redaction-key-file=/etc/logistis/redaction/key'), 'every replica reads the same key');
    assert.ok(!server['volumeMounts'].some((m: Json) => m['name'] === 'data'));
    assert.ok(server['args'].includes('--log-dir=/var/lib/logistis/commit-log'), server['args'].join(' '));
    assert.ok(server['volumeMounts'].some((m: Json) => m['name'] === 'commit-log' && m['mountPath'] === '/var/lib/logistis'));
    const logVolume = (deployment['spec']['template']['spec']['volumes'] as Json[]).find((v) => v['name'] === 'commit-log');
    assert.deepEqual(logVolume, { name: 'commit-log', emptyDir: { sizeLimit: '9Gi' } });
    assert.equal(find(objects, 'NetworkPolicy')['spec']['ingress'][0]['ports'][0]['port'], 'https');
    assert.equal(find(objects, 'PodDisruptionBudget')['spec']['maxUnavailable'], 1);
    assert.equal(deployment['spec']['strategy']['type'], 'RollingUpdate');
    const args = server['args'] as string[];
    assert.ok(args.includes('--store-password-file=/etc/logistis/postgres/password') && args.includes('--store-tls-ca-file=/etc/logistis/postgres-tls/ca.crt'), args.join(' '));
    assert.ok(!args.some((arg) => arg.startsWith('--store-tls-cert-file')), 'no client certificate unless asked for');
    const volumes = deployment['spec']['template']['spec']['volumes'] as Json[];
    const password = volumes.find((v) => v['name'] === 'postgres-password')!['secret'];
    assert.deepEqual([password['secretName'], password['items']], ['logistis-postgres', [{ key: 'password', path: 'password' }]]);
    assert.equal(volumes.find((v) => v['name'] === 'postgres-tls')!['secret']['secretName'], 'logistis-postgres-tls');
    assert.deepEqual(server['volumeMounts'].filter((m: Json) => m['name'].startsWith('postgres-')).map((m: Json) => m['mountPath']),
      ['/etc/logistis/postgres', '/etc/logistis/postgres-tls']);
    const withCertificate = container(find(parseObjects(renderChart({ valuesFiles: [HA_VALUES], set: ['store.postgres.tlsClientCertificate=true'] })), 'Deployment'));
    assert.ok(withCertificate['args'].includes('--store-tls-cert-file=/etc/logistis/postgres-tls/tls.crt')
      && withCertificate['args'].includes('--store-tls-key-file=/etc/logistis/postgres-tls/tls.key'));
  });

  it('HA with log.persistence.enabled: a StatefulSet whose replicas each get a claim for the commit log, kept on scale-down', () => {
    const objects = parseObjects(renderChart({ valuesFiles: [HA_VALUES], set: ['log.persistence.enabled=true', 'log.persistence.size=20Gi', 'log.persistence.storageClassName=local-ssd'] }));
    assert.equal(objects.filter((o) => o.kind === 'Deployment').length, 0);
    const statefulSet = find(objects, 'StatefulSet', 'logistis');
    assert.equal(statefulSet['spec']['replicas'], 3);
    assert.equal(statefulSet['spec']['podManagementPolicy'], 'Parallel');
    assert.deepEqual(statefulSet['spec']['persistentVolumeClaimRetentionPolicy'], { whenDeleted: 'Retain', whenScaled: 'Retain' });
    const [claim, ...more] = statefulSet['spec']['volumeClaimTemplates'] as Json[];
    assert.equal(more.length, 0);
    assert.equal(claim!['metadata']['name'], 'commit-log');
    assert.equal(claim!['metadata']['labels']['app.kubernetes.io/instance'], 'logistis', 'make undeploy finds it by this label');
    assert.deepEqual(claim!['spec'], { accessModes: ['ReadWriteOnce'], storageClassName: 'local-ssd', resources: { requests: { storage: '20Gi' } } });
    const server = container(statefulSet);
    assert.ok(server['args'].includes('--log-dir=/var/lib/logistis/commit-log'));
    assert.ok(server['volumeMounts'].some((m: Json) => m['name'] === 'commit-log' && m['mountPath'] === '/var/lib/logistis'));
    assert.ok(!(statefulSet['spec']['template']['spec']['volumes'] as Json[]).some((v) => v['name'] === 'commit-log'), 'the claim, not an emptyDir');
    // Provenance at one replica: the StatefulSet already stops the old pod before the new one starts.
    const alone = find(parseObjects(renderChart({ valuesFiles: [HA_VALUES], set: ['log.persistence.enabled=true', 'provenance.enabled=true', 'replicaCount=1'] })), 'StatefulSet');
    assert.equal(alone['spec']['replicas'], 1);
    assert.deepEqual(alone['spec']['updateStrategy'], { type: 'RollingUpdate' });
  });

  it('commit log settings reach the server config; the grace period covers the shutdown grace and the drain', () => {
    const configOf = (objects: K8sObject[]) => parseObjects(find(objects, 'ConfigMap', 'logistis')['data']['config.yaml'])[0] as unknown as Json;
    const defaults = parseObjects(renderChart());
    assert.deepEqual([configOf(defaults)['maxLogBytes'], configOf(defaults)['logDrainTimeout']], ['8GiB', '20s']);
    assert.equal(find(defaults, 'StatefulSet')['spec']['template']['spec']['terminationGracePeriodSeconds'], 45);
    const set = parseObjects(renderChart({ valuesFiles: [HA_VALUES], set: ['log.maxBytes=2GiB', 'log.emptyDir.sizeLimit=3Gi', 'log.drainTimeout=1m', 'terminationGracePeriodSeconds=80'] }));
    assert.deepEqual([configOf(set)['maxLogBytes'], configOf(set)['logDrainTimeout']], ['2GiB', '1m']);
    assert.equal(find(set, 'Deployment')['spec']['template']['spec']['terminationGracePeriodSeconds'], 80);
    const shortGrace = helm(['template', 'logistis', CHART_DIR, '--set', 'log.drainTimeout=1m30s']);
    assert.notEqual(shortGrace.status, 0);
    assert.match(shortGrace.output, /terminationGracePeriodSeconds \(45\) must be at least 103: shutdownGrace \(3s\) \+ log\.drainTimeout \(90s\) \+ 10s/);
    const longShutdown = helm(['template', 'logistis', CHART_DIR, '--set', 'config.shutdownGrace=30s']);
    assert.match(longShutdown.output, /terminationGracePeriodSeconds \(45\) must be at least 60/, 'the shutdown grace given in config counts');
    assert.equal(helm(['template', 'logistis', CHART_DIR, '--set', 'config.shutdownGrace=500ms,log.drainTimeout=31s']).status, 0, '1 + 31 + 10 <= 45');
  });

  it('refuses a commit log volume no larger than log.maxBytes, and sizes and durations the server would not read', () => {
    for (const [set, message] of [
      ['log.emptyDir.sizeLimit=8Gi', /log\.emptyDir\.sizeLimit \(8Gi\) must exceed log\.maxBytes \(8GiB\) by at least 64Mi/],
      ['log.maxBytes=9.5GiB', /log\.emptyDir\.sizeLimit \(9Gi\) must exceed log\.maxBytes \(9\.5GiB\)/],
      ['log.persistence.enabled=true,log.persistence.size=8Gi', /log\.persistence\.size \(8Gi\) must exceed/],
      ['config.maxLogBytes=9Gi', /must exceed log\.maxBytes \(9Gi\)/],
      ['log.maxBytes=8TB', /maxBytes/],
      ['log.maxBytes=1000', /maxBytes/],
      ['log.drainTimeout=soon', /drainTimeout/],
      ['log.emptyDir.sizeLimit=9GiB', /sizeLimit/],
    ] as const) {
      const result = helm(['template', 'logistis', CHART_DIR, '-f', HA_VALUES, '--set', set]);
      assert.notEqual(result.status, 0, `${set} was accepted`);
      assert.match(result.output, message);
    }
    // Decimal units count as such: 9500MB + 64Mi is below 9Gi (9.66e9 bytes).
    assert.equal(helm(['template', 'logistis', CHART_DIR, '-f', HA_VALUES, '--set', 'log.maxBytes=9500MB']).status, 0);
    // The embedded store's log shares the database's volume: no separate size to check.
    assert.equal(helm(['template', 'logistis', CHART_DIR, '--set', 'log.emptyDir.sizeLimit=1Gi']).status, 0);
  });

  it('values reach the webhook, the retention settings and the server config', () => {
    const objects = parseObjects(renderChart({
      set: ['webhook.failurePolicy=Fail', 'webhook.timeoutSeconds=3', 'retention.maxAge=7d', 'retention.maxEventsPerObject=20',
        'capture.recordUnchanged=true', 'config.pruneInterval=5m'],
    }));
    const webhook = find(objects, 'ValidatingWebhookConfiguration')['webhooks'][0];
    assert.equal(webhook['failurePolicy'], 'Fail');
    assert.equal(webhook['timeoutSeconds'], 3);
    const config = parseObjects(find(objects, 'ConfigMap', 'logistis')['data']['config.yaml'])[0] as unknown as Json;
    assert.equal(config['maxAge'], '7d');
    assert.equal(config['maxEventsPerObject'], 20);
    assert.equal(config['recordUnchanged'], true);
    assert.equal(config['pruneInterval'], '5m');
    assert.equal(config['rules'], undefined, 'no rules file unless capture.rules is set');
    assert.equal(config['capturePresets'], undefined, "the server's default presets unless capture.presets is set");
    const presets = parseObjects(renderChart({ set: ['capture.presets={nodes,hpa-scale}'] }));
    assert.equal((parseObjects(find(presets, 'ConfigMap', 'logistis')['data']['config.yaml'])[0] as unknown as Json)['capturePresets'], 'nodes,hpa-scale');
  });

  it('locks.enabled turns on --locks with RBAC to watch Locks, write their status and read the parents of subresources; off by default', () => {
    assert.ok(!container(find(parseObjects(renderChart()), 'StatefulSet'))['args'].includes('--locks'));
    const objects = parseObjects(renderChart({ set: ['locks.enabled=true'] }));
    assert.ok(container(find(objects, 'StatefulSet'))['args'].includes('--locks'));
    const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name.endsWith(':locks')) as unknown as Json;
    assert.deepEqual(role['rules'].map((rule: Json) => rule['resources'][0]), ['locks', 'locks/status', 'pods', 'deployments']);
  });

  it('provenance.enabled turns on --provenance with its window and RBAC to watch everything; over PostgreSQL with one replica only', () => {
    assert.ok(!container(find(parseObjects(renderChart()), 'StatefulSet'))['args'].includes('--provenance'));
    const objects = parseObjects(renderChart({ set: ['provenance.enabled=true', 'provenance.window=45s'] }));
    const args = container(find(objects, 'StatefulSet'))['args'] as string[];
    assert.ok(args.includes('--provenance') && args.includes('--provenance-window=45s'), args.join(' '));
    const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name.endsWith(':provenance')) as unknown as Json;
    assert.deepEqual(role['rules'], [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }]);
    const refused = helm(['template', 'logistis', CHART_DIR, '-f', HA_VALUES, '--set', 'provenance.enabled=true']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.output, /provenance.enabled with store.type postgres needs replicaCount 1/);
    const alone = find(parseObjects(renderChart({ valuesFiles: [HA_VALUES], set: ['provenance.enabled=true', 'replicaCount=1'] })), 'Deployment');
    assert.equal(alone['spec']['replicas'], 1);
    assert.deepEqual(alone['spec']['strategy'], { type: 'Recreate' }, 'the old server stops before the new one watches');
    assert.ok(container(alone)['args'].includes('--provenance'));
  });

  it('locks.strict adds the strict Locks entry, the same as logistis webhook-config --strict-locks renders; off by default', () => {
    const webhooks = (objects: K8sObject[]) => find(objects, 'ValidatingWebhookConfiguration')['webhooks'] as Json[];
    assert.deepEqual(webhooks(parseObjects(renderChart({ set: ['locks.enabled=true'] }))).map((w) => w['name']), ['capture.logistis.io']);
    const chart = webhooks(parseObjects(renderChart({ set: ['locks.enabled=true', 'locks.strict=true'] })));
    assert.deepEqual(chart.map((w) => w['name']), ['capture.logistis.io', 'strict-locks.logistis.io']);
    const capture = chart[0] as Json;
    const rendered = renderWebhookConfiguration({
      service: { name: 'logistis', namespace: capture['clientConfig']['service']['namespace'], port: capture['clientConfig']['service']['port'], path: '/capture' },
      caBundlePem: Buffer.from(capture['clientConfig']['caBundle'], 'base64').toString('utf8'),
      timeoutSeconds: capture['timeoutSeconds'], strictLocks: true,
    }).object.webhooks;
    assert.deepEqual(chart, JSON.parse(JSON.stringify(rendered)));
    const strict = chart[1] as Json;
    assert.equal(strict['failurePolicy'], 'Fail');
    assert.equal(capture['failurePolicy'], 'Ignore', 'capture stays fail-open');
    assert.equal(strict['clientConfig']['service']['path'], '/locks/check');
    const refused = helm(['template', 'x', CHART_DIR, '--set', 'locks.strict=true']);
    assert.notEqual(refused.status, 0);
    assert.match(refused.output, /locks\.strict needs locks\.enabled/);
  });

  it('capture.rules becomes a file in the config and is named in --config', () => {
    const objects = parseObjects(renderChart({ set: ['capture.rules=ignore: []'] }));
    const data = find(objects, 'ConfigMap', 'logistis')['data'];
    assert.equal(data['rules.yaml'].trim(), 'ignore: []');
    assert.equal((parseObjects(data['config.yaml'])[0] as unknown as Json)['rules'], '/etc/logistis/config/rules.yaml');
    assert.ok(container(find(objects, 'StatefulSet'))['args'].includes('--config=/etc/logistis/config/config.yaml'));
  });

  it('webhook client authentication: on when a CA is given, off otherwise, forced off by enabled=false', () => {
    const argsFor = (set: string[]) => container(find(parseObjects(renderChart({ set })), 'StatefulSet'))['args'] as string[];
    const clientAuthArg = (arg: string) => arg.startsWith('--capture-client-ca-file') || arg.startsWith('--capture-allowed-names');
    assert.ok(!argsFor([]).some(clientAuthArg));
    const ca = '-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----';
    const on = argsFor([`webhook.clientAuth.caBundle=${ca}`, 'webhook.clientAuth.allowedNames={kube-apiserver-webhook-client,apiserver}']);
    assert.ok(on.includes('--capture-client-ca-file=/etc/logistis/config/capture-client-ca.crt'), on.join(' '));
    assert.ok(on.includes('--capture-allowed-names=kube-apiserver-webhook-client,apiserver'), on.join(' '));
    assert.ok(!argsFor([`webhook.clientAuth.caBundle=${ca}`, 'webhook.clientAuth.enabled=false']).some(clientAuthArg));
    const missing = helm(['template', 'logistis', CHART_DIR, '--set', 'webhook.clientAuth.enabled=true']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.output, /webhook\.clientAuth\.caBundle .* is required/);
  });

  it('certManager.enabled: a Certificate for the Service name, and the CA injected into the webhook and the APIService', () => {
    const objects = parseObjects(renderChart({ set: ['certManager.enabled=true'] }));
    assert.equal(objects.filter((o) => o.kind === 'Secret' && o.metadata.name === 'logistis-tls').length, 0);
    const serving = find(objects, 'Certificate', 'logistis-serving');
    assert.equal(serving['spec']['secretName'], 'logistis-tls');
    assert.ok(serving['spec']['dnsNames'].includes('logistis.logistis-system.svc'));
    for (const kind of ['ValidatingWebhookConfiguration', 'APIService']) {
      assert.equal(find(objects, kind).metadata.annotations['cert-manager.io/inject-ca-from'], 'logistis-system/logistis-serving');
    }
  });

  it('capture listener (default): its own port on the pod and the Service, the webhook and strict Locks call it', () => {
    const objects = parseObjects(renderChart({ set: ['locks.enabled=true', 'locks.strict=true'] }));
    const server = container(find(objects, 'StatefulSet'));
    assert.ok(server['args'].includes('--listen=0.0.0.0:8443'));
    assert.ok(server['args'].includes('--capture-listen=0.0.0.0:8444'), server['args'].join(' '));
    assert.deepEqual(server['ports'], [
      { name: 'https', containerPort: 8443, protocol: 'TCP' },
      { name: 'capture', containerPort: 8444, protocol: 'TCP' },
    ]);
    assert.equal(server['startupProbe']['httpGet']['port'], 'capture');
    assert.equal(server['livenessProbe']['httpGet']['port'], 'https', 'the main listener must stay alive too');
    const servicePorts = find(objects, 'Service', 'logistis')['spec']['ports'] as Json[];
    const webhooks = find(objects, 'ValidatingWebhookConfiguration')['webhooks'] as Json[];
    assert.deepEqual(webhooks.map((w) => [w['clientConfig']['service']['port'], w['clientConfig']['service']['path']]), [[8444, '/capture'], [8444, '/locks/check']]);
    assert.equal(servicePorts.find((p) => p['port'] === 8444)!['targetPort'], 'capture');
    // Another port number moves all of them.
    const moved = parseObjects(renderChart({ set: ['capture.listener.port=9443'] }));
    assert.ok(container(find(moved, 'StatefulSet'))['args'].includes('--capture-listen=0.0.0.0:9443'));
    assert.equal(find(moved, 'ValidatingWebhookConfiguration')['webhooks'][0]['clientConfig']['service']['port'], 9443);
    assert.deepEqual((find(moved, 'Service')['spec']['ports'] as Json[]).map((p) => p['port']), [443, 9443]);
  });

  it('capture.listener.enabled=false: /capture back on the main port, one Service port, probes on it', () => {
    const objects = parseObjects(renderChart({ set: ['capture.listener.enabled=false', 'capture.networkPolicy.controlPlaneCIDRs={10.0.0.10}'] }));
    const server = container(find(objects, 'StatefulSet'));
    assert.ok(!server['args'].some((arg: string) => arg.startsWith('--capture-listen')));
    assert.deepEqual(server['ports'].map((p: Json) => p['name']), ['https']);
    assert.equal(server['readinessProbe']['httpGet']['port'], 'https');
    assert.deepEqual((find(objects, 'Service')['spec']['ports'] as Json[]).map((p) => p['name']), ['https']);
    assert.equal(find(objects, 'ValidatingWebhookConfiguration')['webhooks'][0]['clientConfig']['service']['port'], 443);
    assert.equal(objects.filter((o) => o.kind === 'NetworkPolicy').length, 0, 'the control-plane CIDRs fence the capture listener only');
  });

  it('capture NetworkPolicy: with control-plane CIDRs only those reach the capture port; the main port stays as networkPolicy says', () => {
    assert.equal(parseObjects(renderChart()).filter((o) => o.kind === 'NetworkPolicy').length, 0, 'no addresses, no policy');
    const ingressOf = (values: Json) => find(parseObjects(renderChart({ valuesFiles: [valuesFile(values)] })), 'NetworkPolicy', 'logistis')['spec']['ingress'] as Json[];
    const rule = (ingress: Json[], port: string) => {
      const found = ingress.filter((r) => r['ports'].some((p: Json) => p['port'] === port));
      assert.equal(found.length, 1, JSON.stringify(ingress));
      assert.deepEqual(found[0]!['ports'], [{ port, protocol: 'TCP' }], 'one port per rule');
      return found[0]!;
    };
    const konnectivity = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'konnectivity-agent' } } };
    const cidrs = ingressOf({ capture: { networkPolicy: { controlPlaneCIDRs: ['10.0.0.10', 'fd00::7', '192.168.4.0/28'], from: [konnectivity] } } });
    assert.deepEqual(rule(cidrs, 'capture')['from'], [
      { ipBlock: { cidr: '10.0.0.10/32' } }, { ipBlock: { cidr: 'fd00::7/128' } }, { ipBlock: { cidr: '192.168.4.0/28' } }, konnectivity,
    ]);
    assert.equal(rule(cidrs, 'https')['from'], undefined, 'the read API port is left open unless networkPolicy.enabled says otherwise');
    // With the main policy too: each port its own peers; the capture port falls back to the main peers when it has none.
    const prometheus = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
    const both = ingressOf({ networkPolicy: { enabled: true, from: [prometheus] }, capture: { networkPolicy: { controlPlaneCIDRs: ['10.0.0.10'] } } });
    assert.deepEqual(rule(both, 'https')['from'], [prometheus]);
    assert.deepEqual(rule(both, 'capture')['from'], [{ ipBlock: { cidr: '10.0.0.10/32' } }]);
    const mainOnly = ingressOf({ networkPolicy: { enabled: true, from: [prometheus] } });
    assert.deepEqual(rule(mainOnly, 'capture')['from'], [prometheus], 'an isolated pod must still admit the webhook');
    const off = parseObjects(renderChart({ set: ['capture.networkPolicy.enabled=false', 'capture.networkPolicy.controlPlaneCIDRs={10.0.0.10}'] }));
    assert.equal(off.filter((o) => o.kind === 'NetworkPolicy').length, 0);
  });

  it('NOTES.txt warns loudly while /capture accepts anyone, says how to find the control plane, and goes quiet once fenced', () => {
    const open = notes();
    assert.match(open, /WARNING: \/capture ACCEPTS ANYONE/);
    assert.match(open, /logistis\.logistis-system\.svc:8444/);
    assert.match(open, /capture\.networkPolicy\.controlPlaneCIDRs is empty/);
    assert.match(open, /kubectl get endpointslices -n default -l kubernetes\.io\/service-name=kubernetes/);
    assert.match(open, /EKS, GKE, AKS:\s+docs\/deploy\.md/);
    const fenced = notes(['capture.networkPolicy.controlPlaneCIDRs={10.0.0.10}']);
    assert.doesNotMatch(fenced, /ACCEPTS ANYONE|controlPlaneCIDRs is empty/);
    assert.match(fenced, /admits only these peers to the capture port[^]*10\.0\.0\.10\/32/);
    const ca = '-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----';
    const clientAuth = notes([`webhook.clientAuth.caBundle=${ca}`]);
    assert.doesNotMatch(clientAuth, /ACCEPTS ANYONE/);
    assert.match(clientAuth, /present one for logistis\.logistis-system\.svc:8444/);
    assert.match(clientAuth, /controlPlaneCIDRs is empty/, 'the missing fence is still said, without the alarm');
    // The capture port on the main port, restricted only by the main policy's peers.
    assert.doesNotMatch(notes(['capture.listener.enabled=false', 'networkPolicy.enabled=true', 'networkPolicy.from[0].ipBlock.cidr=10.0.0.0/24']), /ACCEPTS ANYONE/);
    assert.match(notes(['capture.listener.enabled=false', 'networkPolicy.enabled=true']), /ACCEPTS ANYONE/, 'a policy with no peers restricts nothing');
    assert.match(open, /The capture port admits any source/);
    const mainPeers = notes(['networkPolicy.enabled=true', 'networkPolicy.from[0].ipBlock.cidr=10.0.0.0/24']);
    assert.match(mainPeers, /The capture port admits the main port's peers/);
    assert.doesNotMatch(mainPeers, /ACCEPTS ANYONE/);
    assert.match(notes(['capture.networkPolicy.enabled=false', 'capture.networkPolicy.controlPlaneCIDRs={10.0.0.10}']), /ACCEPTS ANYONE/);
    assert.match(notes(['config.auth=none', 'capture.networkPolicy.controlPlaneCIDRs={10.0.0.10}']), /WARNING: auth is none/);
  });

  it('NOTES.txt says where the commit logs live and what a deleted pod takes with it', () => {
    assert.match(notes(), /commit log next to the database \(\/var\/lib\/logistis\/events\.db-log, on the store's volume\)/);
    const postgres = ['store.type=postgres', 'store.postgres.url=postgres://logistis@db.example/logistis'];
    const emptyDir = notes(postgres);
    assert.match(emptyDir, /an emptyDir \(9Gi\): records PostgreSQL has not taken when a pod is deleted \(after a drain of up to\s+20s\) are lost with it/);
    assert.match(emptyDir, /\/readyz stays ready, reporting the backlog/);
    assert.doesNotMatch(emptyDir, /answers 503 \(docs\/postgresql/);
    const claims = notes([...postgres, 'log.persistence.enabled=true']);
    assert.match(claims, /a PersistentVolumeClaim per replica \(commit-log-<pod>, 9Gi;/);
    assert.doesNotMatch(claims, /lost with it/);
  });

  it('refuses bad values with a message: schema and template checks', () => {
    for (const [set, message] of [
      ['webhook.failurePolicy=Sometimes', /failurePolicy/],
      ['webhook.timeoutSeconds=31', /timeoutSeconds/],
      ['store.type=mysql', /store\/type/],
      ['store.type=postgres', /store\.postgres\.url or store\.postgres\.existingSecret is required/],
      ['capture.networkPolicy.controlPlaneCIDRs={10.0.0.1/2x}', /controlPlaneCIDRs/],
      ['capture.listener.port=8443', /capture\.listener\.port must differ from the main port/],
    ] as const) {
      const result = helm(['template', 'logistis', CHART_DIR, '--set', set]);
      assert.notEqual(result.status, 0, `${set} was accepted`);
      assert.match(result.output, message);
    }
  });

  it('carries identical copies of the webhook, APIService and user ClusterRole templates of deploy/', () => {
    const same = (original: string, copy: string) => assert.equal(
      readFileSync(join(CHART_DIR, copy), 'utf8'), readFileSync(join(ROOT, original), 'utf8'),
      `${copy} differs from ${original}: cp ${original} deploy/helm/logistis/${copy}`);
    same('deploy/webhook/validating-webhook-configuration.yaml', 'files/validating-webhook-configuration.yaml');
    same('deploy/webhook/strict-locks-webhook.yaml', 'files/strict-locks-webhook.yaml');
    same('deploy/apiservice/apiservice.yaml', 'files/apiservice.yaml');
    same('deploy/crd/locks.logistis.io.yaml', 'crds/locks.logistis.io.yaml');
    // The server's own roles are templates of the chart (rbac.yaml, locks-rbac.yaml, provenance-rbac.yaml); the rest are for people.
    const userRoles = readdirSync(join(ROOT, 'deploy/rbac')).filter((file) => !['logistis-server.yaml', 'logistis-locks.yaml', 'logistis-provenance.yaml'].includes(file));
    assert.deepEqual(readdirSync(join(CHART_DIR, 'files/user-roles')).sort(), userRoles.sort());
    for (const file of userRoles) same(`deploy/rbac/${file}`, `files/user-roles/${file}`);
  });

  it('binds the server to the same roles as deploy/rbac/logistis-server.yaml, and nothing more', () => {
    const bindings = (objects: K8sObject[]) => objects
      .filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')
      .map((o) => {
        const binding = o as Json;
        return `${o.kind} ${o.metadata.namespace ?? ''} -> ${binding['roleRef']['kind']} ${binding['roleRef']['name']} for ${binding['subjects'].map((s: Json) => `${s['kind']} ${s['namespace']}/${s['name']}`).join(',')}`;
      }).sort();
    const chart = parseObjects(renderChart());
    const shipped = parseObjects(readFileSync(join(ROOT, 'deploy/rbac/logistis-server.yaml'), 'utf8'));
    assert.deepEqual(bindings(chart), bindings(shipped));
    assert.deepEqual(chart.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name).sort(), ['logistis-metrics-reader', 'logistis-viewer']);
    assert.equal(chart.filter((o) => o.kind === 'Role').length, 0);
  });

  it('deploy/manifests/logistis.yaml is the chart rendered with deploy/manifests/values.yaml (run make manifests)', () => {
    assert.equal(readFileSync(MANIFESTS_FILE, 'utf8'), renderManifests());
    const objects = parseObjects(readFileSync(MANIFESTS_FILE, 'utf8'));
    assert.equal(objects.filter((o) => o.kind === 'Secret').length, 0, 'no key or certificate in a file of the repository');
  });
});
