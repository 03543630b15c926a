// The AdmissionReview mix the capture benchmarks post: Deployment update (~8 KB with managedFields), Pod create
// (~15 KB), ConfigMap create, Secret update and delete. Each review gets a unique request uid and an object drawn
// from a large set (names and namespaces spread over many objects), so no two requests are the same.
//
// Templates come from the AdmissionReviews under test/fixtures/admission/ (captured from a real kube-apiserver) when
// one fits a category: admission.k8s.io/v1, not a dry run or subresource, an UPDATE that changes more than status
// and bookkeeping, and for the two big kinds at least the size the issue sets; the largest such fixture wins.
// Otherwise the template is generated below, in the shape of a real admission.k8s.io/v1 review. Each template is serialised once with placeholder tokens; a request is the
// template's parts joined with the values of its slots, so making one costs a string join, not a JSON round trip.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type MixKind = 'deployment-update' | 'pod-create' | 'configmap-create' | 'secret-update' | 'delete';

/** Share of each kind in the mix, in percent. */
export const MIX_WEIGHTS: Readonly<Record<MixKind, number>> = {
  'deployment-update': 35,
  'pod-create': 20,
  'configmap-create': 20,
  'secret-update': 15,
  delete: 10,
};

export const MIX_KINDS = Object.keys(MIX_WEIGHTS) as MixKind[];

/** Tokens a template carries; each is replaced by the value for one request. */
const SLOTS = {
  uid: '@@REQUEST_UID@@',
  ns: '@@NAMESPACE@@',
  name: '@@NAME@@',
  objUid: '@@OBJECT_UID@@',
  rv: '@@RV@@',
  rvOld: '@@RV_OLD@@',
  rev: '@@REVISION@@',
  revOld: '@@REVISION_OLD@@',
  ts: '@@TIMESTAMP@@',
} as const;
type Slot = keyof typeof SLOTS;
const TOKEN_RE = new RegExp(Object.values(SLOTS).join('|'), 'g');
const SLOT_BY_TOKEN = new Map<string, Slot>(Object.entries(SLOTS).map(([slot, token]) => [token, slot as Slot]));

interface CompiledTemplate {
  kind: MixKind;
  source: 'fixture' | 'generated';
  fixtureFile?: string;
  parts: string[];
  slots: Slot[];
}

export interface Review {
  uid: string;
  kind: MixKind;
  body: string;
}

export interface ReviewSourceOptions {
  /** Distinguishes the request uids of one load generator from another's: 8 hex digits. */
  uidPrefix: string;
  /** Objects per kind over which the requests are spread. */
  objectsPerKind?: number;
  namespaces?: number;
  /** Where the real fixtures live; defaults to test/fixtures/admission beside this directory. */
  fixtureDir?: string;
}

const HERE = import.meta.dirname;
export const DEFAULT_FIXTURE_DIR = join(HERE, '..', 'test', 'fixtures', 'admission');

const MASK_64 = (1n << 64n) - 1n;

/** splitmix64's finaliser: a bijection on 64 bits, so distinct sequence numbers give distinct, scattered values. */
function scatter64(value: bigint): bigint {
  let z = (value + 0x9e3779b97f4a7c15n) & MASK_64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return z ^ (z >> 31n);
}

/**
 * A uuid-shaped request uid, unique per (prefix, sequence), always 36 characters. The bits after the prefix are
 * scattered like the API server's random (version 4) uids, so an index on them sees the same random inserts.
 */
export function requestUid(prefix: string, seq: number): string {
  const hex = scatter64(BigInt(seq)).toString(16).padStart(16, '0');
  return `${prefix}-${hex.slice(0, 4)}-4${hex.slice(4, 7)}-8${hex.slice(7, 10)}-${hex.slice(10, 16)}000000`;
}

function objectUid(kind: MixKind, index: number): string {
  const k = MIX_KINDS.indexOf(kind).toString(16);
  const hex = index.toString(16).padStart(12, '0');
  return `0b1ec700-0000-4000-800${k}-${hex}`;
}

