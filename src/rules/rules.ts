// Capture rules: an ordered list of include/exclude rules, first match wins; the user's rules come first, then
// the enabled presets; a request no rule matches is recorded. Compiled once at start, evaluated per request. Pure.
import type { AdmissionOperation, AdmissionRequest } from '../admission/review.ts';
import { compileCel, RuleCompileError, type CelPredicate } from './cel.ts';
import { compileNames, type NameMatcher } from './glob.ts';

export type RuleAction = 'include' | 'exclude';

/** A rule as written in the rules file. Every field given must match; a list matches when any entry does. */
export interface RuleSpec {
  name: string;
  action: RuleAction;
  /** Usernames (globs), e.g. `alice`, `system:node:*`. */
  users?: string[];
  /** The user's groups (globs): matches when any of them does. */
  userGroups?: string[];
  /** `namespace/name` of a service account (globs), e.g. `kube-system/*`. */
  serviceAccounts?: string[];
  /** The request's namespace (globs); `""` is a cluster-scoped object. */
  namespaces?: string[];
  /** API group of the resource (globs); `""` is the core group. */
  apiGroups?: string[];
  resources?: string[];
  kinds?: string[];
  /** `""` is the main resource. */
  subresources?: string[];
  operations?: AdmissionOperation[];
  /** CEL over `request`, `object` and `oldObject`; true matches. */
  expression?: string;
}

/** A check that needs more than the request's names (the objects' contents); presets only. */
export type RequestPredicate = (request: AdmissionRequest) => boolean;

export interface CompiledRule {
  name: string;
  action: RuleAction;
  /** The rule as written, for `webhook-config` and messages. */
  spec: RuleSpec;
  fieldMatchers: Array<(request: AdmissionRequest) => boolean>;
  predicate?: RequestPredicate;
  expression?: CelPredicate;
}

export interface RuleVerdict {
  record: boolean;
  /** The rule that decided; undefined when none matched (recorded by default). */
  rule?: string;
}

export const RECORD_BY_DEFAULT: RuleVerdict = { record: true };

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
const OPERATIONS: readonly AdmissionOperation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];
const LIST_FIELDS = ['users', 'userGroups', 'serviceAccounts', 'namespaces', 'apiGroups', 'resources', 'kinds', 'subresources', 'operations'] as const;
const RULE_KEYS = new Set<string>(['name', 'action', 'expression', ...LIST_FIELDS]);

/** `namespace/name` of the service account a username stands for, or undefined. */
export function serviceAccountOf(username: string): string | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const rest = username.slice(SERVICE_ACCOUNT_PREFIX.length);
  const colon = rest.indexOf(':');
  return colon < 0 ? undefined : `${rest.slice(0, colon)}/${rest.slice(colon + 1)}`;
}

function fieldMatchers(spec: RuleSpec): CompiledRule['fieldMatchers'] {
  const matchers: CompiledRule['fieldMatchers'] = [];
  const names = (patterns: string[] | undefined, value: (request: AdmissionRequest) => string) => {
    if (!patterns) return;
    const matches: NameMatcher = compileNames(patterns);
    matchers.push((request) => matches(value(request)));
  };
  // Cheapest and most selective first: most rules name an operation or a resource.
  if (spec.operations) {
    const operations = new Set<string>(spec.operations);
    matchers.push((request) => operations.has(request.operation));
  }
  names(spec.resources, (request) => request.resource.resource);
  names(spec.subresources, (request) => request.subResource);
  names(spec.apiGroups, (request) => request.resource.group);
  names(spec.kinds, (request) => request.kind.kind);
  names(spec.namespaces, (request) => request.namespace);
  names(spec.users, (request) => request.userInfo.username);
  if (spec.serviceAccounts) {
    const matches = compileNames(spec.serviceAccounts);
    matchers.push((request) => {
      const account = serviceAccountOf(request.userInfo.username);
      return account !== undefined && matches(account);
    });
  }
  if (spec.userGroups) {
    const matches = compileNames(spec.userGroups);
    matchers.push((request) => request.userInfo.groups.some(matches));
  }
  return matchers;
}

/** Checks a rule from the rules file (parsed YAML) and compiles it; throws RuleCompileError naming what is wrong. */
export function compileRule(raw: unknown, index: number, predicate?: RequestPredicate): CompiledRule {
  const at = `rule ${index + 1}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RuleCompileError(`${at}: must be a mapping with name, action and what to match`);
  const source = raw as Record<string, unknown>;
  const name = source['name'];
  if (typeof name !== 'string' || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name)) {
    throw new RuleCompileError(`${at}: name must be lower-case letters, digits, "-" and "." (it labels a metric), got ${JSON.stringify(name)}`);
  }
  const where = `rule "${name}"`;
  for (const key of Object.keys(source)) {
    if (!RULE_KEYS.has(key)) throw new RuleCompileError(`${where}: unknown key "${key}"; known: ${[...RULE_KEYS].join(', ')}`);
  }
  const action = source['action'];
  if (action !== 'include' && action !== 'exclude') throw new RuleCompileError(`${where}: action must be include or exclude, got ${JSON.stringify(action)}`);
  const spec: RuleSpec = { name, action };
  for (const key of LIST_FIELDS) {
    const value = source[key];
    if (value === undefined) continue;
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string')) {
      throw new RuleCompileError(`${where}: ${key} must be a name or a non-empty list of names`);
    }
    if (key === 'operations') {
      const operations = list.map((item) => item.toUpperCase());
      const bad = operations.find((operation) => !(OPERATIONS as readonly string[]).includes(operation));
      if (bad !== undefined) throw new RuleCompileError(`${where}: operations: unknown operation "${bad}"; use ${OPERATIONS.join(', ')}`);
      spec.operations = operations as AdmissionOperation[];
    } else {
      spec[key] = list;
    }
  }
  const expression = source['expression'];
  if (expression !== undefined && typeof expression !== 'string') throw new RuleCompileError(`${where}: expression must be a CEL string`);
  if (expression !== undefined) spec.expression = expression;
  const compiled: CompiledRule = { name, action, spec, fieldMatchers: fieldMatchers(spec) };
  if (expression !== undefined) compiled.expression = compileCel(expression, where);
  if (predicate) compiled.predicate = predicate;
  if (compiled.fieldMatchers.length === 0 && !compiled.expression && !predicate) {
    throw new RuleCompileError(`${where}: matches every request; give at least one of ${[...LIST_FIELDS, 'expression'].join(', ')}`);
  }
  return compiled;
}

export interface RuleHooks {
  /** A rule's expression failed on this request (the rule then does not match). */
  onError?(rule: string, error: Error): void;
}

function matches(rule: CompiledRule, request: AdmissionRequest, hooks: RuleHooks): boolean {
  for (const matcher of rule.fieldMatchers) if (!matcher(request)) return false;
  if (rule.predicate && !rule.predicate(request)) return false;
  if (!rule.expression) return true;
  const result = rule.expression({ request, object: request.object, oldObject: request.oldObject });
  if (result instanceof Error) {
    hooks.onError?.(rule.name, result);
    return false;
  }
  return result;
}

/** First match wins; no match records. */
export function evaluateRules(rules: readonly CompiledRule[], request: AdmissionRequest, hooks: RuleHooks = {}): RuleVerdict {
  for (const rule of rules) {
    if (matches(rule, request, hooks)) return { record: rule.action === 'include', rule: rule.name };
  }
  return RECORD_BY_DEFAULT;
}
