// What every kubectl-blame view is given, and the steps they share: asking the API server with an explained
// failure, resolving a type, reading one object's history or its live state, printing a document, and the
// messages for an object without history. Nothing here prints an error: failures are thrown as BlameError.
import { GROUP_VERSION, type Change } from '../../../api/change.ts';
import type { JsonObject } from '../../../event.ts';
import { colours as makeColours } from '../../../format/colour.ts';
import type { Colours } from '../../../format/colour-roles.ts';
import { toJson, toYaml } from '../../../format/yaml.ts';
import { getObject, type ChangeScope, type PastTarget } from '../changes-api.ts';
import { discoverResources, qualifiedName, resolveType, type ApiResource } from '../discovery.ts';
import { BlameError } from '../errors.ts';
import { explain, explained, type Doing } from '../explain.ts';
import { ApiError, type KubeSession } from '../kube-client.ts';

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

export function call<T>(ctx: RunContext, doing: Doing, request: () => Promise<T>): Promise<T> {
  return explained(doing, request, ctx.session.contextName);
}

export async function resolve(ctx: RunContext, type: string): Promise<ApiResource> {
  const resources = await call(ctx, { what: 'discovery' }, () => discoverResources(ctx.session.api));
  return resolveType(type, resources);
}

export function paint(ctx: RunContext): Colours {
  return makeColours(ctx.colour);
}

export function printDocument(ctx: RunContext, doc: unknown, format: 'json' | 'yaml', comments: string[] = []): void {
  const text = format === 'json' ? toJson(doc as JsonObject) : toYaml(doc as JsonObject);
  if (format === 'yaml') for (const c of comments) ctx.output.out(`# ${c}`);
  for (const line of text.replace(/\n$/, '').split('\n')) ctx.output.out(line);
}

export function changeList(items: readonly Change[]): JsonObject {
  return { apiVersion: GROUP_VERSION, kind: 'ChangeList', metadata: {}, items };
}

/** The namespace an object lives in: none for cluster-scoped types, else -n or the context's. */
export function namespaceFor(resource: ApiResource, requested: string | undefined, ctx: RunContext): string | undefined {
  return resource.namespaced ? (requested ?? ctx.session.defaultNamespace) : undefined;
}

export function scopeOf(resource: ApiResource, namespace: string | undefined): ChangeScope {
  if (!resource.namespaced) return { clusterScoped: true };
  return namespace === undefined ? { everywhere: true } : { namespace };
}

/** The object whose past the server is asked for. */
export function pastTarget(resource: ApiResource, namespace: string | undefined, name: string): PastTarget {
  return { group: resource.group, kind: resource.kind, name, namespace: resource.namespaced ? namespace : undefined };
}

/** `deployments.apps/web in namespace shop`: an object, for messages. */
export function objectName(resource: ApiResource, name: string, namespace: string | undefined): string {
  return `${qualifiedName(resource)}/${name}${namespace !== undefined ? ` in namespace ${namespace}` : ''}`;
}

export function sameTarget(change: Change, resource: ApiResource, name: string | undefined): boolean {
  return change.target.group === resource.group && change.target.kind === resource.kind && (name === undefined || change.target.name === name);
}

/** The live object, or undefined when it does not exist (or, with a note, when we may not read it). */
export async function liveObject(ctx: RunContext, resource: ApiResource, namespace: string | undefined, name: string): Promise<JsonObject | undefined> {
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

export function noHistory(resource: ApiResource, name: string, namespace: string | undefined, exists: boolean, filtered: boolean): BlameError {
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
