// Built-in capture rules for the noise users complain about most, each switchable by name. They run after the
// user's own rules, so an include rule can bring back anything a preset hides. Pure.
import { isDeepStrictEqual } from 'node:util';
import { normaliseObject, type NormaliseOptions } from '../admission/normalise.ts';
import type { AdmissionRequest } from '../admission/review.ts';
import { isObject, type JsonObject } from '../event.ts';
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
  predicate?: (normalise: NormaliseOptions) => RequestPredicate;
}

const METADATA_ONLY_NOISE = new Set(['annotations', 'labels', 'managedFields', 'resourceVersion', 'generation']);

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
    description: "skip a service account's update that only touches labels or annotations (an operator's reconcile loop)",
    spec: { name: 'operator-reconcile', action: 'exclude', operations: ['UPDATE'], users: ['system:serviceaccount:*'] },
    predicate: () => (request: AdmissionRequest) => !!request.object && !!request.oldObject && onlyLabelsOrAnnotationsDiffer(request.oldObject, request.object),
  },
  'no-op-updates': {
    description: 'skip updates that change nothing once normalised (status churn, re-applying the same manifest)',
    spec: { name: 'no-op-updates', action: 'exclude', operations: ['UPDATE'] },
    predicate: (normalise) => (request: AdmissionRequest) => !!request.object && !!request.oldObject
      && isDeepStrictEqual(normaliseObject(request.oldObject, normalise), normaliseObject(request.object, normalise)),
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

/** The enabled presets as rules, in their fixed order (exec, the only include, first). */
export function compilePresets(enabled: readonly PresetName[], normalise: NormaliseOptions): CompiledRule[] {
  return PRESET_NAMES.filter((name) => enabled.includes(name))
    .map((name, index) => compileRule(PRESETS[name].spec, index, PRESETS[name].predicate?.(normalise)));
}