/** A small deterministic PRNG (mulberry32), so runs post the same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function compile(kind: MixKind, review: unknown, source: CompiledTemplate['source'], fixtureFile?: string): CompiledTemplate {
  const text = JSON.stringify(review);
  const parts: string[] = [];
  const slots: Slot[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN_RE)) {
    parts.push(text.slice(last, match.index));
    slots.push(SLOT_BY_TOKEN.get(match[0])!);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  const template: CompiledTemplate = { kind, source, parts, slots };
  if (fixtureFile) template.fixtureFile = fixtureFile;
  return template;
}

// ---------------------------------------------------------------------------------------------------------------
// Real fixtures: any *.json under the fixture directory holding an AdmissionReview whose request matches a category.

type JsonRecord = Record<string, unknown>;
const isRecord = (value: unknown): value is JsonRecord => typeof value === 'object' && value !== null && !Array.isArray(value);

function categorise(review: JsonRecord): MixKind | undefined {
  const request = review['request'];
  // admission.k8s.io/v1 only: kube-apiserver sends v1 to every webhook that lists it, and ours does.
  if (!isRecord(request) || review['kind'] !== 'AdmissionReview' || review['apiVersion'] !== 'admission.k8s.io/v1') return undefined;
  if (request['dryRun'] === true || (request['subResource'] ?? '') !== '') return undefined;
  const kind = isRecord(request['kind']) ? request['kind']['kind'] : undefined;
  const op = request['operation'];
  if (op === 'DELETE') return isRecord(request['oldObject']) ? 'delete' : undefined;
  if (op === 'UPDATE' && !changesSomething(request)) return undefined;
  if (kind === 'Deployment' && op === 'UPDATE') return 'deployment-update';
  if (kind === 'Pod' && op === 'CREATE') return 'pod-create';
  if (kind === 'ConfigMap' && op === 'CREATE') return 'configmap-create';
  if (kind === 'Secret' && op === 'UPDATE') return 'secret-update';
  return undefined;
}

/** An UPDATE that only touches status or bookkeeping would be skipped as unchanged; it is no capture load. */
function changesSomething(request: JsonRecord): boolean {
  const strip = (value: unknown): string => {
    if (!isRecord(value)) return JSON.stringify(value);
    const { status: _status, metadata, ...rest } = value;
    const meta = isRecord(metadata) ? { ...metadata } : {};
    for (const key of ['managedFields', 'resourceVersion', 'generation']) delete meta[key];
    return JSON.stringify({ ...rest, metadata: meta });
  };
  return strip(request['object']) !== strip(request['oldObject']);
}

/**
 * The issue sets sizes for the two big reviews (Deployment update about 8 KB with managedFields, Pod create about
 * 15 KB); a real fixture of a smaller object (e.g. a one-container demo Deployment) would understate the work.
 */
const MIN_FIXTURE_BYTES: Partial<Record<MixKind, number>> = { 'deployment-update': 6000, 'pod-create': 10000 };

function listJson(dir: string, depth = 0): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const entry of entries.sort()) {
    const path = join(dir, entry);
    const stat = statSync(path);
    if (stat.isDirectory() && depth < 4) files.push(...listJson(path, depth + 1));
    else if (entry.endsWith('.json') && stat.size < 4 * 1024 * 1024) files.push(path);
  }
  return files;
}

/** Puts the slot tokens where a real review has its uid, names, namespace, object uid and resource versions. */
function tokeniseFixture(review: JsonRecord): JsonRecord | undefined {
  const request = review['request'] as JsonRecord;
  const name = typeof request['name'] === 'string' ? request['name'] : '';
  const namespace = typeof request['namespace'] === 'string' ? request['namespace'] : '';
  const uid = request['uid'];
  if (typeof uid !== 'string' || !name || !namespace) return undefined;
  const object = (isRecord(request['object']) ? request['object'] : request['oldObject']) as JsonRecord | undefined;
  const meta = isRecord(object?.['metadata']) ? object['metadata'] : {};
  const objUid = typeof meta['uid'] === 'string' ? meta['uid'] : '';
  let text = JSON.stringify(review);
  const swap = (value: string, token: string): void => {
    if (value) text = text.split(JSON.stringify(value)).join(JSON.stringify(token));
  };
  swap(uid, SLOTS.uid);
  swap(name, SLOTS.name);
  swap(namespace, SLOTS.ns);
  swap(objUid, SLOTS.objUid);
  const tokenised = JSON.parse(text) as JsonRecord;
  const tRequest = tokenised['request'] as JsonRecord;
  for (const [key, rvSlot] of [['object', SLOTS.rv], ['oldObject', SLOTS.rvOld]] as const) {
    const obj = tRequest[key];
    if (isRecord(obj) && isRecord(obj['metadata']) && typeof obj['metadata']['resourceVersion'] === 'string') {
      obj['metadata']['resourceVersion'] = rvSlot;
    }
  }
  return tokenised;
}

