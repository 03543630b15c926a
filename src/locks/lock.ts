// The Lock resource (logistis.io/v1alpha1, deploy/crd/locks.logistis.io.yaml) as the server uses it, and the
// parser that turns a watched object into one. Pure. The API server's schema rejects most malformed Locks; what
// it cannot check (label selector semantics, an object stored before the schema tightened) is caught here, and
// the Lock is ignored with a status message saying why, so a bad Lock never breaks capture.
import { isObject, type JsonObject } from '../event.ts';

export const LOCK_GROUP = 'logistis.io';
export const LOCK_VERSION = 'v1alpha1';
export const LOCK_RESOURCE = 'locks';
export const LOCK_KIND = 'Lock';
export const LOCK_API_VERSION = `${LOCK_GROUP}/${LOCK_VERSION}`;

/** CONNECT (exec, attach, port-forward) only when a Lock names it: it changes no object. */
export type LockOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
export const LOCK_OPERATIONS: readonly LockOperation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];
/** What a Lock without operations covers. */
export const DEFAULT_LOCK_OPERATIONS: readonly LockOperation[] = ['CREATE', 'UPDATE', 'DELETE'];

export interface GroupResource {
  /** '' is the core group; '*' any group. */
  group: string;
  /** Plural resource name, or '*'. */
  resource: string;
}

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelRequirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/** matchLabels folded into requirements (key In [value]). */
export interface LabelSelector {
  requirements: LabelRequirement[];
}

export interface ServiceAccountRef {
  namespace: string;
  /** '' matches every ServiceAccount of the namespace. */
  name: string;
}

export interface Lock {
  name: string;
  generation: number;
  target: {
    /** Empty: every namespace and every cluster-scoped object. */
    namespaces: string[];
    resources: GroupResource[];
    names: string[];
    selector: LabelSelector | null;
    /** Never empty: a Lock without operations covers CREATE, UPDATE and DELETE. */
    operations: LockOperation[];
  };
  subjects: { users: string[]; groups: string[]; serviceAccounts: ServiceAccountRef[] };
  except: { users: string[]; groups: string[] };
  /** Epoch milliseconds, or null for no expiry. */
  expiresAt: number | null;
  reason: string;
}

export type ParsedLock = { ok: true; lock: Lock } | { ok: false; name: string; generation: number; problem: string };

class LockProblem extends Error {}

function stringList(source: JsonObject, key: string, where: string): string[] {
  const value = source[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
    throw new LockProblem(`${where}.${key} must be a list of non-empty strings`);
  }
  return value as string[];
}

function objectAt(source: JsonObject, key: string, where: string): JsonObject {
  const value = source[key];
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new LockProblem(`${where}.${key} must be an object`);
  return value;
}

function objectList(source: JsonObject, key: string, where: string): JsonObject[] {
  const value = source[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isObject)) throw new LockProblem(`${where}.${key} must be a list of objects`);
  return value;
}

function stringAt(source: JsonObject, key: string, where: string): string {
  const value = source[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new LockProblem(`${where}.${key} must be a string`);
  return value;
}

// Label keys and values as Kubernetes validates them (apimachinery validation.IsQualifiedName / IsValidLabelValue).
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkLabelKey(key: string, where: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0 && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    throw new LockProblem(`${where}: label key "${key}" has an invalid prefix (a DNS subdomain such as example.com)`);
  }
  if (!LABEL_NAME.test(name)) throw new LockProblem(`${where}: "${key}" is not a valid label key`);
}

function checkLabelValue(value: string, where: string): void {
  if (value.length > 63 || !LABEL_VALUE.test(value)) throw new LockProblem(`${where}: "${value}" is not a valid label value`);
}

function parseSelector(source: JsonObject, where: string): LabelSelector | null {
  if (source['selector'] === undefined || source['selector'] === null) return null;
  const selector = objectAt(source, 'selector', where);
  const at = `${where}.selector`;
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(objectAt(selector, 'matchLabels', at))) {
    if (typeof value !== 'string') throw new LockProblem(`${at}.matchLabels.${key} must be a string`);
    checkLabelKey(key, `${at}.matchLabels`);
    checkLabelValue(value, `${at}.matchLabels.${key}`);
    requirements.push({ key, operator: 'In', values: [value] });
  }
  objectList(selector, 'matchExpressions', at).forEach((expression, index) => {
    const here = `${at}.matchExpressions[${index}]`;
    const key = stringAt(expression, 'key', here);
    checkLabelKey(key, here);
    const operator = stringAt(expression, 'operator', here);
    const values = stringList(expression, 'values', here);
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) throw new LockProblem(`${here}: operator ${operator} needs at least one value`);
      values.forEach((value, i) => checkLabelValue(value, `${here}.values[${i}]`));
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) throw new LockProblem(`${here}: operator ${operator} takes no values`);
    } else {
      throw new LockProblem(`${here}.operator must be In, NotIn, Exists or DoesNotExist, not "${operator}"`);
    }
    requirements.push({ key, operator, values });
  });
  return { requirements };
}

