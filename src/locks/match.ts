// Does a Lock deny an admission request? Pure: the Locks, the request and the time in, a decision out.
import type { AdmissionRequest } from '../admission/review.ts';
import { isObject, type JsonObject } from '../event.ts';
import { LOCK_GROUP, LOCK_RESOURCE, type LabelSelector, type Lock } from './lock.ts';

/** Members of this group may always change or delete Locks, so no Lock can lock out its own removal. */
export const LOCK_ADMIN_GROUP = 'system:masters';

export type LockDecision = { denied: false } | { denied: true; lock: string; message: string };

export const ALLOWED: LockDecision = { denied: false };

function labelsOf(object: JsonObject | null): Record<string, string> {
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

function covers(lock: Lock, request: AdmissionRequest): boolean {
  const { target } = lock;
  if (request.operation === 'CONNECT' || !target.operations.includes(request.operation)) return false;
  if (target.resources.length > 0 && !target.resources.some(({ group, resource }) =>
    (group === '*' || group === request.resource.group) && (resource === '*' || resource === request.resource.resource))) {
    return false;
  }
  if (target.namespaces.length > 0 && !target.namespaces.includes(namespaceOf(request))) return false;
  if (target.names.length > 0 && !target.names.includes(objectName(request))) return false;
  // Before or after: removing the label must not be a way out of the Lock, nor adding it a way in.
  if (target.selector && ![request.object, request.oldObject].some((object) => object !== null && selectorMatches(target.selector!, labelsOf(object)))) {
    return false;
  }
  return true;
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
 * system:masters, nor to anyone the changed Lock spares.
 */
export function checkLocks(locks: readonly Lock[], request: AdmissionRequest, now: number): LockDecision {
  if (isLockRequest(request)) {
    if (request.userInfo.groups.includes(LOCK_ADMIN_GROUP)) return ALLOWED;
    const changed = locks.find((lock) => lock.name === request.name);
    if (changed && spared(changed, request)) return ALLOWED;
  }
  const denying = locks
    .filter((lock) => isActive(lock, now) && covers(lock, request) && appliesTo(lock, request) && !spared(lock, request))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const first = denying[0];
  return first ? { denied: true, lock: first.name, message: denialMessage(first) } : ALLOWED;
}
