// One object's history as text, for `GET /api/v1/history?format=yaml|diff`: every version's YAML, or a
// unified diff (`patch`-compatible) from each version to the next. Events come materialised, oldest first. A
// change too large to diff in bounded time is a `#` line that says so (patch skips lines outside a diff).
import { createTwoFilesPatch } from 'diff';
import type { ChangeEvent, JsonObject } from '../event.ts';
import { diffable, diffBound, diffTooLarge } from './diff.ts';
import { toYaml } from './yaml.ts';

function yamlOf(object: JsonObject): string {
  return Object.keys(object).length === 0 ? '' : toYaml(object);
}

function versionLabel(event: ChangeEvent): string {
  return `${event.time} ${event.operation} by ${event.user.username || '(unknown)'} (event ${event.id})`;
}

/** Called between versions; throws to stop the rendering (the read was cancelled). */
export type Checkpoint = () => void;

/** Each version as a YAML document with a comment naming the change; a deletion shows the last state. */
export function renderHistoryYaml(events: readonly ChangeEvent[], checkpoint: Checkpoint = () => undefined): string {
  return events
    .map((event) => {
      checkpoint();
      return `# ${versionLabel(event)}\n${event.operation === 'DELETE' ? '# (deleted; last state below)\n' : ''}${yamlOf(event.object)}`;
    })
    .join('---\n');
}

function afterOf(event: ChangeEvent): { object: JsonObject; label: string } {
  return event.operation === 'DELETE'
    ? { object: {}, label: `(deleted) ${versionLabel(event)}` }
    : { object: event.object, label: versionLabel(event) };
}

/**
 * A unified diff per change, from the version before it to the version after. `before` is the event before the
 * first of `events` (a page that continues a history); without it the first diff is from nothing.
 */
export function renderHistoryUnifiedDiff(events: readonly ChangeEvent[], before?: ChangeEvent, checkpoint: Checkpoint = () => undefined): string {
  const start = before ? afterOf(before) : { object: {}, label: '(nothing)' };
  let previousLabel = start.label;
  // Each version's YAML is written once: it is the "after" of one diff and the "before" of the next.
  let previousText = yamlOf(start.object);
  return events.map((event) => {
    checkpoint();
    const { object, label } = afterOf(event);
    const text = yamlOf(object);
    const diff = (diffable(previousText, text) ? createTwoFilesPatch(previousLabel, label, previousText, text, undefined, undefined, {
      context: 3, ...diffBound(previousText, text),
    }) : undefined) ?? `# ${diffTooLarge()}: from ${previousLabel}\n#   to ${label}; use format=patch for this change\n`;
    previousText = text;
    previousLabel = label;
    return diff;
  }).join('');
}
