// `kubectl blame lock (NS | TYPE/NAME) ...`, `kubectl blame unlock NAME`, `kubectl blame locks`: manage Locks
// (locks.logistis.io, docs/locks.md) with the user's own credentials. Parsing and the Lock to create are pure;
// failures become BlameErrors for the entry point, like every other view.
import { Command, CommanderError } from 'commander';
import { parseDuration } from '../../config/units.ts';
import { isObject, type JsonObject } from '../../event.ts';
import { renderTable } from '../../format/table.ts';
import { toJson, toYaml } from '../../format/yaml.ts';
import { LOCK_API_VERSION, LOCK_GROUP, LOCK_KIND, LOCK_RESOURCE, LOCK_VERSION } from '../../locks/lock.ts';
import type { Change } from '../../api/change.ts';
import { listChanges } from './changes-api.ts';
import { discoverResources, resolveType } from './discovery.ts';
import { BlameError, usageError } from './errors.ts';
import { explain } from './explain.ts';
import type { KubeSession } from './kube-client.ts';
import { parseTarget, type Connection } from './options.ts';

export const LOCK_COMMANDS = ['lock', 'unlock', 'locks'] as const;

export type LockCommandRequest =
  | { command: 'lock'; connection: Connection; namespace?: string; type?: string; name?: string; objectNamespace?: string;
    users: string[]; groups: string[]; exceptGroups: string[]; reason: string; forMs?: number; lockName?: string }
  | { command: 'unlock'; connection: Connection; lockName: string }
  | { command: 'locks'; connection: Connection; output: 'table' | 'json' | 'yaml' };

const collect = (value: string, previous: string[]) => [...previous, value];

/** Parses argv whose first word is lock, unlock or locks. Returns null after --help. */
export function parseLockCommand(argv: readonly string[], writeOut: (text: string) => void): LockCommandRequest | null {
  const [command, ...rest] = argv;
  let message = '';
  const program = new Command(`kubectl blame ${command}`)
    .option('--kubeconfig <file>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context to use')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ writeOut, writeErr: () => {}, outputError: (text) => (message = text.trim().replace(/^error: /, '')) })
    .action(() => {});
  if (command === 'lock') {
    program.usage('(NAMESPACE | TYPE/NAME -n NAMESPACE) (--user U | --group G)... --reason TEXT [--for 2h]')
      .argument('<what>', 'a namespace, or an object as TYPE/NAME')
      .option('-n, --namespace <namespace>', 'the namespace of TYPE/NAME')
      .option('--user <name>', 'lock this user out (repeatable)', collect, [])
      .option('--group <group>', 'lock this group out (repeatable)', collect, [])
      .option('--except-group <group>', 'spare this group (a break-glass group; repeatable)', collect, [])
      .option('--reason <text>', 'shown to whoever is denied')
      .option('--for <duration>', 'the Lock expires after this long, e.g. 2h')
      .option('--name <name>', 'the Lock\'s name (default: derived from what it locks)');
  } else if (command === 'unlock') {
    program.usage('NAME').argument('<name>', 'the Lock to delete (see kubectl blame locks)');
  } else {
    program.option('-o, --output <format>', 'table (default), json or yaml');
  }
  try {
    program.parse(rest, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return null;
      throw usageError(message || error.message);
    }
    throw error;
  }
  const flags = program.opts<Record<string, string | string[] | undefined>>();
  const connection: Connection = {
    ...(typeof flags['kubeconfig'] === 'string' ? { kubeconfig: flags['kubeconfig'] } : {}),
    ...(typeof flags['context'] === 'string' ? { context: flags['context'] } : {}),
  };
  const args = program.processedArgs as string[];
  if (command === 'unlock') return { command, connection, lockName: args[0]! };
  if (command === 'locks') {
    const output = (flags['output'] as string | undefined) ?? 'table';
    if (!['table', 'json', 'yaml'].includes(output)) throw usageError(`--output "${output}": must be one of table, json, yaml`);
    return { command, connection, output: output as 'table' | 'json' | 'yaml' };
  }
  const users = flags['user'] as string[];
  const groups = flags['group'] as string[];
  if (users.length + groups.length === 0) throw usageError('lock: say whom to lock out with --user or --group (system:authenticated is everyone)');
  const reason = (flags['reason'] as string | undefined)?.trim() ?? '';
  if (reason === '') throw usageError('lock: --reason is required; it is shown to whoever is denied');
  let forMs: number | undefined;
  if (flags['for'] !== undefined) {
    const parsed = parseDuration(flags['for'] as string);
    if (parsed === null || parsed <= 0) throw usageError(`--for "${String(flags['for'])}": give a duration such as 30m, 2h or 1d`);
    forMs = parsed;
  }
  const base = {
    command: 'lock', connection, users, groups, exceptGroups: flags['exceptGroup'] as string[], reason,
    ...(forMs !== undefined ? { forMs } : {}),
    ...(typeof flags['name'] === 'string' ? { lockName: flags['name'] } : {}),
  } as const;
  const what = args[0]!;
  if (what.includes('/')) {
    const { type, name } = parseTarget(what, undefined);
    return { ...base, type: type!, name: name!, ...(typeof flags['namespace'] === 'string' ? { objectNamespace: flags['namespace'] } : {}) };
  }
  if (flags['namespace'] !== undefined) throw usageError(`lock ${what}: -n is only for TYPE/NAME; a namespace is given as the argument`);
  return { ...base, namespace: what };
}

