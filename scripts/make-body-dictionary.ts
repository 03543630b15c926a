// Writes src/store/body-dictionary-v1.ts: a zstd raw-content dictionary of typical normalised objects
// and patches. The objects below are written here, as kube-apiserver defaults them, and are deliberately not the
// recorded fixtures that tests and benchmarks use, so the benchmark's storage number is not flattered.
// Stored bodies name the dictionary they were compressed with: a released dictionary must never change; make a
// v2 (and register it in body-dictionary.ts) instead of regenerating v1.
import { writeFileSync } from 'node:fs';

const meta = (kind: string, apiVersion: string, name: string, extra: object = {}) => ({
  apiVersion, kind,
  metadata: { name, namespace: 'team', uid: '00000000-0000-4000-8000-000000000000', creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'shop' }, ...extra },
});
const lastApplied = (object: object) => ({ annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(object)}\n` } });
const container = (name: string) => ({
  name, image: `registry.example.org/${name}:1.0.0`, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
  env: [{ name: 'LOG_LEVEL', value: 'info' }], resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
  livenessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
  readinessProbe: { httpGet: { path: '/readyz', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
  volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
  terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent',
});
const podSpec = (name: string) => ({
  volumes: [{ name: 'config', configMap: { name, defaultMode: 420 } }], containers: [container(name)],
  restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', serviceAccountName: name, serviceAccount: name,
  securityContext: {}, schedulerName: 'default-scheduler', enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0,
  tolerations: [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ],
});
const template = (name: string) => ({ metadata: { creationTimestamp: null, labels: { 'app.kubernetes.io/name': name } }, spec: podSpec(name) });
const deploymentSpec = { replicas: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'cart' } }, template: template('cart') };

const objects: object[] = [
  { ...meta('Role', 'rbac.authorization.k8s.io/v1', 'reader'), rules: [{ apiGroups: [''], resources: ['pods', 'services', 'configmaps'], verbs: ['get', 'list', 'watch'] }] },
  { ...meta('RoleBinding', 'rbac.authorization.k8s.io/v1', 'reader'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'carol' }, { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'sre' }] },
  { ...meta('Ingress', 'networking.k8s.io/v1', 'cart'), spec: { ingressClassName: 'nginx', rules: [{ host: 'cart.example.org', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'cart', port: { number: 80 } } } }] } }] } },
  { ...meta('Job', 'batch/v1', 'migrate'), spec: { parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed', manualSelector: false, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': '00000000-0000-4000-8000-000000000001' } }, template: template('migrate') } },
  { ...meta('StatefulSet', 'apps/v1', 'db'), spec: { replicas: 3, serviceName: 'db', podManagementPolicy: 'OrderedReady', revisionHistoryLimit: 10, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, selector: { matchLabels: { 'app.kubernetes.io/name': 'db' } }, template: template('db'), volumeClaimTemplates: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, volumeMode: 'Filesystem' } }] } },
  { ...meta('Service', 'v1', 'cart'), spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None', selector: { 'app.kubernetes.io/name': 'cart' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] } },
  { ...meta('Secret', 'v1', 'cart-credentials'), type: 'Opaque', data: { password: 'redacted:hmac-sha256:000000000000000000000000', username: 'redacted:hmac-sha256:000000000000000000000000' } },
  { ...meta('ConfigMap', 'v1', 'cart', lastApplied({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cart', namespace: 'team' }, data: { 'app.yaml': 'level: info\n' } })), data: { 'app.yaml': 'level: info\n' } },
  { ...meta('Pod', 'v1', 'cart-7d9f8b6c5-x2x4z', { generateName: 'cart-7d9f8b6c5-', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-7d9f8b6c5', uid: '00000000-0000-4000-8000-000000000002', controller: true, blockOwnerDeletion: true }] }), spec: podSpec('cart') },
  { ...meta('Deployment', 'apps/v1', 'cart', { ...lastApplied({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: 'team' }, spec: deploymentSpec }) }), spec: { ...deploymentSpec, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 } },
];
const parts = objects.map((object, index) => JSON.stringify(index % 2 ? { patch: [{ op: 'replace', path: '/spec/replicas', value: 3 }, { op: 'add', path: '/metadata/labels/tier', value: 'web' }], object } : { object }));
const dictionary = Buffer.from(parts.join(''));
const out = new URL('../src/store/body-dictionary-v1.ts', import.meta.url);
writeFileSync(out, `// Generated by scripts/make-body-dictionary.ts. Never edit or regenerate once released: stored bodies depend on it.
export const BODY_DICTIONARY_V1 = Buffer.from(
  '${dictionary.toString('base64')}',
  'base64',
);
`);
console.error(`wrote ${out.pathname}: ${dictionary.length} bytes`);
