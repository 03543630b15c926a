// Runs one kubectl-blame request: asks the API server (through the KubeApi it is given) and writes lines.
// Each view is a function from a request to output lines; the rendering is the shared, tested src/format and
// src/blame code. Nothing here prints an error: failures are thrown as BlameError for the entry point.
import { GROUP_VERSION, fromChange, type Change } from '../../api/change.ts';
import type { ChangeEvent, JsonObject } from '../../event.ts';
import { blameObject } from '../../blame/field-blame.ts';
import { renderBlame } from '../../format/blame.ts';
import { colours as makeColours, type Colours } from '../../format/colour.ts';
import { eventKey, relativeTime, renderChangeDiff } from '../../format/diff.ts';
import { materializeEach, previousObjects } from '../../history/walk.ts';
import { renderHistoryTable, renderOverview, timestamp } from '../../format/views.ts';
import { toJson, toYaml } from '../../format/yaml.ts';
import {
  getChange, getObject, getOverview, listChanges, MAX_OBJECT_HISTORY, type ChangeScope, type ChangeSelector,
} from './changes-api.ts';
import { discoverResources, qualifiedName, resolveType, type ApiResource } from './discovery.ts';
import { BlameError } from './errors.ts';
import { explain, explained, type Doing } from './explain.ts';
import { ApiError, type KubeSession } from './kube-client.ts';
import { blameSubject, describeEvent, objectAtOrExplain, revertTo } from './object-views.ts';
import type { AtRequest, BlameRequest, ChangesRequest, FieldsRequest, OverviewRequest, RevertRequest } from './options.ts';

export interface Output {
  /** One line of the result, to stdout. */
  out(line: string): void;
  /** One line of notes and warnings, to stderr (so a pipe gets only the result). */
  note(line: string): void;
}

export interface RunContext {
  session: KubeSession;
  /** Epoch milliseconds, for relative times. */
  now: number;
  colour: boolean;
  width: number;
  output: Output;
}

export async function runBlame(request: BlameRequest, ctx: RunContext): Promise<void> {
  switch (request.view) {
    case 'overview':
      return overviewView(request, ctx);
    case 'changes':
      return changesView(request, ctx);
    case 'fields':
      return fieldsView(request, ctx);
    case 'at':
      return atView(request, ctx);
    case 'revert':
      return revertView(request, ctx);
  }
}

// ---------------------------------------------------------------------------------------------------
// shared steps

function call<T>(ctx: RunContext, doing: Doing, request: () => Promise<T>): Promise<T> {
  return explained(doing, request, ctx.session.contextName);
}

async function resolve(ctx: RunContext, type: string): Promise<ApiResource> {
  const resources = await call(ctx, { what: 'discovery' }, () => discoverResources(ctx.session.api));
  return resolveType(type, resources);
}

function paint(ctx: RunContext): Colours {
  return makeColours(ctx.colour);
}

function printDocument(ctx: RunContext, doc: unknown, format: 'json' | 'yaml', comments: string[] = []): void {
  const text = format === 'json' ? toJson(doc as JsonObject) : toYaml(doc as JsonObject);
  if (format === 'yaml') for (const c of comments) ctx.output.out(`# ${c}`);
  for (const line of text.replace(/\n$/, '').split('\n')) ctx.output.out(line);
}

function changeList(items: readonly Change[]): JsonObject {
  return { apiVersion: GROUP_VERSION, kind: 'ChangeList', metadata: {}, items };
}

/** The namespace an object lives in: none for cluster-scoped types, else -n or the context's. */
function namespaceFor(resource: ApiResource, requested: string | undefined, ctx: RunContext): string | undefined {
  return resource.namespaced ? (requested ?? ctx.session.defaultNamespace) : undefined;
}

function scopeOf(resource: ApiResource, namespace: string | undefined): ChangeScope {
  if (!resource.namespaced) return { clusterScoped: true };
  return namespace === undefined ? { everywhere: true } : { namespace };
}

/** `deployments.apps/web in namespace shop`: an object, for messages. */
function objectName(resource: ApiResource, name: string, namespace: string | undefined): string {
  return `${qualifiedName(resource)}/${name}${namespace !== undefined ? ` in namespace ${namespace}` : ''}`;
}

