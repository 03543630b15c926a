// Built-in capture rules for the noise users complain about most, each switchable by name. They run after the
// user's own rules, so an include rule can bring back anything a preset hides. Pure.
import { isDeepStrictEqual } from 'node:util';
import { normaliseObject, normaliseOptionsFor, STATUS_PAYLOAD_SUBRESOURCES, type NormaliseOptions } from '../admission/normalise.ts';
import type { AdmissionRequest } from '../admission/review.ts';
import { isObject, type JsonObject } from '../event.ts';
import { compileNames, type NameMatcher } from './glob.ts';
import { compileRule, type CompiledRule, type RequestPredicate, type RuleSpec } from './rules.ts';

export const PRESET_NAMES = ['exec', 'system-controllers', 'nodes', 'hpa-scale', 'operator-reconcile', 'no-op-updates'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** On unless switched off; `exec` is opt-in because it also needs CONNECT in the webhook registration. */
export const DEFAULT_PRESETS: readonly PresetName[] = ['system-controllers', 'nodes', 'hpa-scale', 'operator-reconcile', 'no-op-updates'];

export const CONNECT_SUBRESOURCES = ['exec', 'attach', 'portforward'] as const;

interface Preset {
  description: string;
  spec: RuleSpec;
  /** Needs the objects' contents: cannot become a webhook matchCondition. */
  predicate?: (context: PresetContext) => RequestPredicate;
}

const METADATA_ONLY_NOISE = new Set(['annotations', 'labels', 'managedFields', 'resourceVersion', 'generation']);

/**
 * Label and annotation keys (globs) whose change is always recorded, whoever makes it: the operator-reconcile
 * preset never hides a change to one of them. Each changes what a workload may do (pod security, RBAC, ingress
 * configuration, cloud identity, which CA a webhook trusts). `kinds`/`apiGroups` narrow an entry (absent: every
 * kind). The rules file adds its own entries under `alwaysRecord` (docs/capture-rules.md).
 */
export interface AlwaysRecordedKeys {
  labels?: readonly string[];
  annotations?: readonly string[];
  apiGroups?: readonly string[];
  kinds?: readonly string[];
}

export const ALWAYS_RECORDED_METADATA: readonly AlwaysRecordedKeys[] = [
  // Pod Security Admission: enforce/audit/warn levels and versions, on namespaces.
  { labels: ['pod-security.kubernetes.io/*'], annotations: ['pod-security.kubernetes.io/*'] },
  // A ClusterRole carrying an aggregate-to-* label joins its rules to admin, edit, view or any aggregated role.
  { labels: ['rbac.authorization.k8s.io/aggregate-to-*'] },
  // ingress-nginx snippets are raw NGINX configuration (CVE-2021-25742); NGINX Inc.'s controller has its own.
  { annotations: ['nginx.ingress.kubernetes.io/*snippet*', 'nginx.org/*-snippets'] },
  // Which service account a token Secret belongs to, and the cloud identity a service account assumes.
  {
    labels: ['azure.workload.identity/*'],
    annotations: ['kubernetes.io/service-account.*', 'eks.amazonaws.com/role-arn', 'iam.gke.io/gcp-service-account', 'azure.workload.identity/*'],
  },
  // cert-manager's cainjector writes the named CA into a webhook's, CRD's or APIService's caBundle.
  { annotations: ['cert-manager.io/inject-ca-from*', 'cert-manager.io/inject-apiserver-ca'] },
  // Kubernetes' own keys on a namespace: pod security, the node selector, the default tolerations.
  {
    apiGroups: [''], kinds: ['Namespace'],
    labels: ['kubernetes.io/*', '*.kubernetes.io/*', 'k8s.io/*', '*.k8s.io/*'],
    annotations: ['kubernetes.io/*', '*.kubernetes.io/*', 'k8s.io/*', '*.k8s.io/*'],
  },
];

/** True when a changed label (or annotation) key of this kind is always recorded. */
export type AlwaysRecordedTest = (field: 'labels' | 'annotations', key: string, group: string, kind: string) => boolean;

export function compileAlwaysRecorded(entries: readonly AlwaysRecordedKeys[]): AlwaysRecordedTest {
  const compiled = entries.map((entry) => ({
    labels: entry.labels?.length ? compileNames(entry.labels) : undefined,
    annotations: entry.annotations?.length ? compileNames(entry.annotations) : undefined,
    apiGroups: entry.apiGroups?.length ? compileNames(entry.apiGroups) : undefined,
    kinds: entry.kinds?.length ? compileNames(entry.kinds) : undefined,
  }));
  return (field, key, group, kind) => compiled.some((entry) => {
    const keys: NameMatcher | undefined = entry[field];
    return !!keys && keys(key) && (!entry.apiGroups || entry.apiGroups(group)) && (!entry.kinds || entry.kinds(kind));
  });
}

/** Equal apart from metadata.labels, metadata.annotations and what normalising drops anyway. */
function onlyLabelsOrAnnotationsDiffer(before: JsonObject, after: JsonObject): boolean {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (key === 'status') continue;
    if (key !== 'metadata') {
      if (!isDeepStrictEqual(before[key], after[key])) return false;
      continue;
    }
    const oldMetadata = isObject(before[key]) ? before[key] : {};
    const newMetadata = isObject(after[key]) ? after[key] : {};
    for (const field of new Set([...Object.keys(oldMetadata), ...Object.keys(newMetadata)])) {
      if (!METADATA_ONLY_NOISE.has(field) && !isDeepStrictEqual(oldMetadata[field], newMetadata[field])) return false;
    }
  }
  return true;
}

