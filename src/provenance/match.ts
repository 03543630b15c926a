// Matching captured changes with what the watch shows. Pure: no I/O, time comes in as an argument, and each call
// returns what changed (events confirmed, not applied, changes no capture explains), which the watcher writes.
//
// A captured change is pending until the watch shows its object (same uid) in the recorded state: the same
// content hash, the recorded replicas for a Scale, gone (or being deleted) for a DELETE. It is not applied when
// the window passes without that, or when the watch confirms a change of the same object captured after it
// (the watch delivers every version in order, so had it been applied we would have seen it first). A watched
// change that no pending event explains is held for a grace period (its event may still be on its way: a commit
// that ran past the webhook's timeout) and then reported as unattributed.

/** What the watch must show for a captured change to be confirmed. */
export type Expectation =
  | { type: 'content'; hash: string }
  | { type: 'replicas'; replicas: number }
  | { type: 'deleted' }
  /** A subresource whose payload is not the object (pods/eviction, …): any change of the object confirms. */
  | { type: 'changed' };

export interface CapturedChange {
  requestUid: string;
  /** The watched object's key: `group/resource`, namespace, name (see objectKey). */
  key: string;
  /** '' when the request did not carry one. */
  uid: string;
  expectation: Expectation;
  capturedMs: number;
}

export interface WatchedState {
  key: string;
  uid: string;
  hash: string;
  replicas?: number;
  resourceVersion: string;
  /** metadata.deletionTimestamp is set: a DELETE was accepted, finalizers still run. */
  deleting: boolean;
}

export type ObservationType = 'added' | 'modified' | 'deleted';

export interface Observation {
  type: ObservationType;
  state: WatchedState;
  /**
   * True for events of a running watch; false for objects delivered by a (re)list, where versions in between
   * may have been skipped (so nothing can be concluded from a version missing).
   */
  continuous: boolean;
  /** An object the tracker never knew, from a first list: the baseline, not a change. */
  baseline?: boolean;
}

/** A watched change no captured event explains. `previous` is what the tracker knew before (absent: nothing). */
export interface UnexplainedChange {
  type: ObservationType;
  state: WatchedState;
  previous?: WatchedState;
  seenMs: number;
}

export interface Outcome {
  confirmed: string[];
  notApplied: string[];
  unattributed: UnexplainedChange[];
}

export interface TrackerOptions {
  /** How long a captured change may stay unseen before it is judged not applied; default 30 s. */
  windowMs?: number;
  /** How long a watched change waits for the event that explains it; default 10 s. */
  graceMs?: number;
}

export const DEFAULT_WINDOW_MS = 30_000;
export const DEFAULT_GRACE_MS = 10_000;

export function objectKey(group: string, resource: string, namespace: string, name: string): string {
  return `${group}/${resource}\u0000${namespace}\u0000${name}`;
}

/** The `group/resource` part of a key. */
export function resourceOfKey(key: string): string {
  return key.slice(0, key.indexOf('\u0000'));
}

function emptyOutcome(): Outcome {
  return { confirmed: [], notApplied: [], unattributed: [] };
}

function explains(expectation: Expectation, type: ObservationType, state: WatchedState, previous: WatchedState | undefined): boolean {
  switch (expectation.type) {
    case 'deleted': return type === 'deleted' || state.deleting;
    case 'content': return type !== 'deleted' && state.hash === expectation.hash;
    case 'replicas': return type !== 'deleted' && state.replicas === expectation.replicas;
    case 'changed': return type === 'deleted' || previous === undefined || previous.hash !== state.hash || previous.resourceVersion !== state.resourceVersion;
  }
}

export class ProvenanceTracker {
  readonly windowMs: number;
  readonly graceMs: number;
  /** Pending changes by object key, in capture order. */
  readonly #pending = new Map<string, CapturedChange[]>();
  /** The last state the watch showed of each object. */
  readonly #known = new Map<string, WatchedState>();
  /** Watched changes waiting for an explanation, by object key (the newest per object). */
  readonly #unexplained = new Map<string, UnexplainedChange>();

  constructor(options: TrackerOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  }

  /** Known states from before (the store's object_states), so a first list after a restart is compared to them. */
  restore(states: Iterable<WatchedState>): void {
    for (const state of states) this.#known.set(state.key, state);
  }

  known(key: string): WatchedState | undefined {
    return this.#known.get(key);
  }

