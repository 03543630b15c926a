// Does a Lock deny an admission request? Pure: the Locks, the request, the time and (for a subresource whose
// body is not its parent object: a Scale, an Eviction, exec options) the parent's labels in, a decision out.
// A subresource is matched as the change it makes to its parent (ADR 0019): its parent's labels against the
// selector, and the parent's operation (an eviction deletes the pod).
import type { AdmissionRequest } from '../admission/review.ts';
import { isObject, type JsonObject } from '../event.ts';
import { LOCK_GROUP, LOCK_RESOURCE, type LabelSelector, type Lock, type LockOperation } from './lock.ts';

/** Members of this group may always change or delete Locks, so no Lock can lock out its own removal. */
export const LOCK_ADMIN_GROUP = 'system:masters';

export type LockDecision = { denied: false } | { denied: true; lock: string; message: string };

export const ALLOWED: LockDecision = { denied: false };

/**
 * What the caller learnt of a subresource's parent object's labels: read from the API server, or why not (no
 * answer in time, not found, forbidden). A selector Lock that covers the request otherwise denies it when the
 * labels are unknown (ADR 0019).
 */
export type ParentLabels = { known: true; labels: Record<string, string> } | { known: false; problem: string };

/**
 * Subresources whose request body is the parent object itself (a Pod for pods/ephemeralcontainers, the object
 * for a status subresource): its labels before and after are in the request. Every other subresource (scale, eviction,
 * exec, attach, portforward, and any we do not know) carries another object, so its parent's labels are read.
 */
const PARENT_BODY_SUBRESOURCES = new Set(['status', 'ephemeralcontainers', 'resize', 'finalize', 'approval']);

/** Does matching this request's selector need its parent's labels from elsewhere? */
export function needsParentLabels(request: AdmissionRequest): boolean {
  return request.subResource !== '' && !PARENT_BODY_SUBRESOURCES.has(request.subResource);
}

/**
 * The operation a request makes on the object a Lock targets: an eviction (CREATE of pods/eviction) deletes
 * its pod; every other request is what it says (kubectl scale is an UPDATE, exec a CONNECT).
 */
export function parentOperation(request: AdmissionRequest): LockOperation {
  if (request.operation === 'CREATE' && request.subResource === 'eviction') return 'DELETE';
  return request.operation;
}

