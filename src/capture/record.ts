// Decides whether an admission request is recorded, and turns it into a normalised, redacted event. Pure.
import type { AdmissionRequest, GroupVersionKind } from '../admission/review.ts';
import { normaliseObject, normaliseOptionsFor, type NormaliseOptions } from '../admission/normalise.ts';
import { isSecret, redactEmbeddedSecrets, redactSecret, type RedactPath, type SecretIdentity } from '../admission/redact.ts';
import { isCredentialReview, redactCredentialFields } from '../admission/credentials.ts';
import { computePatch } from '../history/patch.ts';
import { limitDepthAndFindSecrets } from '../admission/depth.ts';
import type { ChangeOperation, JsonObject, NewChangeEvent } from '../event.ts';
import { BUILT_IN_REDACT_PATHS } from '../rules/rule-set.ts';

export interface CaptureSettings {
  normalise: NormaliseOptions;
  redactionKey: Buffer;
  /** Record UPDATEs whose normalised objects are equal (status-only churn, no-op applies). */
  recordUnchanged: boolean;
  /** Fields fingerprinted per kind (the rule set's redactPaths); absent: the built-in list. */
  redactPaths?: readonly RedactPath[];
}

export type SkipReason = 'dry-run' | 'connect' | 'unchanged' | 'no-object' | 'credential-review' | 'rule';

export type CaptureDecision = { record: true; event: NewChangeEvent } | { record: false; reason: SkipReason };

function metadataOf(object: JsonObject | null): JsonObject {
  const metadata = object?.['metadata'];
  return typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? (metadata as JsonObject) : {};
}

/** The object a Secret fingerprint is keyed for: the request names it; generateName leaves only the object. */
function identityOf(request: AdmissionRequest): SecretIdentity {
  const metadata = metadataOf(request.object ?? request.oldObject);
  const fromObject = (key: string) => (typeof metadata[key] === 'string' ? metadata[key] : '');
  return { namespace: request.namespace || fromObject('namespace'), name: request.name || fromObject('name') };
}

function prepare(object: JsonObject | null, request: AdmissionRequest, settings: CaptureSettings): JsonObject {
  if (!object) return {};
  const normalise = normaliseOptionsFor(request.subResource, settings.normalise);
  return recordedObject(object, request.kind, identityOf(request), normalise === settings.normalise ? settings : { ...settings, normalise });
}

/**
 * An object as capture records it (normalised, credentials and Secret values redacted). The provenance watch
 * normalises what it sees with this too, so a recorded state and a watched one compare equal.
 */
export function recordedObject(object: JsonObject, kind: GroupVersionKind, identity: SecretIdentity, settings: CaptureSettings): JsonObject {
  const secret = isSecret(object, kind);
  const { object: limited, nestedSecret } = limitDepthAndFindSecrets(object);
  // Before normalising, so a folded last-applied annotation is the digest of the redacted manifest.
  const embedded = secret ? limited : redactEmbeddedSecrets(limited, settings.redactPaths ?? BUILT_IN_REDACT_PATHS, settings.redactionKey, identity, nestedSecret);
  const normalised = redactCredentialFields(normaliseObject(embedded, settings.normalise), kind);
  return secret ? redactSecret(normalised, settings.redactionKey, identity) : normalised;
}

/**
 * The object a request changes: for a subresource (deployments/scale) the parent resource, whose kind the
 * caller knows from `parentKind` (the request's own kind, Scale, names only the payload).
 */
function changedObjectType(request: AdmissionRequest, parentKind: string | undefined) {
  if (!request.subResource) return request.kind;
  return { group: request.resource.group, version: request.resource.version, kind: parentKind ?? request.kind.kind };
}

export function decideCapture(request: AdmissionRequest, settings: CaptureSettings, now: Date, parentKind?: string): CaptureDecision {
  if (request.dryRun) return { record: false, reason: 'dry-run' };
  if (request.operation === 'CONNECT') return { record: false, reason: 'connect' };
  if (isCredentialReview(request)) return { record: false, reason: 'credential-review' };
  const operation: ChangeOperation = request.operation;
  const before = operation === 'CREATE' ? {} : prepare(request.oldObject, request, settings);
  const after = operation === 'DELETE' ? {} : prepare(request.object, request, settings);
  const recorded = operation === 'DELETE' ? before : after;
  if (Object.keys(recorded).length === 0) return { record: false, reason: 'no-object' };
  const patch = computePatch(before, after);
  if (operation === 'UPDATE' && patch.length === 0 && !settings.recordUnchanged) {
    return { record: false, reason: 'unchanged' };
  }
  const metadata = metadataOf(recorded);
  const fieldManager = request.options?.['fieldManager'];
  const type = changedObjectType(request, parentKind);
  return {
    record: true,
    event: {
      time: now.toISOString(),
      requestUid: request.uid,
      operation,
      user: request.userInfo,
      group: type.group,
      version: type.version,
      kind: type.kind,
      resource: request.resource.resource,
      subresource: request.subResource,
      namespace: request.namespace || (typeof metadata['namespace'] === 'string' ? metadata['namespace'] : ''),
      name: request.name || (typeof metadata['name'] === 'string' ? metadata['name'] : ''),
      objectUid: typeof metadata['uid'] === 'string' ? metadata['uid'] : '',
      fieldManager: typeof fieldManager === 'string' ? fieldManager : '',
      patch,
      object: recorded,
    },
  };
}