export interface FixtureScan {
  dir: string;
  files: number;
  used: Partial<Record<MixKind, string>>;
}

function loadFixtureTemplates(dir: string): { templates: Map<MixKind, CompiledTemplate>; scan: FixtureScan } {
  const templates = new Map<MixKind, CompiledTemplate>();
  const scan: FixtureScan = { dir, files: 0, used: {} };
  const best = new Map<MixKind, { size: number; file: string; review: JsonRecord }>();
  for (const file of listJson(dir)) {
    scan.files++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    const candidates = Array.isArray(parsed) ? parsed : [parsed];
    for (const candidate of candidates) {
      if (!isRecord(candidate)) continue;
      const kind = categorise(candidate);
      if (!kind) continue;
      const size = JSON.stringify(candidate).length;
      if (size < (MIN_FIXTURE_BYTES[kind] ?? 0)) continue;
      // The largest real review of a category is the most representative of production objects.
      if ((best.get(kind)?.size ?? -1) < size) best.set(kind, { size, file, review: candidate });
    }
  }
  for (const [kind, { file, review }] of best) {
    const tokenised = tokeniseFixture(review);
    if (!tokenised) continue;
    templates.set(kind, compile(kind, tokenised, 'fixture', file));
    scan.used[kind] = file;
  }
  return { templates, scan };
}

// ---------------------------------------------------------------------------------------------------------------
// Generated templates, shaped like what kube-apiserver sends a validating webhook (admission.k8s.io/v1).

const USERS = [
  { username: 'alice@example.com', uid: 'a11ce000-0000-4000-8000-000000000001', groups: ['platform', 'system:authenticated'] },
  { username: 'system:serviceaccount:argocd:argocd-application-controller', uid: '5a000000-0000-4000-8000-0000000000a0', groups: ['system:serviceaccounts', 'system:serviceaccounts:argocd', 'system:authenticated'] },
  { username: 'bob@example.com', uid: 'b0b00000-0000-4000-8000-000000000002', groups: ['developers', 'system:authenticated'] },
  { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: '5a000000-0000-4000-8000-0000000000b1', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] },
];

function userInfo(index: number): JsonRecord {
  const user = USERS[index % USERS.length]!;
  const extra: JsonRecord = user.username.startsWith('system:serviceaccount:')
    ? { 'authentication.kubernetes.io/credential-id': ['JTI=7f3c1e8a-2b9d-4c6e-9a1f-0d2e3c4b5a69'], 'authentication.kubernetes.io/node-name': ['node-a-1'], 'authentication.kubernetes.io/pod-name': ['controller-0'], 'authentication.kubernetes.io/pod-uid': ['c0ffee00-0000-4000-8000-00000000c0de'] }
    : { 'authentication.kubernetes.io/credential-id': ['X509SHA256=9b1c7d3e5f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c'] };
  return { ...user, extra };
}

function gvr(group: string, version: string, kind: string, resource: string): JsonRecord {
  return {
    kind: { group, version, kind },
    resource: { group, version, resource },
    requestKind: { group, version, kind },
    requestResource: { group, version, resource },
  };
}

function review(request: JsonRecord): JsonRecord {
  return { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: { uid: SLOTS.uid, ...request } };
}

function managedField(manager: string, operation: 'Apply' | 'Update', apiVersion: string, fields: JsonRecord, subresource?: string): JsonRecord {
  const entry: JsonRecord = { manager, operation, apiVersion, time: '2026-05-14T09:12:44Z', fieldsType: 'FieldsV1', fieldsV1: fields };
  if (subresource) entry['subresource'] = subresource;
  return entry;
}