function sameTarget(change: Change, resource: ApiResource, name: string | undefined): boolean {
  return change.target.group === resource.group && change.target.kind === resource.kind && (name === undefined || change.target.name === name);
}

/** One object's whole recorded history, oldest first, each event with the whole object after it. */
async function objectHistory(ctx: RunContext, resource: ApiResource, namespace: string | undefined, name: string): Promise<ChangeEvent[]> {
  const selector: ChangeSelector = { group: resource.group, kind: resource.kind, name, order: 'asc' };
  const page = await call(ctx, { what: 'changes', namespace: namespace ?? '' }, () =>
    listChanges(ctx.session.api, scopeOf(resource, namespace), selector, MAX_OBJECT_HISTORY),
  );
  return materializeEach(page.items.filter((c) => sameTarget(c, resource, name)).map(fromChange));
}

/** The live object, or undefined when it does not exist (or, with a note, when we may not read it). */
async function liveObject(ctx: RunContext, resource: ApiResource, namespace: string | undefined, name: string): Promise<JsonObject | undefined> {
  try {
    return await getObject(ctx.session.api, resource, namespace, name);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    if (error instanceof ApiError && error.status === 403) {
      ctx.output.note(`note: you may not read ${objectName(resource, name, namespace)} itself, so only its recorded history is shown`);
      return undefined;
    }
    throw explain(error, { what: 'object', type: qualifiedName(resource), name, ...(namespace ? { namespace } : {}) }, ctx.session.contextName);
  }
}

function noHistory(resource: ApiResource, name: string, namespace: string | undefined, exists: boolean, filtered: boolean): BlameError {
  const what = objectName(resource, name, namespace);
  if (filtered) return new BlameError(`no recorded change to ${what} matches the filters`);
  if (exists) {
    return new BlameError(
      `logistis has recorded no change to ${what}: it exists, but has not changed since logistis began recording ` +
        '(or its history was pruned). --fields still shows who owns each field, from its managedFields.',
    );
  }
  return new BlameError(`${what} not found, and logistis has recorded no change to it`);
}

// ---------------------------------------------------------------------------------------------------
// kubectl blame: the overview

async function overviewView(request: OverviewRequest, ctx: RunContext): Promise<void> {
  // -o wide lists every active user; the server returns the top 3 unless asked for more (at most 20).
  const topUsers = request.output === 'wide' ? 20 : undefined;
  const overview = await call(ctx, { what: 'overview' }, () => getOverview(ctx.session.api, request.since, topUsers));
  if (request.output === 'json' || request.output === 'yaml') {
    printDocument(ctx, { apiVersion: GROUP_VERSION, kind: 'Overview', ...overview }, request.output);
    return;
  }
  if (overview.namespaces.length === 0) {
    ctx.output.note(`No changes recorded since ${timestamp(overview.since || request.since)} (${relativeTime(overview.since || request.since, ctx.now)} ago).`);
    return;
  }
  const lines = renderOverview(overview, { now: ctx.now, width: ctx.width, colours: paint(ctx), wide: request.output === 'wide' });
  for (const line of lines) ctx.output.out(line);
}

// ---------------------------------------------------------------------------------------------------
// kubectl blame -n NS | -A | TYPE [NAME]: the changes