export function labelsOf(object: JsonObject | null): Record<string, string> {
  const metadata = object && isObject(object['metadata']) ? object['metadata'] : undefined;
  const labels = metadata && isObject(metadata['labels']) ? metadata['labels'] : {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') out[key] = value;
  return out;
}

export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  return selector.requirements.every(({ key, operator, values }) => {
    const has = Object.hasOwn(labels, key);
    switch (operator) {
      case 'In':
        return has && values.includes(labels[key]!);
      case 'NotIn':
        return !has || !values.includes(labels[key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}

/** The object's name: the request's, or (CREATE with generateName) the one in the object. */
function objectName(request: AdmissionRequest): string {
  if (request.name) return request.name;
  const metadata = request.object && isObject(request.object['metadata']) ? request.object['metadata'] : {};
  return typeof metadata['name'] === 'string' ? metadata['name'] : '';
}

/** The namespace a request changes something in; a Namespace object counts as being in itself. */
function namespaceOf(request: AdmissionRequest): string {
  if (request.namespace) return request.namespace;
  if (request.resource.group === '' && request.resource.resource === 'namespaces') return objectName(request);
  return '';
}

function isLockRequest(request: AdmissionRequest): boolean {
  return request.resource.group === LOCK_GROUP && request.resource.resource === LOCK_RESOURCE;
}

function spared(lock: Lock, request: AdmissionRequest): boolean {
  const { username, groups } = request.userInfo;
  return lock.except.users.includes(username) || groups.some((group) => lock.except.groups.includes(group));
}

function appliesTo(lock: Lock, request: AdmissionRequest): boolean {
  const { username, groups } = request.userInfo;
  const { subjects } = lock;
  if (subjects.users.includes(username)) return true;
  if (groups.some((group) => subjects.groups.includes(group))) return true;
  return subjects.serviceAccounts.some(({ namespace, name }) =>
    name === '' ? username.startsWith(`system:serviceaccount:${namespace}:`) : username === `system:serviceaccount:${namespace}:${name}`,
  );
}

/** Does the Lock cover the request in every respect but its label selector? */
function coversBarSelector(lock: Lock, request: AdmissionRequest): boolean {
  const { target } = lock;
  if (!target.operations.includes(parentOperation(request))) return false;
  if (target.resources.length > 0 && !target.resources.some(({ group, resource }) =>
    (group === '*' || group === request.resource.group) && (resource === '*' || resource === request.resource.resource))) {
    return false;
  }
  if (target.namespaces.length > 0 && !target.namespaces.includes(namespaceOf(request))) return false;
  return !(target.names.length > 0 && !target.names.includes(objectName(request)));
}

/** The Lock's selector against the request: true, false, or the problem that left the parent's labels unknown. */
function selectorVerdict(selector: LabelSelector, request: AdmissionRequest, parent: ParentLabels | undefined): boolean | string {
  if (needsParentLabels(request)) {
    if (!parent) return 'they were not looked up';
    return parent.known ? selectorMatches(selector, parent.labels) : parent.problem;
  }
  // Before or after: removing the label must not be a way out of the Lock, nor adding it a way in.
  return [request.object, request.oldObject].some((object) => object !== null && selectorMatches(selector, labelsOf(object)));
}

/** Would a Lock deny this request, and why: its reason, or its reason and why its selector could not be checked. */
function denies(lock: Lock, request: AdmissionRequest, now: number, parent: ParentLabels | undefined): string | undefined {
  if (!isActive(lock, now) || !coversBarSelector(lock, request) || !appliesTo(lock, request) || spared(lock, request)) return undefined;
  if (!lock.target.selector) return denialMessage(lock);
  const verdict = selectorVerdict(lock.target.selector, request, parent);
  if (verdict === false) return undefined;
  if (verdict === true) return denialMessage(lock);
  // Fail closed for what the Lock covers in every other respect (ADR 0019): unknown labels may be locked ones.
  return `${denialMessage(lock)} (the labels of ${parentDescription(request)} are unknown to logistis: ${verdict}; `
    + 'this Lock covers the request unless its label selector spares the object, so it is denied)';
}

function parentDescription(request: AdmissionRequest): string {
  const resource = request.resource.group ? `${request.resource.resource}.${request.resource.group}` : request.resource.resource;
  return `${resource} "${request.namespace ? `${request.namespace}/` : ''}${request.name}"`;
}

/**
 * Does the decision on this request depend on its parent's labels: is it a subresource that carries other
 * labels than its parent's, and does an active Lock with a selector cover it otherwise? Only then does the
 * caller read the parent.
 */
export function parentLabelsAtStake(locks: readonly Lock[], request: AdmissionRequest, now: number): boolean {
  if (!needsParentLabels(request)) return false;
  return locks.some((lock) => lock.target.selector !== null && isActive(lock, now) && coversBarSelector(lock, request)
    && appliesTo(lock, request) && !spared(lock, request));
}

/** Is the Lock in force at `now`? */
export function isActive(lock: Lock, now: number): boolean {
  return lock.expiresAt === null || now < lock.expiresAt;
}

export function denialMessage(lock: Lock): string {
  return `locked by Lock "${lock.name}": ${lock.reason}`;
}

/**
 * The first Lock (by name) that denies the request, or ALLOWED. Changes to Locks themselves are never denied to
 * system:masters, nor to anyone the changed Lock spares. `parent`: the parent's labels, for a request whose
 * decision depends on them (parentLabelsAtStake); without them a selector Lock that covers it otherwise denies.
 */
export function checkLocks(locks: readonly Lock[], request: AdmissionRequest, now: number, parent?: ParentLabels): LockDecision {
  if (isLockRequest(request)) {
    if (request.userInfo.groups.includes(LOCK_ADMIN_GROUP)) return ALLOWED;
    const changed = locks.find((lock) => lock.name === request.name);
    if (changed && spared(changed, request)) return ALLOWED;
  }
  const byName = [...locks].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const lock of byName) {
    const message = denies(lock, request, now, parent);
    if (message !== undefined) return { denied: true, lock: lock.name, message };
  }
  return ALLOWED;
}