function metadataMap(object: JsonObject, field: 'labels' | 'annotations'): JsonObject {
  const metadata = object['metadata'];
  const map = isObject(metadata) ? metadata[field] : undefined;
  return isObject(map) ? map : {};
}

/** Whether the update adds, removes or changes a label or annotation that is always recorded. */
function touchesAlwaysRecorded(request: AdmissionRequest, before: JsonObject, after: JsonObject, alwaysRecorded: AlwaysRecordedTest): boolean {
  const { group, kind } = request.kind;
  for (const field of ['labels', 'annotations'] as const) {
    const oldMap = metadataMap(before, field);
    const newMap = metadataMap(after, field);
    for (const key of Object.keys(newMap)) {
      if ((!Object.hasOwn(oldMap, key) || !isDeepStrictEqual(oldMap[key], newMap[key])) && alwaysRecorded(field, key, group, kind)) return true;
    }
    for (const key of Object.keys(oldMap)) {
      if (!Object.hasOwn(newMap, key) && alwaysRecorded(field, key, group, kind)) return true;
    }
  }
  return false;
}

/** Redact paths as the rules file writes them (`redactPaths`), before parsing. */
export interface RedactPathsEntry {
  apiGroups: readonly string[];
  kinds: readonly string[];
  paths: readonly string[];
}

/**
 * Always redacted, on top of Secrets and every Secret manifest nested in any object (admission/redact.ts): the
 * fields in which common operators' kinds carry a Secret's values in the clear. Only what is listed here; a
 * Helm values blob is configuration and is not redacted whole (list its secret keys in the rules file).
 */
export const OPERATOR_REDACT_PATHS: readonly RedactPathsEntry[] = [
  // external-secrets.io: the template of the Secret to make; its data values are Go templates, often literals.
  {
    apiGroups: ['external-secrets.io'], kinds: ['ExternalSecret'],
    paths: ['/spec/target/template/data/*', '/spec/target/template/templateFrom/*/literal'],
  },
  {
    apiGroups: ['external-secrets.io'], kinds: ['ClusterExternalSecret'],
    paths: ['/spec/externalSecretSpec/target/template/data/*', '/spec/externalSecretSpec/target/template/templateFrom/*/literal'],
  },
  { apiGroups: ['external-secrets.io'], kinds: ['PushSecret'], paths: ['/spec/template/data/*'] },
  // Sealed Secrets: encryptedData is ciphertext (kept); the template's data is added to the Secret unencrypted.
  { apiGroups: ['bitnami.com'], kinds: ['SealedSecret'], paths: ['/spec/template/data/*'] },
];

/** What a preset's predicate is built from. */
interface PresetContext {
  normalise: NormaliseOptions;
  alwaysRecorded: AlwaysRecordedTest;
}