function containerFields(names: string[], lean = false): JsonRecord {
  const out: JsonRecord = {};
  for (const name of names) {
    out[`k:{"name":"${name}"}`] = {
      '.': {}, 'f:env': { '.': {}, 'k:{"name":"LOG_LEVEL"}': { '.': {}, 'f:name': {}, 'f:value': {} }, 'k:{"name":"OTEL_EXPORTER_OTLP_ENDPOINT"}': { '.': {}, 'f:name': {}, 'f:value': {} }, 'k:{"name":"POD_NAME"}': { '.': {}, 'f:name': {}, 'f:valueFrom': { '.': {}, 'f:fieldRef': {} } } },
      'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {},
      'f:ports': { '.': {}, 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {}, 'f:protocol': {} } },
      'f:readinessProbe': { '.': {}, 'f:failureThreshold': {}, 'f:httpGet': { '.': {}, 'f:path': {}, 'f:port': {}, 'f:scheme': {} }, 'f:periodSeconds': {}, 'f:successThreshold': {}, 'f:timeoutSeconds': {} },
      'f:resources': { '.': {}, 'f:limits': { '.': {}, 'f:memory': {} }, 'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} } },
      'f:securityContext': { '.': {}, 'f:allowPrivilegeEscalation': {}, 'f:readOnlyRootFilesystem': {}, 'f:runAsNonRoot': {} },
      'f:terminationMessagePath': {}, 'f:terminationMessagePolicy': {}, 'f:volumeMounts': { '.': {}, 'k:{"mountPath":"/etc/app"}': { '.': {}, 'f:mountPath': {}, 'f:name': {}, 'f:readOnly': {} } },
    };
    if (lean) {
      const fields = out[`k:{"name":"${name}"}`] as JsonRecord;
      delete fields['f:readinessProbe'];
      delete fields['f:securityContext'];
      fields['f:env'] = { '.': {}, 'k:{"name":"LOG_LEVEL"}': { '.': {}, 'f:name': {}, 'f:value': {} } };
    }
  }
  return out;
}

function container(name: string, image: string, extraEnv = 0, lean = false): JsonRecord {
  const env: JsonRecord[] = [
    { name: 'LOG_LEVEL', value: 'info' },
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability.svc:4317' },
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
  ];
  for (let i = 0; i < extraEnv; i++) env.push({ name: `FEATURE_FLAG_${i}`, value: i % 2 ? 'enabled' : 'disabled' });
  if (lean) {
    return {
      name, image, imagePullPolicy: 'IfNotPresent', env: env.slice(0, 1), ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      resources: { limits: { memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } },
      terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
      volumeMounts: [{ name: 'config', mountPath: '/etc/app', readOnly: true }],
    };
  }
  return {
    name, image, imagePullPolicy: 'IfNotPresent', env,
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/readyz', port: 'http', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    resources: { limits: { memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true },
    terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
    volumeMounts: [{ name: 'config', mountPath: '/etc/app', readOnly: true }],
  };
}

function deployment(rv: string, revision: string, image: string, replicas: number): JsonRecord {
  const lastApplied = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { annotations: {}, labels: { app: SLOTS.name, team: 'payments' }, name: SLOTS.name, namespace: SLOTS.ns }, spec: { replicas, selector: { matchLabels: { app: SLOTS.name } }, template: { metadata: { labels: { app: SLOTS.name } }, spec: { containers: [{ name: 'app', image }] } } } });
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: {
      name: SLOTS.name, namespace: SLOTS.ns, uid: SLOTS.objUid, resourceVersion: rv, generation: 7,
      creationTimestamp: '2026-03-02T08:15:31Z',
      labels: { app: SLOTS.name, team: 'payments', 'app.kubernetes.io/managed-by': 'kubectl' },
      annotations: { 'deployment.kubernetes.io/revision': revision, 'kubectl.kubernetes.io/last-applied-configuration': lastApplied + '\n' },
      managedFields: [
        managedField('kubectl-client-side-apply', 'Update', 'apps/v1', { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} }, 'f:labels': { '.': {}, 'f:app': {}, 'f:app.kubernetes.io/managed-by': {}, 'f:team': {} } }, 'f:spec': { 'f:progressDeadlineSeconds': {}, 'f:replicas': {}, 'f:revisionHistoryLimit': {}, 'f:selector': {}, 'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} }, 'f:template': { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': containerFields(['app'], true), 'f:dnsPolicy': {}, 'f:restartPolicy': {}, 'f:schedulerName': {}, 'f:securityContext': {}, 'f:terminationGracePeriodSeconds': {}, 'f:volumes': { '.': {}, 'k:{"name":"config"}': { '.': {}, 'f:configMap': { '.': {}, 'f:defaultMode': {}, 'f:name': {} }, 'f:name': {} } } } } } }),
        managedField('kube-controller-manager', 'Update', 'apps/v1', { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } }, 'f:status': { 'f:availableReplicas': {}, 'f:conditions': { '.': {}, 'k:{"type":"Available"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:lastUpdateTime': {}, 'f:message': {}, 'f:reason': {}, 'f:status': {}, 'f:type': {} } }, 'f:observedGeneration': {}, 'f:readyReplicas': {}, 'f:replicas': {}, 'f:updatedReplicas': {} } }, 'status'),
      ],
    },
    spec: {
      replicas, selector: { matchLabels: { app: SLOTS.name } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      template: {
        metadata: { labels: { app: SLOTS.name } },
        spec: {
          containers: [container('app', image, 0, true)], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst',
          securityContext: {}, schedulerName: 'default-scheduler',
          volumes: [{ name: 'config', configMap: { name: `${SLOTS.name}-config`, defaultMode: 420 } }],
        },
      },
    },
    status: {
      observedGeneration: 7, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3,
      conditions: [
        { type: 'Available', status: 'True', lastUpdateTime: '2026-05-14T09:10:02Z', lastTransitionTime: '2026-05-14T09:10:02Z', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
      ],
    },
  };
}