function parseOperations(target: JsonObject): LockOperation[] {
  const operations = stringList(target, 'operations', 'spec.target');
  for (const operation of operations) {
    if (!(LOCK_OPERATIONS as readonly string[]).includes(operation)) {
      throw new LockProblem(`spec.target.operations: "${operation}" is not one of ${LOCK_OPERATIONS.join(', ')}`);
    }
  }
  return operations.length === 0 ? [...DEFAULT_LOCK_OPERATIONS] : (operations as LockOperation[]);
}

function parseExpiry(spec: JsonObject): number | null {
  const expires = stringAt(spec, 'expires', 'spec');
  if (expires === '') return null;
  const ms = Date.parse(expires);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(expires) || Number.isNaN(ms)) {
    throw new LockProblem(`spec.expires "${expires}" is not an RFC 3339 time such as 2025-06-12T18:00:00Z`);
  }
  return ms;
}

function parseSpec(spec: JsonObject): Omit<Lock, 'name' | 'generation'> {
  const target = objectAt(spec, 'target', 'spec');
  const resources = objectList(target, 'resources', 'spec.target').map((entry, index) => {
    const resource = stringAt(entry, 'resource', `spec.target.resources[${index}]`);
    if (resource === '') throw new LockProblem(`spec.target.resources[${index}].resource is missing`);
    return { group: stringAt(entry, 'group', `spec.target.resources[${index}]`), resource };
  });
  const subjects = objectAt(spec, 'subjects', 'spec');
  const serviceAccounts = objectList(subjects, 'serviceAccounts', 'spec.subjects').map((entry, index) => {
    const namespace = stringAt(entry, 'namespace', `spec.subjects.serviceAccounts[${index}]`);
    if (namespace === '') throw new LockProblem(`spec.subjects.serviceAccounts[${index}].namespace is missing`);
    const name = stringAt(entry, 'name', `spec.subjects.serviceAccounts[${index}]`);
    return { namespace, name: name === '*' ? '' : name };
  });
  const parsedSubjects = {
    users: stringList(subjects, 'users', 'spec.subjects'),
    groups: stringList(subjects, 'groups', 'spec.subjects'),
    serviceAccounts,
  };
  if (parsedSubjects.users.length + parsedSubjects.groups.length + serviceAccounts.length === 0) {
    throw new LockProblem('spec.subjects names nobody: give users, groups or serviceAccounts (system:authenticated means everyone)');
  }
  const except = objectAt(spec, 'except', 'spec');
  const reason = stringAt(spec, 'reason', 'spec').trim();
  if (reason === '') throw new LockProblem('spec.reason is missing: say why, it is shown to the person denied');
  return {
    target: {
      namespaces: stringList(target, 'namespaces', 'spec.target'),
      resources,
      names: stringList(target, 'names', 'spec.target'),
      selector: parseSelector(target, 'spec.target'),
      operations: parseOperations(target),
    },
    subjects: parsedSubjects,
    except: { users: stringList(except, 'users', 'spec.except'), groups: stringList(except, 'groups', 'spec.except') },
    expiresAt: parseExpiry(spec),
    reason,
  };
}

/** A watched Lock object → a Lock, or the problem that makes the server ignore it. Never throws. */
export function parseLock(object: unknown): ParsedLock {
  const metadata = isObject(object) && isObject(object['metadata']) ? object['metadata'] : {};
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
  const generation = typeof metadata['generation'] === 'number' ? metadata['generation'] : 0;
  try {
    if (!isObject(object)) throw new LockProblem('not an object');
    if (name === '') throw new LockProblem('metadata.name is missing');
    if (!isObject(object['spec'])) throw new LockProblem('spec is missing');
    return { ok: true, lock: { name, generation, ...parseSpec(object['spec']) } };
  } catch (error) {
    if (error instanceof LockProblem) return { ok: false, name, generation, problem: error.message };
    throw error;
  }
}