async function changesView(request: ChangesRequest, ctx: RunContext): Promise<void> {
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
  const events = materializeEach(items.map(fromChange));
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

/**
 * Each of the first `count` events (newest first) as a header and a diff from the object before it, found among
 * all `events`; the header gets the change ID, which --revert takes.
 */
function diffLines(events: readonly ChangeEvent[], count: number, request: ChangesRequest, ctx: RunContext): string[] {
  const c = paint(ctx);
  const paired = previousObjects(events);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const { event, previous, known } = paired[i]!;
    const block = renderChangeDiff(event, known ? previous : undefined, {
      now: ctx.now,
      context: request.diff.context,
      format: request.diff.format,
      colours: c,
      maxLineWidth: ctx.width,
    });
    const endOfHeader = block.indexOf('');
    block.splice(endOfHeader < 0 ? block.length : endOfHeader, 0, c.dim(`  change: ${event.id}`));
    if (out.length > 0) out.push('');
    out.push(...block);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// --fields

async function fieldsView(request: FieldsRequest, ctx: RunContext): Promise<void> {
  const resource = await resolve(ctx, request.type);
  const namespace = namespaceFor(resource, request.namespace, ctx);
  const [history, live] = await Promise.all([
    objectHistory(ctx, resource, namespace, request.name),
    liveObject(ctx, resource, namespace, request.name),
  ]);
  if (history.length === 0 && live === undefined) throw noHistory(resource, request.name, namespace, false, false);
  const isSecret = resource.group === '' && resource.kind === 'Secret';
  const result = blameObject(history, blameSubject(history, live, isSecret));
  if (request.output === 'json' || request.output === 'yaml') {
    printDocument(ctx, { lines: result.lines } as JsonObject, request.output);
  } else {
    for (const line of renderBlame(result, { now: ctx.now, width: ctx.width, colours: paint(ctx) })) ctx.output.out(line);
  }
  const what = objectName(resource, request.name, namespace);
  if (history.length === 0) {
    ctx.output.note(`note: logistis has recorded no change to ${what}; each line shows its owner from metadata.managedFields`);
  } else if (live === undefined) {
    const newest = history[history.length - 1]!;
    ctx.output.note(
      newest.operation === 'DELETE'
        ? `note: ${what} no longer exists; shown as it was when ${describeEvent(newest)} deleted it`
        : `note: ${what} could not be read; shown as last recorded`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// --at

async function atView(request: AtRequest, ctx: RunContext): Promise<void> {
  const resource = await resolve(ctx, request.type);
  const namespace = namespaceFor(resource, request.namespace, ctx);
  const history = await objectHistory(ctx, resource, namespace, request.name);
  if (history.length === 0) {
    const live = await liveObject(ctx, resource, namespace, request.name);
    throw noHistory(resource, request.name, namespace, live !== undefined, false);
  }
  const { event, object } = objectAtOrExplain(history, request.at);
  const comments = [
    `${eventKey(event)} as it was at ${new Date(request.at).toISOString()}`,
    `last changed before then by ${describeEvent(event)}`,
  ];
  if (resource.group === '' && resource.kind === 'Secret') comments.push('Secret values are the fingerprints logistis recorded, never the values');
  printDocument(ctx, object, request.output, comments);
}

// ---------------------------------------------------------------------------------------------------
// --revert

async function revertView(request: RevertRequest, ctx: RunContext): Promise<void> {
  let history: ChangeEvent[];
  if (request.type !== undefined && request.name !== undefined) {
    const resource = await resolve(ctx, request.type);
    const namespace = namespaceFor(resource, request.namespace, ctx);
    history = await objectHistory(ctx, resource, namespace, request.name);
    if (history.length === 0) {
      const live = await liveObject(ctx, resource, namespace, request.name);
      throw noHistory(resource, request.name, namespace, live !== undefined, false);
    }
  } else {
    // Only the ID: find the change in the namespace, then read its object's history.
    const namespace = request.namespace ?? ctx.session.defaultNamespace;
    const change = await call(ctx, { what: 'change', namespace, id: request.changeId }, () => getChange(ctx.session.api, namespace, request.changeId));
    const target = change.target;
    const scope: ChangeScope = target.namespace === '' ? { clusterScoped: true } : { namespace: target.namespace };
    const selector: ChangeSelector = { group: target.group, kind: target.kind, name: target.name, order: 'asc' };
    const page = await call(ctx, { what: 'changes', namespace: target.namespace }, () => listChanges(ctx.session.api, scope, selector, MAX_OBJECT_HISTORY));
    history = materializeEach(
      page.items.filter((c) => c.target.group === target.group && c.target.kind === target.kind && c.target.name === target.name).map(fromChange),
    );
  }
  const { manifest, change, later } = revertTo(history, request.changeId);
  const comments = [
    `${eventKey(change)} as it was before the change by ${describeEvent(change)}`,
    'kubectl apply -f - restores every field below; kubectl replace -f - also drops fields added since',
  ];
  printDocument(ctx, manifest, request.output, comments);
  if (later.length > 0) {
    ctx.output.note(`note: this manifest also undoes ${later.length} later change${later.length === 1 ? '' : 's'}:`);
    for (const e of later) ctx.output.note(`  ${describeEvent(e)}`);
  }
}
