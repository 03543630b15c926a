// One object's history as text, for `GET /api/v1/history?format=yaml|diff`: every version's YAML, or a
// unified diff (`patch`-compatible) from each version to the next. Events come materialised, oldest first.
import { createTwoFilesPatch } from 'diff';
import type { ChangeEvent, JsonObject } from '../event.ts';
import { toYaml } from './yaml.ts';

function yamlOf(object: JsonObject): string {
  return Object.keys(object).length === 0 ? '' : toYaml(object);
}

function versionLabel(event: ChangeEvent): string {
  return `${event.time} ${event.operation} by ${event.user.username || '(unknown)'} (event ${event.id})`;
}

/** Each version as a YAML document with a comment naming the change; a deletion shows the last state. */
export function renderHistoryYaml(events: readonly ChangeEvent[]): string {
  return events
    .map((event) => `# ${versionLabel(event)}\n${event.operation === 'DELETE' ? '# (deleted; last state below)\n' : ''}${yamlOf(event.object)}`)
    .join('---\n');
}

/** A unified diff per change, from the version before it (nothing before the first) to the version after. */
export function renderHistoryUnifiedDiff(events: readonly ChangeEvent[]): string {
  let previous: JsonObject = {};
  let previousLabel = '(nothing)';
  return events.map((event) => {
    const after = event.operation === 'DELETE' ? {} : event.object;
    const label = event.operation === 'DELETE' ? `(deleted) ${versionLabel(event)}` : versionLabel(event);
    const text = createTwoFilesPatch(previousLabel, label, yamlOf(previous), yamlOf(after), undefined, undefined, { context: 3 });
    previous = after;
    previousLabel = label;
    return text;
  }).join('');
}
