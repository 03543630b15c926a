// AdmissionReview parsing and response building (admission.k8s.io/v1 and v1beta1). Pure.
import { isObject, type EventUser, type JsonObject } from '../event.ts';

export const SUPPORTED_API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof SUPPORTED_API_VERSIONS)[number];

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: { group: string; version: string; resource: string };
  subResource: string;
  name: string;
  namespace: string;
  operation: AdmissionOperation;
  userInfo: EventUser;
  object: JsonObject | null;
  oldObject: JsonObject | null;
  dryRun: boolean;
  options: JsonObject | null;
}

export interface AdmissionReview {
  apiVersion: AdmissionApiVersion;
  request: AdmissionRequest;
}

/** The body was not a usable AdmissionReview. The message says what was wrong. */
export class AdmissionInputError extends Error {
  override name = 'AdmissionInputError';
}

const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

function optionalString(source: JsonObject, key: string, where: string): string {
  const value = source[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new AdmissionInputError(`${where}.${key} must be a string`);
  return value;
}

function optionalObject(source: JsonObject, key: string, where: string): JsonObject | null {
  const value = source[key];
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new AdmissionInputError(`${where}.${key} must be an object`);
  return value;
}

function stringList(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new AdmissionInputError(`${where} must be a list of strings`);
  }
  return value;
}

function parseUserInfo(value: unknown): EventUser {
  if (value === undefined || value === null) return { username: '', uid: '', groups: [], extra: {} };
  if (!isObject(value)) throw new AdmissionInputError('request.userInfo must be an object');
  const extraSource = optionalObject(value, 'extra', 'request.userInfo') ?? {};
  // fromEntries defines own properties: an extra key `__proto__` stays a key.
  const extra: Record<string, string[]> = Object.fromEntries(
    Object.entries(extraSource).map(([key, values]) => [key, stringList(values, `request.userInfo.extra.${key}`)]),
  );
  return {
    username: optionalString(value, 'username', 'request.userInfo'),
    uid: optionalString(value, 'uid', 'request.userInfo'),
    groups: stringList(value['groups'], 'request.userInfo.groups'),
    extra,
  };
}

function parseGroupVersion(source: JsonObject, key: string): { group: string; version: string; rest: JsonObject } {
  const value = optionalObject(source, key, 'request');
  if (!value) throw new AdmissionInputError(`request.${key} is missing`);
  return {
    group: optionalString(value, 'group', `request.${key}`),
    version: optionalString(value, 'version', `request.${key}`),
    rest: value,
  };
}

/** Parses a decoded JSON body into an AdmissionReview, or throws AdmissionInputError naming the problem. */
export function parseAdmissionReview(body: unknown): AdmissionReview {
  if (!isObject(body)) throw new AdmissionInputError('body must be a JSON object (an AdmissionReview)');
  const { apiVersion, kind } = body;
  if (kind !== 'AdmissionReview') throw new AdmissionInputError('kind must be "AdmissionReview"');
  if (!SUPPORTED_API_VERSIONS.includes(apiVersion as AdmissionApiVersion)) {
    throw new AdmissionInputError(`apiVersion must be one of ${SUPPORTED_API_VERSIONS.join(', ')}`);
  }
  const request = body['request'];
  if (!isObject(request)) throw new AdmissionInputError('request is missing: not an AdmissionReview request');
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') throw new AdmissionInputError('request.uid is missing');
  const operation = request['operation'];
  if (typeof operation !== 'string' || !OPERATIONS.includes(operation)) {
    throw new AdmissionInputError(`request.operation must be one of ${OPERATIONS.join(', ')}`);
  }
  const kindInfo = parseGroupVersion(request, 'kind');
  const kindName = optionalString(kindInfo.rest, 'kind', 'request.kind');
  if (!kindName) throw new AdmissionInputError('request.kind.kind is missing');
  const resourceInfo = parseGroupVersion(request, 'resource');
  const dryRun = request['dryRun'];
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== 'boolean') {
    throw new AdmissionInputError('request.dryRun must be a boolean');
  }
  return {
    apiVersion: apiVersion as AdmissionApiVersion,
    request: {
      uid,
      kind: { group: kindInfo.group, version: kindInfo.version, kind: kindName },
      resource: {
        group: resourceInfo.group,
        version: resourceInfo.version,
        resource: optionalString(resourceInfo.rest, 'resource', 'request.resource'),
      },
      subResource: optionalString(request, 'subResource', 'request'),
      name: optionalString(request, 'name', 'request'),
      namespace: optionalString(request, 'namespace', 'request'),
      operation: operation as AdmissionOperation,
      userInfo: parseUserInfo(request['userInfo']),
      object: optionalObject(request, 'object', 'request'),
      oldObject: optionalObject(request, 'oldObject', 'request'),
      dryRun: dryRun === true,
      options: optionalObject(request, 'options', 'request'),
    },
  };
}

export interface AdmissionDecision {
  allowed: boolean;
  /** Shown to the user when denied. */
  message?: string;
  /** HTTP-like code for a denial; 403 by convention. */
  code?: number;
}

/** The AdmissionReview answer: same apiVersion and kind as the request, response.uid = request.uid. */
export function buildAdmissionResponse(apiVersion: AdmissionApiVersion, uid: string, decision: AdmissionDecision) {
  const response: JsonObject = { uid, allowed: decision.allowed };
  if (!decision.allowed) {
    response['status'] = { code: decision.code ?? 403, message: decision.message ?? 'denied by logistis' };
  }
  return { apiVersion, kind: 'AdmissionReview', response };
}