const PRESETS: Record<PresetName, Preset> = {
  'exec': {
    description: 'record kubectl exec, attach and port-forward (CONNECT on pods/exec, pods/attach, pods/portforward) with the command and container',
    spec: { name: 'exec', action: 'include', operations: ['CONNECT'], apiGroups: [''], resources: ['pods'], subresources: [...CONNECT_SUBRESOURCES] },
  },
  'system-controllers': {
    description: "skip changes by the control plane's controllers and scheduler (kube-system service accounts)",
    spec: {
      name: 'system-controllers', action: 'exclude',
      users: ['system:kube-controller-manager', 'system:kube-scheduler', 'system:serviceaccount:kube-system:*'],
    },
  },
  'nodes': {
    description: "skip changes by kubelets (system:node:*): their node and pod status, mirror pods, leases",
    spec: { name: 'nodes', action: 'exclude', users: ['system:node:*'] },
  },
  'hpa-scale': {
    description: 'skip replica changes the HorizontalPodAutoscaler makes through the scale subresource',
    spec: {
      name: 'hpa-scale', action: 'exclude', operations: ['UPDATE'], subresources: ['scale'],
      users: ['system:serviceaccount:kube-system:horizontal-pod-autoscaler', 'system:kube-controller-manager'],
    },
  },
  'operator-reconcile': {
    description: "skip a service account's update that only touches labels or annotations (an operator's reconcile loop), unless it touches an always-recorded one",
    spec: { name: 'operator-reconcile', action: 'exclude', operations: ['UPDATE'], users: ['system:serviceaccount:*'] },
    // A CSR approval's change is all status, which this preset otherwise passes over: never an operator's churn.
    predicate: ({ alwaysRecorded }) => (request: AdmissionRequest) => !!request.object && !!request.oldObject
      && !STATUS_PAYLOAD_SUBRESOURCES.has(request.subResource)
      && onlyLabelsOrAnnotationsDiffer(request.oldObject, request.object)
      && !touchesAlwaysRecorded(request, request.oldObject, request.object, alwaysRecorded),
  },
  'no-op-updates': {
    description: 'skip updates that change nothing once normalised (status churn, re-applying the same manifest)',
    spec: { name: 'no-op-updates', action: 'exclude', operations: ['UPDATE'] },
    predicate: ({ normalise }) => (request: AdmissionRequest) => {
      if (!request.object || !request.oldObject) return false;
      const options = normaliseOptionsFor(request.subResource, normalise);
      return isDeepStrictEqual(normaliseObject(request.oldObject, options), normaliseObject(request.object, options));
    },
  },
};

export function presetSpec(name: PresetName): RuleSpec {
  return PRESETS[name].spec;
}

/** Whether the API server can evaluate the preset itself (a matchCondition over `request` only). */
export function presetNeedsObject(name: PresetName): boolean {
  return PRESETS[name].predicate !== undefined;
}

/** Parses `a,b,c` or `none`; throws naming an unknown preset. */
export function parsePresetList(text: string): PresetName[] {
  const trimmed = text.trim();
  if (trimmed === 'none' || trimmed === '') return [];
  const names = trimmed.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!(PRESET_NAMES as readonly string[]).includes(name)) throw new Error(`unknown preset "${name}"; use ${PRESET_NAMES.join(', ')} or none`);
  }
  return [...new Set(names)] as PresetName[];
}

/**
 * The enabled presets as rules, in their fixed order (exec, the only include, first). `alwaysRecorded`: the
 * keys operator-reconcile never hides (ALWAYS_RECORDED_METADATA plus the rules file's `alwaysRecord`).
 */
export function compilePresets(enabled: readonly PresetName[], normalise: NormaliseOptions, alwaysRecorded: readonly AlwaysRecordedKeys[] = ALWAYS_RECORDED_METADATA): CompiledRule[] {
  const context: PresetContext = { normalise, alwaysRecorded: compileAlwaysRecorded(alwaysRecorded) };
  return PRESET_NAMES.filter((name) => enabled.includes(name))
    .map((name, index) => compileRule(PRESETS[name].spec, index, PRESETS[name].predicate?.(context)));
}
