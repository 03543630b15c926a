// Kinds that are questions about credentials, never stored, and the few credential fields that other kinds
// carry, replaced by a marker before anything is stored or logged. Secrets have their own redaction
// (redact.ts); this is the rest of the list, kept short and documented in the README's security section. Pure.
import { isObject, setOwn, type JsonObject } from '../event.ts';
import type { AdmissionRequest, GroupVersionKind } from './review.ts';

/**
 * authentication.k8s.io (TokenReview, TokenRequest, SelfSubjectReview) and authorization.k8s.io
 * (SubjectAccessReview, SelfSubjectAccessReview, LocalSubjectAccessReview, SelfSubjectRulesReview) hold
 * bearer tokens or describe what a credential may do; serviceaccounts/token mints a token. None is a change
 * to cluster state that a person would look up in history.
 */
const CREDENTIAL_GROUPS = new Set(['authentication.k8s.io', 'authorization.k8s.io']);

export function isCredentialReview(request: Pick<AdmissionRequest, 'kind' | 'resource' | 'subResource'>): boolean {
  if (CREDENTIAL_GROUPS.has(request.kind.group) || CREDENTIAL_GROUPS.has(request.resource.group)) return true;
  return request.resource.group === '' && request.resource.resource === 'serviceaccounts' && request.subResource === 'token';
}

export const REDACTED_CREDENTIAL = 'redacted:credential';

/**
 * Fields that hold a credential in kinds other than Secret. A second line of defence behind
 * isCredentialReview (a kind that moves group, an aggregated API that copies the shape). A
 * CertificateSigningRequest holds only a public key and public certificates, so nothing of it is listed.
 */
export const CREDENTIAL_FIELDS: readonly { group: string; kind: string; path: readonly string[] }[] = [
  { group: 'authentication.k8s.io', kind: 'TokenReview', path: ['spec', 'token'] },
  { group: 'authentication.k8s.io', kind: 'TokenRequest', path: ['status', 'token'] },
];

function redactPath(object: JsonObject, path: readonly string[]): JsonObject {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(object, head)) return object;
  const copy: JsonObject = { ...object };
  const value = object[head];
  if (rest.length === 0) setOwn(copy, head, value === undefined || value === null || value === '' ? value : REDACTED_CREDENTIAL);
  else if (isObject(value)) setOwn(copy, head, redactPath(value, rest));
  return copy;
}

/** A copy of `object` with its kind's credential fields replaced by REDACTED_CREDENTIAL. */
export function redactCredentialFields(object: JsonObject, kind: GroupVersionKind): JsonObject {
  let result = object;
  for (const field of CREDENTIAL_FIELDS) {
    if (field.group === kind.group && field.kind === kind.kind) result = redactPath(result, field.path);
  }
  return result;
}
