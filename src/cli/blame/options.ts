// The command line of kubectl-blame: commander parses it, then every flag is validated here, at the edge, into
// one BlameRequest that says which view to show. Pure apart from commander writing --help to `writeOut`.
import { Command, CommanderError, Option } from 'commander';
import { parseTimeOrAgo } from '../../config/units.ts';
import type { ChangeOperation } from '../../event.ts';
import { DEFAULT_CONTEXT } from '../../format/diff.ts';
import { usageError } from './errors.ts';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';
export type TextFormat = 'yaml' | 'json';

/** Who, what and when to list; times already RFC 3339. */
export interface ChangeFilters {
  user?: string;
  userGroup?: string;
  operation?: ChangeOperation;
  since?: string;
  until?: string;
}

export interface Connection {
  kubeconfig?: string;
  context?: string;
}

interface Common {
  connection: Connection;
  /** --no-color given? (NO_COLOR and the TTY are decided later, see terminal.ts) */
  color: boolean;
}

/** `kubectl blame`: changes per namespace since a time. */
export interface OverviewRequest extends Common {
  view: 'overview';
  since: string;
  output: OutputFormat;
}

/** `-n NS`, `-A`, `TYPE [NAME]`: the changes, as a table, diffs or Change objects. */
export interface ChangesRequest extends Common {
  view: 'changes';
  type?: string;
  name?: string;
  namespace?: string;
  allNamespaces: boolean;
  filters: ChangeFilters;
  maxHistory: number;
  /** Only changes the provenance watch confirmed (`--confirmed-only`). */
  confirmedOnly: boolean;
  format: 'table' | 'diff';
  output: OutputFormat;
  diff: { context: number; format: TextFormat };
}

/** `TYPE NAME --fields`: the object's YAML, each line blamed on who last set it. */
export interface FieldsRequest extends Common {
  view: 'fields';
  type: string;
  name: string;
  namespace?: string;
  output: 'table' | 'json' | 'yaml';
}

/** `TYPE NAME --at TIME`: the object as it was then. */
export interface AtRequest extends Common {
  view: 'at';
  type: string;
  name: string;
  namespace?: string;
  /** Epoch milliseconds. */
  at: number;
  output: TextFormat;
}

/** `[TYPE NAME] --revert ID`: the manifest of the object as it was before that change. */
export interface RevertRequest extends Common {
  view: 'revert';
  changeId: string;
  type?: string;
  name?: string;
  namespace?: string;
  output: TextFormat;
}

export type BlameRequest = OverviewRequest | ChangesRequest | FieldsRequest | AtRequest | RevertRequest;

export const DEFAULT_MAX_HISTORY = 50;
export const MAX_MAX_HISTORY = 10_000;
export const DEFAULT_OVERVIEW_SINCE = '24h';

/** `kubectl blame`, or `kubectl logistis` when installed under that name (see bin/kubectl-logistis). */
export function commandName(env: Record<string, string | undefined>): string {
  return env['LOGISTIS_COMMAND'] === 'kubectl-logistis' ? 'kubectl logistis' : 'kubectl blame';
}

function examples(cmd: string): string {
  return `
Examples:
  # What changed in the cluster in the last 24 hours, per namespace
  ${cmd}
  ${cmd} --since 7d

  # The latest changes in a namespace, or everywhere, or by one person
  ${cmd} -n shop
  ${cmd} -A --user alice --since 2h

  # Who changed this Deployment, and how (TYPE as kubectl takes it: deploy, deployments.apps, a CRD's plural)
  ${cmd} deploy/web -n shop
  ${cmd} deployment web -n shop -f diff -U 5

  # Every line of the object, with who last set it and when
  ${cmd} deploy/web -n shop --fields

  # The object as it was two hours ago, or at a given time
  ${cmd} deploy/web -n shop --at 2h
  ${cmd} deploy/web -n shop --at 2025-06-12T09:30:00Z

  # The manifest from before a change (its ID is in -f diff and 'kubectl get changes'); never applied for you
  ${cmd} deploy/web -n shop --revert 42 | kubectl apply -f -

Needs list on changes.audit.logistis.io (the logistis-viewer ClusterRole) in the namespace, or cluster-wide for -A
and the overview. Colour only on a terminal; --no-color or NO_COLOR turn it off. Tables fit COLUMNS.
`;
}

