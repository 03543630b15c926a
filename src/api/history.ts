// One object's history as people read it. Pure.
import { applyPatch } from '../admission/patch.ts';
import type { ChangeEvent, JsonObject } from '../event.ts';

/**
 * A subresource update (deployments/scale) records the subresource's payload (a Scale), whose patch paths
 * (/spec/replicas) are the parent's too. Given the previous version of the parent, that patch yields the
 * parent's full state after the change, so diffs, blame and --at show the Deployment, not a Scale.
 * Events come oldest first and all belong to one object.
 */
export function materializeHistory(events: ChangeEvent[]): ChangeEvent[] {
  let previous: JsonObject | null = null;
  return events.map((event) => {
    let materialized = event;
    if (event.subresource && event.operation === 'UPDATE' && previous) {
      try {
        materialized = { ...event, object: applyPatch(previous, event.patch) };
      } catch {
        // The payload does not fit the parent (an unknown subresource): show it as recorded.
      }
    }
    if (!(event.subresource && materialized === event)) previous = event.operation === 'DELETE' ? null : materialized.object;
    return materialized;
  });
}
