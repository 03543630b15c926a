// Walking one object's recorded history: its order, the object before each change, and the full parent object
// after a subresource change. Pure.
import type { ChangeEvent, JsonObject } from '../event.ts';
import { applyPatch } from './patch.ts';

/** Identifies an object across its events (group, kind, namespace, name). */
export function objectKeyOf(event: Pick<ChangeEvent, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return JSON.stringify([event.group, event.kind, event.namespace, event.name]);
}

/**
 * Whether an event changed the object: an attempt a Lock denied, a pod exec/attach/port-forward (CONNECT), or a
 * change the provenance watch found not applied, is shown in the history but never becomes the object's state.
 */
export function changedState(event: Pick<ChangeEvent, 'operation' | 'deniedBy' | 'state'>): boolean {
  return !event.deniedBy && event.operation !== 'CONNECT' && event.state !== 'not-applied';
}

function compareTime(a: string, b: string): number {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isNaN(ta) || Number.isNaN(tb)) return a < b ? -1 : a > b ? 1 : 0;
  return ta - tb;
}

/**
 * Indexes of `history` oldest first. The list may come oldest or newest first; events with equal
 * times keep the direction the list is in.
 */
export function chronologicalOrder(history: readonly Pick<ChangeEvent, 'time'>[]): number[] {
  const n = history.length;
  const order = [...history.keys()];
  if (n > 1 && compareTime(history[0]!.time, history[n - 1]!.time) > 0) order.reverse();
  return order.sort((a, b) => compareTime(history[a]!.time, history[b]!.time));
}

export interface EventWithPrevious {
  event: ChangeEvent;
  /**
   * The object before the event: `{}` for a CREATE, and `{}` when the earlier state is not in the list or was
   * recorded from an oversized review (its metadata only).
   */
  previous: JsonObject;
  /** False when `previous` is a stand-in `{}` because the history before this event is not known. */
  known: boolean;
}

/**
 * Pairs each event with the object before it: the object of the previous event of the same object in
 * the list (by time; the list may be oldest or newest first), or `{}` for a CREATE or when unknown.
 * The result keeps the order of `history`.
 */
export function previousObjects(history: readonly ChangeEvent[]): EventWithPrevious[] {
  const result = new Array<EventWithPrevious>(history.length);
  const last = new Map<string, JsonObject>();
  for (const i of chronologicalOrder(history)) {
    const event = history[i]!;
    const key = objectKeyOf(event);
    const before = last.get(key);
    if (event.operation === 'CREATE') result[i] = { event, previous: {}, known: true };
    else if (before !== undefined) result[i] = { event, previous: before, known: true };
    else result[i] = { event, previous: {}, known: false };
    if (!changedState(event)) continue;
    // An oversized review recorded the metadata only: what the object became is not known.
    if (event.operation === 'DELETE' || event.oversized) last.delete(key);
    else last.set(key, event.object);
  }
  return result;
}

/**
 * One object's history as people read it. A subresource update (deployments/scale) records the subresource's
 * payload (a Scale), whose patch paths (/spec/replicas) are the parent's too. Given the previous version of the
 * parent, that patch yields the parent's full state after the change, so diffs, blame and --at show the
 * Deployment, not a Scale. Events come oldest first and all belong to one object.
 */
export function materialiseHistory(events: readonly ChangeEvent[]): ChangeEvent[] {
  let previous: JsonObject | null = null;
  return events.map((event) => {
    if (!changedState(event)) return event;
    let materialised = event;
    if (event.subresource && event.operation === 'UPDATE' && previous) {
      try {
        materialised = { ...event, object: applyPatch(previous, event.patch) };
      } catch {
        // The payload does not fit the parent (an unknown subresource): show it as recorded.
      }
    }
    if (!(event.subresource && materialised === event)) previous = event.operation === 'DELETE' || event.oversized ? null : materialised.object;
    return materialised;
  });
}

/**
 * `materialiseHistory` for a list that may hold several objects' events, in any order: each object's events are
 * materialised together, and the list keeps its order.
 */
export function materialiseEach(history: readonly ChangeEvent[]): ChangeEvent[] {
  const byObject = new Map<string, number[]>();
  for (const i of chronologicalOrder(history)) {
    const key = objectKeyOf(history[i]!);
    const indexes = byObject.get(key) ?? [];
    indexes.push(i);
    byObject.set(key, indexes);
  }
  const out = [...history];
  for (const indexes of byObject.values()) {
    const whole = materialiseHistory(indexes.map((i) => history[i]!));
    indexes.forEach((i, k) => (out[i] = whole[k]!));
  }
  return out;
}