function buildProgram(cmd: string, writeOut: (text: string) => void, onError: (message: string) => void): Command {
  return new Command(cmd)
    .description('Who changed what in the cluster, when and how: read the changes logistis recorded.')
    .usage('[TYPE[/NAME] | TYPE NAME] [flags]')
    .argument('[type]', 'resource type as kubectl takes it (deploy, deployments.apps, a CRD plural), or TYPE/NAME')
    .argument('[name]', 'object name')
    .option('-n, --namespace <namespace>', 'namespace (default: the context\'s namespace)')
    .option('-A, --all-namespaces', 'changes in every namespace')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-o, --output <format>', 'table, wide, json or yaml (json/yaml print the Change objects or the overview)')
    .option('-f, --format <view>', 'table (default) or diff: each change as a diff of the object')
    .option('-U, --unified <lines>', `lines of context around each change in a diff (default ${DEFAULT_CONTEXT})`)
    .option('--diff-format <format>', 'yaml (default) or json: the text the diff compares')
    .option('--fields', 'the object\'s YAML, every line prefixed by who last set it and when (git blame)')
    .option('--at <time>', 'the object as it was at TIME: RFC 3339, or a duration ago such as 2h')
    .option('--revert <change-id>', 'print (never apply) the manifest restoring the object as it was before that change')
    .option('--user <name>', 'only changes by this user')
    .option('--group <group>', 'only changes by members of this user group')
    .option('--operation <op>', 'only CREATE, UPDATE or DELETE')
    .option('--since <time>', `only changes since TIME: RFC 3339 or a duration such as 2h (overview default ${DEFAULT_OVERVIEW_SINCE})`)
    .option('--until <time>', 'only changes before TIME: RFC 3339 or a duration ago')
    .option('--confirmed-only', 'only changes the server\'s watch confirmed happened (serve --provenance); others are marked pending, not applied or unattributed')
    .option('--max-history <n>', `show at most N changes (default ${DEFAULT_MAX_HISTORY})`)
    .addOption(new Option('--no-color', 'no colour (also NO_COLOR=1); colour is only ever used on a terminal'))
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', examples(cmd))
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut,
      writeErr: () => {},
      outputError: (text) => onError(text.trim().replace(/^error: /, '')),
    })
    .action(() => {});
}

interface RawFlags {
  namespace?: string;
  allNamespaces?: boolean;
  kubeconfig?: string;
  context?: string;
  output?: string;
  format?: string;
  unified?: string;
  diffFormat?: string;
  fields?: boolean;
  at?: string;
  revert?: string;
  user?: string;
  group?: string;
  operation?: string;
  since?: string;
  until?: string;
  maxHistory?: string;
  confirmedOnly?: boolean;
  color: boolean;
}

// kubectl users write `-o=yaml` and `-n=shop`; commander would take `=yaml` as the value.
const SHORT_WITH_VALUE = /^-([noUf])=(.*)$/s;

function splitShortEquals(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg === '--') {
      out.push(...argv.slice(argv.indexOf(arg)));
      break;
    }
    const m = SHORT_WITH_VALUE.exec(arg);
    if (m) out.push(`-${m[1]}`, m[2]!);
    else out.push(arg);
  }
  return out;
}

export interface ParseContext {
  env: Record<string, string | undefined>;
  /** Epoch milliseconds: durations such as `--since 2h` count back from here. */
  now: number;
  /** Where --help goes. */
  writeOut: (text: string) => void;
}

/**
 * Parses `argv` (without node and the script) into a request. Returns null when --help was shown.
 * Throws a usage BlameError (exit code 2) for anything wrong, with a message that says what to write instead.
 */