function dnsName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 253) || 'lock';
}

/** The Lock object `kubectl blame lock` creates. Pure. */
export function lockObject(
  request: Extract<LockCommandRequest, { command: 'lock' }>,
  target: { namespaces: string[]; resources?: { group: string; resource: string }[]; names?: string[] },
  now: number,
): JsonObject {
  const name = request.lockName ?? dnsName(`lock-${[...(target.names ?? []), ...target.namespaces].join('-')}`);
  return {
    apiVersion: LOCK_API_VERSION, kind: LOCK_KIND, metadata: { name },
    spec: {
      target,
      subjects: { ...(request.users.length ? { users: request.users } : {}), ...(request.groups.length ? { groups: request.groups } : {}) },
      ...(request.exceptGroups.length ? { except: { groups: request.exceptGroups } } : {}),
      ...(request.forMs !== undefined ? { expires: new Date(now + request.forMs).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
      reason: request.reason,
    },
  };
}

function apiError(error: unknown, doing: string): BlameError {
  const code = (error as { code?: number }).code;
  let detail = (error as Error).message;
  try {
    const body = JSON.parse(String((error as { body?: unknown }).body)) as { message?: string };
    if (body.message) detail = body.message;
  } catch {
    // not a Kubernetes Status
  }
  if (code === 403) return new BlameError(`you may not ${doing} (${detail}).\nAsk a cluster admin for the logistis-lock-admin ClusterRole.`);
  if (code === 404 && /could not find the requested resource|page not found/i.test(detail)) {
    return new BlameError(`Locks are not installed in this cluster: kubectl apply -f deploy/crd/locks.logistis.io.yaml (${detail})`);
  }
  if (code === undefined) return new BlameError(`cannot ${doing}: ${detail}.\nCheck the context with: kubectl cluster-info`);
  return new BlameError(`cannot ${doing}: ${code} ${detail}`);
}

const str = (value: unknown) => (Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '');

/**
 * Who created each Lock, by the Lock's uid: the username logistis recorded for its CREATE. The API server
 * authenticated that user, so unlike a field in the Lock (which whoever writes it may set to anything) it cannot
 * be forged by the Lock's author. Denied attempts created nothing and are left out. Pure.
 */
export function lockCreators(creates: readonly Change[]): Map<string, string> {
  const creators = new Map<string, string>();
  for (const change of creates) {
    if (change.operation !== 'CREATE' || change.deniedBy !== undefined || change.target.uid === '') continue;
    creators.set(change.target.uid, change.user.username);
  }
  return creators;
}

/**
 * The `kubectl blame locks` table. `creators` is null when the history could not be read (BY shows `?`); a Lock
 * logistis has no CREATE for (made before logistis ran, or pruned) shows `-`. Pure.
 */
export function renderLocksTable(items: readonly JsonObject[], creators: ReadonlyMap<string, string> | null): string[] {
  if (items.length === 0) return ['No Locks.'];
  const rows = items.map((item) => {
    const spec = isObject(item['spec']) ? item['spec'] : {};
    const target = isObject(spec['target']) ? spec['target'] : {};
    const subjects = isObject(spec['subjects']) ? spec['subjects'] : {};
    const status = isObject(item['status']) ? item['status'] : {};
    const metadata = isObject(item['metadata']) ? item['metadata'] : {};
    const what = [str(target['namespaces']) && `ns ${str(target['namespaces'])}`, str(target['names']) && `names ${str(target['names'])}`].filter(Boolean).join('; ') || 'everything';
    const from = [str(subjects['users']) && `users ${str(subjects['users'])}`, str(subjects['groups']) && `groups ${str(subjects['groups'])}`].filter(Boolean).join('; ');
    const by = creators === null ? '?' : (creators.get(str(metadata['uid'])) ?? '-');
    return [str(metadata['name']), what, from, by, str(metadata['creationTimestamp']), str(spec['expires']) || '-', str(status['phase']) || '-', str(spec['reason'])];
  });
  const columns = ['NAME', 'WHAT', 'FROM', 'BY', 'SINCE', 'UNTIL', 'PHASE', 'WHY'].map((header) => ({ header, shrink: header === 'WHY' }));
  return renderTable(columns, rows);
}

/** The most Lock creations read from the history for BY; more Locks than that is not a thing. */
const MAX_LOCK_CREATES = 10_000;

/** Runs one lock command; `out` gets the result lines, `note` what the user should know besides (stderr). */
export async function runLockCommand(
  request: LockCommandRequest, session: KubeSession, out: (line: string) => void, now: number, note: (line: string) => void = out,
): Promise<void> {
  // Writing Locks goes through client-node's typed client, loaded only for these commands.
  const [{ CustomObjectsApi }, { loadKubeConfig }] = await Promise.all([import('@kubernetes/client-node'), import('../../kube/config.ts')]);
  const api = loadKubeConfig(request.connection).makeApiClient(CustomObjectsApi);
  const ref = { group: LOCK_GROUP, version: LOCK_VERSION, plural: LOCK_RESOURCE };
  if (request.command === 'unlock') {
    try {
      await api.deleteClusterCustomObject({ ...ref, name: request.lockName });
    } catch (error) {
      if ((error as { code?: number }).code === 404 && /not found/i.test(String((error as { body?: unknown }).body))) {
        throw new BlameError(`no Lock "${request.lockName}": see kubectl blame locks`);
      }
      throw apiError(error, `delete Lock "${request.lockName}"`);
    }
    out(`lock.logistis.io/${request.lockName} deleted`);
    return;
  }
  if (request.command === 'lock') {
    let target: { namespaces: string[]; resources?: { group: string; resource: string }[]; names?: string[] };
    if (request.namespace !== undefined) {
      target = { namespaces: [request.namespace] };
    } else {
      const resource = resolveType(request.type!, await discoverResources(session.api));
      const namespaces = resource.namespaced ? [request.objectNamespace ?? session.defaultNamespace] : [];
      target = { namespaces, resources: [{ group: resource.group, resource: resource.resource }], names: [request.name!] };
    }
    const body = lockObject(request, target, now);
    const name = (body['metadata'] as { name: string }).name;
    try {
      await api.createClusterCustomObject({ ...ref, body });
    } catch (error) {
      if ((error as { code?: number }).code === 409) throw new BlameError(`a Lock named "${name}" exists already: give another --name, or kubectl blame unlock ${name}`);
      throw apiError(error, 'create Locks');
    }
    out(`lock.logistis.io/${name} created`);
    return;
  }
  let list: { items?: unknown[] };
  try {
    list = (await api.listClusterCustomObject(ref)) as { items?: unknown[] };
  } catch (error) {
    throw apiError(error, 'list Locks');
  }
  const items = (list.items ?? []).filter(isObject);
  if (request.output !== 'table') {
    const doc = { apiVersion: LOCK_API_VERSION, kind: 'LockList', items };
    for (const line of (request.output === 'json' ? toJson(doc) : toYaml(doc)).replace(/\n$/, '').split('\n')) out(line);
    return;
  }
  let creators: Map<string, string> | null = null;
  if (items.length > 0) {
    try {
      const creates = await listChanges(session.api, { clusterScoped: true }, { group: LOCK_GROUP, kind: LOCK_KIND, operation: 'CREATE' }, MAX_LOCK_CREATES);
      creators = lockCreators(creates.items);
    } catch (error) {
      // The Locks are listed all the same; BY needs logistis' history, and the note says why it is missing.
      const explained = explain(error, { what: 'changes', namespace: '' }, session.contextName);
      if (!(explained instanceof BlameError)) throw explained;
      note(`note: BY (who created each Lock) is unknown: ${explained.message}`);
    }
  }
  for (const line of renderLocksTable(items, creators)) out(line);
}
