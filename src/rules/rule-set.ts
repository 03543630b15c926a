// The capture rules of one server: the user's rules file (rules and per-kind ignore-paths) plus the enabled
// presets, compiled once at start. A bad rule throws RuleCompileError and stops the start.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { IgnorePathError, parseIgnorePath, type IgnorePath, type NormaliseOptions } from '../admission/normalise.ts';
import { parseRedactPath, RedactPathError, type RedactPath } from '../admission/redact.ts';
import type { AdmissionRequest } from '../admission/review.ts';
import { RuleCompileError } from './cel.ts';
import { ALWAYS_RECORDED_METADATA, compilePresets, OPERATOR_REDACT_PATHS, type AlwaysRecordedKeys, type PresetName } from './presets.ts';
import { compileRule, evaluateRules, type CompiledRule, type RuleHooks, type RuleVerdict } from './rules.ts';

/** The rules file, parsed. */
export interface RulesDocument {
  rules: unknown[];
  ignorePaths: unknown[];
  /** Label and annotation keys added to ALWAYS_RECORDED_METADATA. */
  alwaysRecord?: unknown[];
  /** Fields to fingerprint, added to OPERATOR_REDACT_PATHS. */
  redactPaths?: unknown[];
}

const DOCUMENT_KEYS = ['rules', 'ignorePaths', 'alwaysRecord', 'redactPaths'] as const;

export interface RuleSet {
  /** User rules first, then presets. */
  rules: CompiledRule[];
  presets: PresetName[];
  /** Whether CONNECT on pods/exec, attach and portforward is recorded (the `exec` preset). */
  recordConnect: boolean;
  /** The normalise options with the file's ignore-paths added. */
  normalise: NormaliseOptions;
  /** Fields fingerprinted per kind: OPERATOR_REDACT_PATHS and the file's redactPaths. */
  redactPaths: RedactPath[];
  evaluate(request: AdmissionRequest, hooks?: RuleHooks): RuleVerdict;
}

export const EMPTY_RULES_DOCUMENT: RulesDocument = { rules: [], ignorePaths: [] };