export function parseArguments(argv: readonly string[], ctx: ParseContext): BlameRequest | null {
  const cmd = commandName(ctx.env);
  let commanderMessage = '';
  const program = buildProgram(cmd, ctx.writeOut, (message) => (commanderMessage = message));
  try {
    program.parse(splitShortEquals(argv), { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return null;
      if (error.code === 'commander.excessArguments') {
        throw usageError(`too many arguments: give TYPE, TYPE NAME or TYPE/NAME (one object at a time), then flags`);
      }
      throw usageError(commanderMessage || error.message.replace(/^error: /, ''));
    }
    throw error;
  }
  return toRequest(program.processedArgs as (string | undefined)[], program.opts<RawFlags>(), ctx);
}

function timeFlag(flag: string, value: string, now: number): string {
  const ms = parseTimeOrAgo(value, now);
  if (ms === null) {
    throw usageError(`${flag} "${value}": give an RFC 3339 time (2025-06-12T09:30:00Z) or a duration such as 90s, 15m, 2h or 7d`);
  }
  return new Date(ms).toISOString();
}

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw usageError(`${flag} "${value}": give a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

function oneOf<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  const lower = value.toLowerCase();
  if (!(choices as readonly string[]).includes(lower)) throw usageError(`${flag} "${value}": must be one of ${choices.join(', ')}`);
  return lower as T;
}

/** `deploy/web`, `deploy web`, or `deploy`. */
export function parseTarget(typeArg: string | undefined, nameArg: string | undefined): { type?: string; name?: string } {
  if (typeArg === undefined) return {};
  if (typeArg === '') throw usageError('TYPE is empty: give a resource type such as deploy, or TYPE/NAME');
  const slash = typeArg.indexOf('/');
  if (slash < 0) return nameArg === undefined ? { type: typeArg } : { type: typeArg, name: nameArg };
  const type = typeArg.slice(0, slash);
  const name = typeArg.slice(slash + 1);
  if (nameArg !== undefined) {
    throw usageError(`give the object as TYPE/NAME or as TYPE NAME, not both: "${typeArg}" and "${nameArg}"`);
  }
  if (type === '' || name === '' || name.includes('/')) {
    throw usageError(`"${typeArg}": write TYPE/NAME, such as deploy/web`);
  }
  return { type, name };
}

function toRequest(args: (string | undefined)[], flags: RawFlags, ctx: ParseContext): BlameRequest {
  const { type, name } = parseTarget(args[0], args[1]);
  const connection: Connection = {
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
  };
  if (flags.namespace !== undefined && flags.namespace.trim() === '') throw usageError('--namespace is empty: give a namespace, or -A for all');
  const namespace = flags.namespace;
  const allNamespaces = flags.allNamespaces === true;
  const common = { connection, color: flags.color };

  const objectViews = [flags.fields ? '--fields' : '', flags.at !== undefined ? '--at' : '', flags.revert !== undefined ? '--revert' : ''].filter(Boolean);
  if (objectViews.length > 1) throw usageError(`${objectViews.join(' and ')} are different views: choose one`);
  const objectView = objectViews[0];
  const filterFlags = [
    flags.user !== undefined ? '--user' : '',
    flags.group !== undefined ? '--group' : '',
    flags.operation !== undefined ? '--operation' : '',
    flags.since !== undefined ? '--since' : '',
    flags.until !== undefined ? '--until' : '',
    flags.maxHistory !== undefined ? '--max-history' : '',
    flags.confirmedOnly ? '--confirmed-only' : '',
  ].filter(Boolean);
  const diffFlags = [
    flags.format !== undefined ? '--format' : '',
    flags.unified !== undefined ? '-U' : '',
    flags.diffFormat !== undefined ? '--diff-format' : '',
  ].filter(Boolean);
  const output = flags.output === undefined ? undefined : oneOf<OutputFormat>('--output', flags.output, ['table', 'wide', 'json', 'yaml']);

  if (objectView !== undefined) {
    if (filterFlags.length > 0) throw usageError(`${filterFlags.join(', ')}: only for the history views; ${objectView} reads the whole history of one object`);
    if (diffFlags.length > 0) throw usageError(`${diffFlags.join(', ')}: only for the diff view (-f diff), not ${objectView}`);
    if (allNamespaces) throw usageError(`${objectView} shows one object: give its namespace with -n, not -A`);
    if (objectView === '--revert') {
      const changeId = flags.revert!.trim();
      if (changeId === '') throw usageError('--revert needs a change ID (see -f diff or kubectl get changes)');
      if (type !== undefined && name === undefined) throw usageError(`--revert: give the object as TYPE/NAME (such as ${type}/web), or only the change ID`);
      if (output === 'table' || output === 'wide') throw usageError('--revert prints a manifest: -o yaml (default) or -o json');
      return { view: 'revert', ...common, changeId, type, name, namespace, output: output ?? 'yaml' };
    }
    if (type === undefined || name === undefined) {
      throw usageError(`${objectView} shows one object: give it as TYPE/NAME or TYPE NAME, such as deploy/web`);
    }
    if (objectView === '--fields') {
      if (output === 'wide') throw usageError('--fields: -o table (default), json or yaml');
      return { view: 'fields', ...common, type, name, namespace, output: output ?? 'table' };
    }
    if (output === 'table' || output === 'wide') throw usageError('--at prints the object: -o yaml (default) or -o json');
    const at = parseTimeOrAgo(flags.at!, ctx.now);
    if (at === null) throw usageError(`--at "${flags.at}": give an RFC 3339 time (2025-06-12T09:30:00Z) or a duration ago such as 2h`);
    return { view: 'at', ...common, type, name, namespace, at, output: output ?? 'yaml' };
  }

  if (allNamespaces && name !== undefined) {
    throw usageError(`a single object cannot be found across all namespaces: drop -A and give -n NAMESPACE for ${type}/${name}`);
  }

  const overview = type === undefined && namespace === undefined && !allNamespaces;
  if (overview) {
    const notForOverview = [...filterFlags.filter((f) => f !== '--since'), ...diffFlags];
    if (notForOverview.length > 0) {
      throw usageError(`the cluster overview takes only --since; to list changes with ${notForOverview.join(', ')}, add -A (everywhere) or -n NAMESPACE`);
    }
    const since = timeFlag('--since', flags.since ?? DEFAULT_OVERVIEW_SINCE, ctx.now);
    return { view: 'overview', ...common, since, output: output ?? 'table' };
  }

  const format = flags.format === undefined ? 'table' : oneOf('--format', flags.format, ['table', 'diff'] as const);
  if (format === 'table' && (flags.unified !== undefined || flags.diffFormat !== undefined)) {
    throw usageError(`${[flags.unified !== undefined ? '-U' : '', flags.diffFormat !== undefined ? '--diff-format' : ''].filter(Boolean).join(' and ')} only apply to diffs: add -f diff`);
  }
  if (format === 'diff' && output !== undefined && output !== 'table') {
    throw usageError(`-f diff prints diffs and -o ${output} prints ${output === 'wide' ? 'a wider table' : 'the Change objects'}: choose one`);
  }
  const filters: ChangeFilters = {};
  if (flags.user !== undefined) filters.user = flags.user;
  if (flags.group !== undefined) filters.userGroup = flags.group;
  if (flags.operation !== undefined) filters.operation = oneOf('--operation', flags.operation, ['create', 'update', 'delete'] as const).toUpperCase() as ChangeOperation;
  if (flags.since !== undefined) filters.since = timeFlag('--since', flags.since, ctx.now);
  if (flags.until !== undefined) filters.until = timeFlag('--until', flags.until, ctx.now);
  if (filters.since !== undefined && filters.until !== undefined && filters.since >= filters.until) {
    throw usageError(`--since (${filters.since}) must be before --until (${filters.until})`);
  }
  return {
    view: 'changes',
    ...common,
    type,
    name,
    namespace,
    allNamespaces,
    filters,
    maxHistory: flags.maxHistory === undefined ? DEFAULT_MAX_HISTORY : wholeNumber('--max-history', flags.maxHistory, 1, MAX_MAX_HISTORY),
    confirmedOnly: flags.confirmedOnly === true,
    format,
    output: output ?? 'table',
    diff: {
      context: flags.unified === undefined ? DEFAULT_CONTEXT : wholeNumber('-U', flags.unified, 0, 10_000),
      format: flags.diffFormat === undefined ? 'yaml' : oneOf('--diff-format', flags.diffFormat, ['yaml', 'json'] as const),
    },
  };
}
