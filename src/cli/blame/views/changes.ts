// `kubectl blame -n NS | -A | TYPE [NAME]`: the latest changes in a namespace, everywhere, to a type or to one
// object, as a table (KEY OPERATION USER TIME PATCH), a diff per change (-f diff), or a ChangeList (-o json|yaml).
import { fromChange } from '../../../api/change.ts';
import { materialiseEach } from '../../../history/walk.ts';
import { renderHistoryTable } from '../../../format/views.ts';
import { listChanges, type ChangeScope, type ChangeSelector } from '../changes-api.ts';
import { qualifiedName } from '../discovery.ts';
import type { Doing } from '../explain.ts';
import type { ChangesRequest } from '../options.ts';
import { call, changeList, liveObject, noHistory, paint, printDocument, resolve, sameTarget, scopeOf, type RunContext } from './context.ts';
import { diffLines } from './diff.ts';

export async function changesView(request: ChangesRequest, ctx: RunContext): Promise<void> {
  const resource = request.type === undefined ? undefined : await resolve(ctx, request.type);
  const namespace = request.allNamespaces ? undefined : (request.namespace ?? ctx.session.defaultNamespace);
  const scope: ChangeScope = resource ? scopeOf(resource, namespace) : namespace === undefined ? { everywhere: true } : { namespace };
  const objectNamespace = resource && !resource.namespaced ? undefined : namespace;
  const selector: ChangeSelector = { ...request.filters, order: 'desc' };
  if (resource) Object.assign(selector, { group: resource.group, kind: resource.kind });
  if (request.name !== undefined) selector.name = request.name;
  // The oldest change shown needs the object before it (old values in the table, the diff's left side): one
  // object's history reads one change more than it shows.
  const extra = request.name !== undefined ? 1 : 0;
  const doing: Doing = { what: 'changes', ...('namespace' in scope ? { namespace: scope.namespace } : {}) };
  const page = await call(ctx, doing, () => listChanges(ctx.session.api, scope, selector, request.maxHistory + extra));
  const targetItems = resource ? page.items.filter((c) => sameTarget(c, resource, request.name)) : page.items;
  const items = request.confirmedOnly ? targetItems.filter((c) => c.state === 'confirmed') : targetItems;
  const shown = items.slice(0, request.maxHistory);
  const more = page.more || items.length > request.maxHistory;

  if (request.output === 'json' || request.output === 'yaml') {
    printDocument(ctx, changeList(shown), request.output);
    if (more) ctx.output.note(moreNote(request.maxHistory));
    return;
  }
  if (shown.length === 0) {
    const filtered = Object.keys(request.filters).length > 0;
    if (resource && request.name !== undefined) {
      const live = await liveObject(ctx, resource, objectNamespace, request.name);
      throw noHistory(resource, request.name, objectNamespace, live !== undefined, filtered);
    }
    const where = resource && !resource.namespaced ? 'for cluster-scoped objects' : namespace === undefined ? 'in any namespace' : `in namespace ${namespace}`;
    const of = resource ? ` to ${qualifiedName(resource)}` : '';
    ctx.output.note(`No changes${of} recorded ${where}${filtered ? ' match the filters' : ''}.`);
    return;
  }
  const events = materialiseEach(items.map(fromChange));
  let lines: string[];
  if (request.format === 'diff') {
    lines = diffLines(events, shown.length, request, ctx);
  } else {
    lines = renderHistoryTable(events, { now: ctx.now, width: ctx.width, colours: paint(ctx), wide: request.output === 'wide' });
    if (events.length > shown.length) lines = withoutLastRow(lines);
  }
  for (const line of lines) ctx.output.out(line);
  if (more) ctx.output.note(moreNote(request.maxHistory));
}

function moreNote(shown: number): string {
  return `note: showing the newest ${shown === 1 ? 'change' : `${shown} changes`}; more match: --max-history N shows more`;
}

/**
 * A history table without its last (oldest) row. The table is rendered with one change more than is shown so
 * that the oldest row shown reads its old values from that change; the extra row is then dropped. A row starts
 * with its KEY, which is never empty and never indented; its other lines (wrapped or moved-under PATCH lines)
 * start with spaces.
 */
export function withoutLastRow(lines: readonly string[]): string[] {
  let last = lines.length - 1;
  while (last > 0 && /^\s/.test(lines[last]!)) last -= 1;
  return last > 0 ? lines.slice(0, last) : [...lines];
}