/** Accepts `{rules, ignorePaths}` or a bare list of rules. */
export function parseRulesDocument(text: string, where: string): RulesDocument {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new RuleCompileError(`${where} is not valid YAML: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return EMPTY_RULES_DOCUMENT;
  if (Array.isArray(parsed)) return { rules: parsed, ignorePaths: [] };
  if (typeof parsed !== 'object') throw new RuleCompileError(`${where} must hold a mapping with ${DOCUMENT_KEYS.join(', ')}, or a list of rules`);
  const source = parsed as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    if (!(DOCUMENT_KEYS as readonly string[]).includes(key)) throw new RuleCompileError(`${where}: unknown key "${key}"; known: ${DOCUMENT_KEYS.join(', ')}`);
  }
  const list = (key: string): unknown[] => {
    const value = source[key] ?? [];
    if (!Array.isArray(value)) throw new RuleCompileError(`${where}: ${key} must be a list`);
    return value;
  };
  return { rules: list('rules'), ignorePaths: list('ignorePaths'), alwaysRecord: list('alwaysRecord'), redactPaths: list('redactPaths') };
}

export function readRulesFile(path: string): RulesDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RuleCompileError(`rules file ${path}: ${(error as Error).message}`);
  }
  return parseRulesDocument(text, `rules file ${path}`);
}

function names(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) throw new RuleCompileError(`${where} must be a name or a list of names`);
  return list;
}

function entryFields(entry: unknown, at: string, known: readonly string[], shape = known.join(', ')): Record<string, unknown> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new RuleCompileError(`${at}: must be a mapping with ${shape}`);
  const source = entry as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    if (!known.includes(key)) throw new RuleCompileError(`${at}: unknown key "${key}"; known: ${known.join(', ')}`);
  }
  return source;
}

/**
 * Entries of `{paths, kinds, apiGroups}` (ignorePaths, redactPaths), one result per path: `parse` reads a path and
 * throws `PathError` for one it cannot, which becomes a RuleCompileError naming the entry.
 */
function compilePathEntries<Segments>(
  entries: readonly unknown[], where: string, shape: string, parse: (text: string) => Segments, PathError: new (...args: never[]) => Error,
): { kinds: string[]; apiGroups: string[]; text: string; segments: Segments }[] {
  return entries.flatMap((entry, index) => {
    const at = `${where} entry ${index + 1}`;
    const source = entryFields(entry, at, ['paths', 'kinds', 'apiGroups'], shape);
    const kinds = names(source['kinds'], `${at}: kinds`);
    const apiGroups = names(source['apiGroups'], `${at}: apiGroups`);
    const paths = names(source['paths'], `${at}: paths`);
    if (paths.length === 0) throw new RuleCompileError(`${at}: paths is required`);
    return paths.map((text) => {
      try {
        return { kinds, apiGroups, text, segments: parse(text) };
      } catch (error) {
        if (error instanceof PathError) throw new RuleCompileError(`${at}: ${error.message}`);
        throw error;
      }
    });
  });
}

export function compileIgnorePaths(entries: readonly unknown[]): IgnorePath[] {
  return compilePathEntries(entries, 'ignorePaths', 'paths (and kinds, apiGroups)', parseIgnorePath, IgnorePathError);
}

/** The rules file's `alwaysRecord` entries: `{labels, annotations, kinds, apiGroups}`, keys as globs. */
export function compileAlwaysRecord(entries: readonly unknown[]): AlwaysRecordedKeys[] {
  return entries.map((entry, index) => {
    const at = `alwaysRecord entry ${index + 1}`;
    const source = entryFields(entry, at, ['labels', 'annotations', 'kinds', 'apiGroups']);
    const keys: AlwaysRecordedKeys = {
      labels: names(source['labels'], `${at}: labels`),
      annotations: names(source['annotations'], `${at}: annotations`),
      kinds: names(source['kinds'], `${at}: kinds`),
      apiGroups: names(source['apiGroups'], `${at}: apiGroups`),
    };
    if (keys.labels!.length === 0 && keys.annotations!.length === 0) throw new RuleCompileError(`${at}: give labels or annotations (or both)`);
    return keys;
  });
}

/** Redact-path entries (the built-in list and the rules file's `redactPaths`) parsed. */
export function compileRedactPaths(entries: readonly unknown[], where = 'redactPaths'): RedactPath[] {
  return compilePathEntries(entries, where, 'paths, kinds, apiGroups', parseRedactPath, RedactPathError);
}

/** OPERATOR_REDACT_PATHS, parsed: what capture redacts when its settings name no paths. */
export const BUILT_IN_REDACT_PATHS = compileRedactPaths(OPERATOR_REDACT_PATHS, 'built-in redactPaths');

export function compileRuleSet(document: RulesDocument, presets: readonly PresetName[], normalise: NormaliseOptions): RuleSet {
  const ignorePaths = compileIgnorePaths(document.ignorePaths);
  const alwaysRecorded = [...ALWAYS_RECORDED_METADATA, ...compileAlwaysRecord(document.alwaysRecord ?? [])];
  const redactPaths = [...BUILT_IN_REDACT_PATHS, ...compileRedactPaths(document.redactPaths ?? [])];
  const withPaths: NormaliseOptions = { ...normalise, ignorePaths: [...(normalise.ignorePaths ?? []), ...ignorePaths] };
  const userRules = document.rules.map((raw, index) => compileRule(raw, index));
  const seen = new Set<string>();
  for (const rule of userRules) {
    if (seen.has(rule.name)) throw new RuleCompileError(`rule "${rule.name}": the name is used twice; each rule needs its own (it labels a metric)`);
    seen.add(rule.name);
  }
  const rules = [...userRules, ...compilePresets(presets, withPaths, alwaysRecorded)];
  return {
    rules,
    presets: [...presets],
    recordConnect: presets.includes('exec'),
    normalise: withPaths,
    redactPaths,
    evaluate: (request, hooks) => evaluateRules(rules, request, hooks),
  };
}

/** The rule set `serve` runs with: the rules file (none for `''`) and the presets, on top of `normalise`. */
export function loadRuleSet(file: string, presets: readonly PresetName[], normalise: NormaliseOptions): RuleSet {
  const document = file ? readRulesFile(file) : EMPTY_RULES_DOCUMENT;
  try {
    return compileRuleSet(document, presets, normalise);
  } catch (error) {
    if (error instanceof RuleCompileError && file) throw new RuleCompileError(`rules file ${file}: ${error.message}`);
    throw error;
  }
}
