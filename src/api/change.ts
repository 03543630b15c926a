// The aggregated API's resource: audit.logistis.io/v1alpha1 Change, one recorded event as a Kubernetes object.
// Shared by the server (which serves it) and kubectl-blame (which reads it). Pure.
import type { AuthorGuess, ChangeEvent, ChangeOperation, EventState, EventUser, JsonObject, OversizedReview, PatchOperation } from '../event.ts';

export const API_GROUP = 'audit.logistis.io';
export const API_VERSION = 'v1alpha1';
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;
export const CHANGES_RESOURCE = 'changes';

export interface ChangeTarget {
  group: string;
  version: string;
  kind: string;
  resource: string;
  subresource: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  uid: string;
}

export interface Change {
  apiVersion: typeof GROUP_VERSION;
  kind: 'Change';
  metadata: { name: string; namespace?: string; creationTimestamp: string; uid: string };
  time: string;
  operation: ChangeOperation;
  user: EventUser;
  target: ChangeTarget;
  fieldManager: string;
  patch: PatchOperation[];
  object: JsonObject;
  /** The Lock that denied this attempt (the change did not happen); absent for changes that were made. */
  deniedBy?: string;
  /**
   * The review was larger than the server's --max-body-bytes: `patch` and `object` hold only the object's
   * apiVersion, kind and metadata; the rest of the change was not recorded. Absent for changes recorded whole.
   */
  oversized?: OversizedReview;
  /**
   * Provenance: pending, confirmed (the watch showed it), not-applied (it never happened) or unattributed (the
   * watch saw it, no request explains it; `user` is then empty). Absent when the server did not track it.
   */
  state?: EventState;
  stateChangedAt?: string;
  /** Unattributed changes only: the field manager that last wrote the object. A guess, not a user. */
  authorGuess?: AuthorGuess;
}

export interface ChangeList {
  apiVersion: typeof GROUP_VERSION;
  kind: 'ChangeList';
  metadata: { continue?: string };
  items: Change[];
}

export function toChange(event: ChangeEvent): Change {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'Change',
    metadata: {
      name: event.id,
      ...(event.namespace ? { namespace: event.namespace } : {}),
      creationTimestamp: event.time.replace(/\.\d{3}Z$/, 'Z'),
      uid: event.requestUid,
    },
    time: event.time,
    operation: event.operation,
    user: event.user,
    target: {
      group: event.group, version: event.version, kind: event.kind, resource: event.resource, subresource: event.subresource,
      namespace: event.namespace, name: event.name, uid: event.objectUid,
    },
    fieldManager: event.fieldManager,
    patch: event.patch,
    object: event.object,
    ...(event.deniedBy ? { deniedBy: event.deniedBy } : {}),
    ...(event.oversized ? { oversized: event.oversized } : {}),
    ...(event.state ? { state: event.state } : {}),
    ...(event.stateChangedAt ? { stateChangedAt: event.stateChangedAt } : {}),
    ...(event.authorGuess ? { authorGuess: event.authorGuess } : {}),
  };
}

export function fromChange(change: Change): ChangeEvent {
  return {
    id: change.metadata.name,
    time: change.time,
    requestUid: change.metadata.uid,
    operation: change.operation,
    user: change.user,
    group: change.target.group,
    version: change.target.version,
    kind: change.target.kind,
    resource: change.target.resource,
    subresource: change.target.subresource,
    namespace: change.target.namespace,
    name: change.target.name,
    objectUid: change.target.uid,
    fieldManager: change.fieldManager,
    patch: change.patch,
    object: change.object,
    ...(change.deniedBy ? { deniedBy: change.deniedBy } : {}),
    ...(change.oversized ? { oversized: change.oversized } : {}),
    ...(change.state ? { state: change.state } : {}),
    ...(change.stateChangedAt ? { stateChangedAt: change.stateChangedAt } : {}),
    ...(change.authorGuess ? { authorGuess: change.authorGuess } : {}),
  };
}