function generatedDeploymentUpdate(): JsonRecord {
  return review({
    ...gvr('apps', 'v1', 'Deployment', 'deployments'), name: SLOTS.name, namespace: SLOTS.ns, operation: 'UPDATE',
    userInfo: userInfo(0),
    object: deployment(SLOTS.rv, SLOTS.rev, `registry.example.com/payments/api:v1.${SLOTS.rev}.0`, 3),
    oldObject: deployment(SLOTS.rvOld, SLOTS.revOld, `registry.example.com/payments/api:v1.${SLOTS.revOld}.0`, 3),
    dryRun: false,
    options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl-client-side-apply', fieldValidation: 'Strict' },
  });
}

function generatedPodCreate(): JsonRecord {
  const names = ['app', 'envoy', 'log-shipper'];
  const pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: SLOTS.name, generateName: 'api-7c9d8f6b5d-', namespace: SLOTS.ns, uid: SLOTS.objUid, creationTimestamp: SLOTS.ts,
      labels: { app: SLOTS.name, 'pod-template-hash': '7c9d8f6b5d', 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': SLOTS.name, 'service.istio.io/canonical-revision': 'latest' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-05-14T09:12:40Z', 'prometheus.io/path': '/metrics', 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true', 'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["envoy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${SLOTS.name}-7c9d8f6b5d`, uid: '8f14e45f-ceea-467f-a0e6-7d1c5b2e9a31', controller: true, blockOwnerDeletion: true }],
      managedFields: [
        managedField('kube-controller-manager', 'Update', 'v1', { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/restartedAt': {} }, 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} }, 'f:ownerReferences': { '.': {}, 'k:{"uid":"8f14e45f-ceea-467f-a0e6-7d1c5b2e9a31"}': {} } }, 'f:spec': { 'f:containers': containerFields(names), 'f:dnsPolicy': {}, 'f:enableServiceLinks': {}, 'f:initContainers': containerFields(['istio-init']), 'f:restartPolicy': {}, 'f:schedulerName': {}, 'f:securityContext': {}, 'f:terminationGracePeriodSeconds': {}, 'f:volumes': { '.': {}, 'k:{"name":"config"}': { '.': {}, 'f:configMap': { '.': {}, 'f:defaultMode': {}, 'f:name': {} }, 'f:name': {} } } } }),
      ],
    },
    spec: {
      volumes: [
        { name: 'config', configMap: { name: `${SLOTS.name}-config`, defaultMode: 420 } },
        { name: 'workload-socket', emptyDir: {} }, { name: 'credential-socket', emptyDir: {} }, { name: 'workload-certs', emptyDir: {} },
        { name: 'istio-envoy', emptyDir: { medium: 'Memory' } }, { name: 'istio-data', emptyDir: {} },
        { name: 'istio-podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }, { path: 'annotations', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.annotations' } }], defaultMode: 420 } },
        { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }], defaultMode: 420 } },
        { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert', defaultMode: 420 } },
        { name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }], defaultMode: 420 } },
      ],
      initContainers: [{ ...container('istio-init', 'docker.io/istio/proxyv2:1.24.2'), args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--log_output_level=default:info'] }],
      containers: [container('app', 'registry.example.com/payments/api:v1.42.0', 16), { ...container('envoy', 'docker.io/istio/proxyv2:1.24.2', 8), args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'] }, container('log-shipper', 'docker.io/fluent/fluent-bit:3.2.4', 4)],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', serviceAccountName: 'payments-api', serviceAccount: 'payments-api',
      securityContext: { fsGroup: 1337 }, schedulerName: 'default-scheduler', enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority', priority: 0,
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: SLOTS.name } }, topologyKey: 'kubernetes.io/hostname' } }] } },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: SLOTS.name } } }],
    },
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
  return review({
    ...gvr('', 'v1', 'Pod', 'pods'), name: SLOTS.name, namespace: SLOTS.ns, operation: 'CREATE',
    userInfo: userInfo(3), object: pod, oldObject: null, dryRun: false,
    options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
  });
}