  knownKeys(resource: string): string[] {
    return [...this.#known.keys()].filter((key) => resourceOfKey(key) === resource);
  }

  pendingCount(): number {
    let count = 0;
    for (const changes of this.#pending.values()) count += changes.length;
    return count;
  }

  knownCount(): number {
    return this.#known.size;
  }

  /** A change was captured (its event is durable). A watched change held for an explanation may be it. */
  captured(change: CapturedChange): Outcome {
    const outcome = emptyOutcome();
    const held = this.#unexplained.get(change.key);
    if (held && (change.uid === '' || change.uid === held.state.uid) && explains(change.expectation, held.type, held.state, held.previous)) {
      this.#unexplained.delete(change.key);
      outcome.confirmed.push(change.requestUid);
      return outcome;
    }
    const list = this.#pending.get(change.key) ?? [];
    list.push(change);
    this.#pending.set(change.key, list);
    return outcome;
  }

  observe(observation: Observation, nowMs: number): Outcome {
    const outcome = emptyOutcome();
    const { type, state } = observation;
    const previous = this.#known.get(state.key);
    if (type === 'deleted') this.#known.delete(state.key);
    else this.#known.set(state.key, state);

    const pending = this.#pending.get(state.key) ?? [];
    const sameObject = (change: CapturedChange) => change.uid === '' || change.uid === state.uid;
    const matched = pending.findLastIndex((change) => sameObject(change) && explains(change.expectation, type, state, previous));
    if (matched >= 0) {
      const remaining: CapturedChange[] = [];
      pending.forEach((change, index) => {
        if (index === matched) outcome.confirmed.push(change.requestUid);
        // Same content again (two identical updates): both are what the object now is.
        else if (index < matched && sameObject(change) && explains(change.expectation, type, state, previous)) outcome.confirmed.push(change.requestUid);
        else if (index < matched && observation.continuous && sameObject(change)) outcome.notApplied.push(change.requestUid);
        else remaining.push(change);
      });
      this.#setPending(state.key, remaining);
      this.#unexplained.delete(state.key);
      return outcome;
    }

    if (observation.baseline && previous === undefined) return outcome;
    const unchanged = previous !== undefined && type !== 'deleted' && previous.uid === state.uid && previous.hash === state.hash;
    if (unchanged) return outcome;
    // A DELETED for an object the tracker never knew says nothing about its content.
    if (type === 'deleted' && previous === undefined) return outcome;
    const held = this.#unexplained.get(state.key);
    // A list delivers every object as added; one the tracker knew by the same uid was modified.
    const changeType = type === 'added' && previous?.uid === state.uid ? 'modified' : type;
    this.#unexplained.set(state.key, { type: held?.type === 'added' && changeType !== 'deleted' ? 'added' : changeType, state, ...((held?.previous ?? previous) ? { previous: held?.previous ?? previous } : {}), seenMs: nowMs });
    return outcome;
  }

  /** Objects a list no longer holds: deleted while nobody watched (a restart, a broken watch). */
  listed(resource: string, keys: ReadonlySet<string>, nowMs: number): Outcome {
    const outcome = emptyOutcome();
    for (const key of this.knownKeys(resource)) {
      if (keys.has(key)) continue;
      const state = this.#known.get(key)!;
      const result = this.observe({ type: 'deleted', state, continuous: false }, nowMs);
      outcome.confirmed.push(...result.confirmed);
      outcome.notApplied.push(...result.notApplied);
    }
    return outcome;
  }

  /**
   * Judges what waited long enough: pending changes past the window, unexplained changes past the grace.
   * `watchedSince` gives, per `group/resource`, since when its watch has been current, or undefined while it is
   * not: a change is judged only after a whole window under a current watch, so a watch that was down (the API
   * server restarting) never turns real changes into not-applied ones.
   */
  tick(nowMs: number, watchedSince: (resource: string) => number | undefined = () => 0): Outcome {
    const outcome = emptyOutcome();
    for (const [key, changes] of this.#pending) {
      const since = watchedSince(resourceOfKey(key));
      if (since === undefined) continue;
      const remaining = changes.filter((change) => {
        if (nowMs - Math.max(change.capturedMs, since) < this.windowMs) return true;
        outcome.notApplied.push(change.requestUid);
        return false;
      });
      this.#setPending(key, remaining);
    }
    for (const [key, change] of this.#unexplained) {
      if (nowMs - change.seenMs < this.graceMs) continue;
      this.#unexplained.delete(key);
      // Changed and changed back while held: nothing happened that history lacks.
      const unchangedInTheEnd = change.previous !== undefined && change.type !== 'deleted'
        && change.previous.uid === change.state.uid && change.previous.hash === change.state.hash;
      if (!unchangedInTheEnd) outcome.unattributed.push(change);
    }
    return outcome;
  }

  #setPending(key: string, changes: CapturedChange[]): void {
    if (changes.length === 0) this.#pending.delete(key);
    else this.#pending.set(key, changes);
  }
}
