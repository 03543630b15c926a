// `kubectl exec`, `attach` and `port-forward` as events in the pod's history: who ran which command in which
// container. The API server sends the options (PodExecOptions, PodAttachOptions, PodPortForwardOptions) as the
// request's object; no pod body comes with it. Pure.
import type { AdmissionRequest } from '../admission/review.ts';
import { isObject, type JsonObject, type NewChangeEvent } from '../event.ts';
import { CONNECT_SUBRESOURCES } from './presets.ts';

/** The options fields worth keeping; anything else the API server adds is dropped. */
const OPTION_FIELDS = ['container', 'command', 'stdin', 'stdout', 'stderr', 'tty', 'ports'] as const;

export function isPodConnect(request: AdmissionRequest): boolean {
  return request.operation === 'CONNECT' && request.resource.group === '' && request.resource.resource === 'pods'
    && (CONNECT_SUBRESOURCES as readonly string[]).includes(request.subResource);
}

/** The event for a pod CONNECT, or undefined for any other request. */
export function connectEvent(request: AdmissionRequest, now: Date): NewChangeEvent | undefined {
  if (!isPodConnect(request) || request.dryRun) return undefined;
  const options = isObject(request.object) ? request.object : {};
  const object: JsonObject = {
    apiVersion: typeof options['apiVersion'] === 'string' ? options['apiVersion'] : 'v1',
    kind: typeof options['kind'] === 'string' ? options['kind'] : request.kind.kind,
  };
  for (const field of OPTION_FIELDS) if (options[field] !== undefined) object[field] = options[field];
  return {
    time: now.toISOString(),
    requestUid: request.uid,
    operation: 'CONNECT',
    user: request.userInfo,
    group: '',
    version: request.resource.version,
    kind: 'Pod',
    resource: 'pods',
    subresource: request.subResource,
    namespace: request.namespace,
    name: request.name,
    objectUid: '',
    fieldManager: '',
    patch: [],
    object,
  };
}