function generatedConfigMapCreate(): JsonRecord {
  const config = ['server:', '  port: 8080', '  readTimeout: 5s', 'database:', `  host: postgres.${SLOTS.ns}.svc`, '  pool: 20', 'features:', '  ledger: true', '  refunds: false', ''].join('\n');
  return review({
    ...gvr('', 'v1', 'ConfigMap', 'configmaps'), name: SLOTS.name, namespace: SLOTS.ns, operation: 'CREATE',
    userInfo: userInfo(1),
    object: {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: {
        name: SLOTS.name, namespace: SLOTS.ns, uid: SLOTS.objUid, creationTimestamp: SLOTS.ts,
        labels: { 'app.kubernetes.io/instance': 'payments', 'app.kubernetes.io/part-of': 'payments', 'argocd.argoproj.io/instance': 'payments' },
        managedFields: [managedField('argocd-controller', 'Apply', 'v1', { 'f:data': { 'f:app.yaml': {}, 'f:LOG_FORMAT': {} }, 'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/instance': {}, 'f:app.kubernetes.io/part-of': {}, 'f:argocd.argoproj.io/instance': {} } } })],
      },
      data: { 'app.yaml': config, LOG_FORMAT: 'json' },
    },
    oldObject: null, dryRun: false,
    options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'argocd-controller' },
  });
}

function secret(rv: string, revision: string): JsonRecord {
  const password = Buffer.from(`s3cr3t-${revision}-0123456789abcdef`).toString('base64');
  const data = { 'password': password, 'username': Buffer.from('payments').toString('base64'), 'ca.crt': Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUe1o2n3f4x5y6z7a8b9c0d1e2f3gwCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n').toString('base64') };
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: {
      name: SLOTS.name, namespace: SLOTS.ns, uid: SLOTS.objUid, resourceVersion: rv, creationTimestamp: '2026-03-02T08:15:31Z',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', data, kind: 'Secret', metadata: { annotations: {}, name: SLOTS.name, namespace: SLOTS.ns }, type: 'Opaque' }) + '\n' },
      managedFields: [managedField('kubectl-client-side-apply', 'Update', 'v1', { 'f:data': { '.': {}, 'f:ca.crt': {}, 'f:password': {}, 'f:username': {} }, 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } }, 'f:type': {} })],
    },
    data,
  };
}

function generatedSecretUpdate(): JsonRecord {
  return review({
    ...gvr('', 'v1', 'Secret', 'secrets'), name: SLOTS.name, namespace: SLOTS.ns, operation: 'UPDATE',
    userInfo: userInfo(2), object: secret(SLOTS.rv, SLOTS.rev), oldObject: secret(SLOTS.rvOld, SLOTS.revOld), dryRun: false,
    options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'kubectl-client-side-apply', fieldValidation: 'Strict' },
  });
}

function generatedDelete(): JsonRecord {
  return review({
    ...gvr('apps', 'v1', 'Deployment', 'deployments'), name: SLOTS.name, namespace: SLOTS.ns, operation: 'DELETE',
    userInfo: userInfo(2), object: null,
    oldObject: deployment(SLOTS.rvOld, SLOTS.revOld, `registry.example.com/payments/api:v1.${SLOTS.revOld}.0`, 3),
    dryRun: false,
    options: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', propagationPolicy: 'Background' },
  });
}

const GENERATED: Record<MixKind, () => JsonRecord> = {
  'deployment-update': generatedDeploymentUpdate,
  'pod-create': generatedPodCreate,
  'configmap-create': generatedConfigMapCreate,
  'secret-update': generatedSecretUpdate,
  delete: generatedDelete,
};

const NAME_PREFIX: Record<MixKind, string> = {
  'deployment-update': 'api',
  'pod-create': 'api-7c9d8f6b5d',
  'configmap-create': 'settings',
  'secret-update': 'db-credentials',
  delete: 'worker',
};

// ---------------------------------------------------------------------------------------------------------------

export interface TemplateInfo {
  kind: MixKind;
  source: 'fixture' | 'generated';
  fixtureFile?: string;
  /** Bytes of one request body of this kind. */
  bytes: number;
}

/** Makes the review bodies of the mix, one after another, each with a new uid. */
export class ReviewSource {
  readonly templates: Map<MixKind, CompiledTemplate>;
  readonly scan: FixtureScan;
  private readonly schedule: MixKind[];
  private readonly uidPrefix: string;
  private readonly objectsPerKind: number;
  private readonly namespaces: number;
  private seq = 0;
  private readonly counters = new Map<MixKind, number>();
  private readonly created = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  constructor(options: ReviewSourceOptions) {
    if (!/^[0-9a-f]{8}$/.test(options.uidPrefix)) throw new Error(`uidPrefix must be 8 hex digits, got "${options.uidPrefix}"`);
    this.uidPrefix = options.uidPrefix;
    this.objectsPerKind = options.objectsPerKind ?? 2000;
    this.namespaces = options.namespaces ?? 100;
    const { templates, scan } = loadFixtureTemplates(options.fixtureDir ?? DEFAULT_FIXTURE_DIR);
    for (const kind of MIX_KINDS) {
      if (!templates.has(kind)) templates.set(kind, compile(kind, GENERATED[kind](), 'generated'));
    }
    this.templates = templates;
    this.scan = scan;
    // A fixed interleaving of 100 slots with the mix's weights, so any window of 100 requests has the exact mix.
    const rand = prng(0x10615715);
    const schedule: MixKind[] = [];
    for (const kind of MIX_KINDS) for (let i = 0; i < MIX_WEIGHTS[kind]; i++) schedule.push(kind);
    for (let i = schedule.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [schedule[i], schedule[j]] = [schedule[j]!, schedule[i]!];
    }
    this.schedule = schedule;
  }

  info(): TemplateInfo[] {
    return MIX_KINDS.map((kind) => {
      const t = this.templates.get(kind)!;
      const sample = this.render(t, requestUid(this.uidPrefix, 0), 0, 1);
      const info: TemplateInfo = { kind, source: t.source, bytes: Buffer.byteLength(sample) };
      if (t.fixtureFile) info.fixtureFile = t.fixtureFile;
      return info;
    });
  }

  /** Average request body bytes over the mix. */
  averageBytes(): number {
    let total = 0;
    for (const info of this.info()) total += info.bytes * MIX_WEIGHTS[info.kind];
    return total / 100;
  }

  next(): Review {
    const seq = this.seq++;
    const kind = this.schedule[seq % this.schedule.length]!;
    const count = this.counters.get(kind) ?? 0;
    this.counters.set(kind, count + 1);
    // Spread over many objects: object index advances by a stride coprime with the object count.
    const objectIndex = (count * 7919) % this.objectsPerKind;
    const round = Math.floor(count / this.objectsPerKind) + 1;
    const uid = requestUid(this.uidPrefix, seq);
    return { uid, kind, body: this.render(this.templates.get(kind)!, uid, objectIndex, round) };
  }

  private render(t: CompiledTemplate, uid: string, objectIndex: number, round: number): string {
    const name = `${NAME_PREFIX[t.kind]}-${objectIndex.toString(36).padStart(4, '0')}`;
    const ns = `team-${(objectIndex % this.namespaces).toString().padStart(3, '0')}`;
    const rv = 100000 + objectIndex * 1000 + round * 2;
    const values: Record<Slot, string> = {
      uid, ns, name, objUid: objectUid(t.kind, objectIndex),
      rv: String(rv), rvOld: String(rv - 1), rev: String(round + 1), revOld: String(round), ts: this.created,
    };
    let out = t.parts[0]!;
    for (let i = 0; i < t.slots.length; i++) out += values[t.slots[i]!] + t.parts[i + 1]!;
    return out;
  }
}
