// `logistis serve` settings from flags, environment (LOGISTIS_*), and a YAML file (--config), in that order of
// precedence over the defaults. Every bad value is rejected with a message that names the setting.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseDuration, parseSize } from './units.ts';
import { parseStoreSpec } from '../store/index.ts';
import type { NormaliseOptions } from '../admission/normalise.ts';

export interface ServeConfig {
  listenHost: string;
  listenPort: number;
  tlsCertFile: string;
  tlsKeyFile: string;
  store: string;
  maxEventsPerObject: number;
  maxAgeMs: number;
  maxBodyBytes: number;
  auth: 'none' | 'kubernetes';
  kubeconfig: string;
  requestheaderClientCaFile: string;
  requestheaderAllowedNames: string[] | undefined;
  redactionKeyFile: string;
  commitTimeoutMs: number;
  pruneIntervalMs: number;
  normalise: NormaliseOptions;
  recordUnchanged: boolean;
  locks: boolean;
  logLevel: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Raw = string | number | boolean;

interface Setting {
  /** camelCase: the YAML key; the flag is its kebab-case, the env var LOGISTIS_ + SNAKE_CASE. */
  key: string;
  description: string;
  defaultValue?: string;
  boolean?: boolean;
}

const NORMALISE_FIELDS = ['managedFields', 'resourceVersion', 'generation', 'status'] as const;

export const SERVE_SETTINGS: Setting[] = [
  { key: 'listen', description: 'HOST:PORT to serve HTTPS on', defaultValue: '0.0.0.0:8443' },
  { key: 'tlsCertFile', description: 'PEM certificate (chain); re-read when it changes' },
  { key: 'tlsKeyFile', description: 'PEM private key; re-read when it changes' },
  { key: 'store', description: 'event store: sqlite:PATH (postgres://… is reserved)', defaultValue: 'sqlite:./data/events.db' },
  { key: 'maxEventsPerObject', description: 'keep the newest N events of each object', defaultValue: '100' },
  { key: 'maxAge', description: 'prune events older than this (e.g. 30d, 12h)', defaultValue: '30d' },
  { key: 'maxBodyBytes', description: 'largest AdmissionReview accepted (e.g. 3MiB)', defaultValue: '3MiB' },
  { key: 'auth', description: 'read-API authentication: kubernetes (TokenReview, front proxy, SubjectAccessReview) or none (local demo only)', defaultValue: 'kubernetes' },
  { key: 'kubeconfig', description: "logistis's own kubeconfig for TokenReview/SubjectAccessReview (default: KUBECONFIG, in-cluster, ~/.kube/config)" },
  { key: 'requestheaderClientCaFile', description: 'CA of the front-proxy client certificate (default: from kube-system/extension-apiserver-authentication)' },
  { key: 'requestheaderAllowedNames', description: 'comma list of front-proxy certificate common names to accept (default: from the same ConfigMap)' },
  { key: 'redactionKeyFile', description: 'HMAC key for Secret fingerprints; created (0600) if missing. Default: next to the sqlite file' },
  { key: 'commitTimeout', description: 'allow a change anyway if its event is not committed within this time', defaultValue: '2s' },
  { key: 'pruneInterval', description: 'how often the age-based pruning runs', defaultValue: '10m' },
  { key: 'normalise', description: `fields removed before patching: comma list of ${NORMALISE_FIELDS.join(', ')}, or none`, defaultValue: NORMALISE_FIELDS.join(',') },
  { key: 'recordUnchanged', description: 'also record UPDATEs that change nothing after normalising', boolean: true },
  { key: 'locks', description: 'enforce Locks (locks.logistis.io): watch them with --kubeconfig and deny matching requests', boolean: true },
  { key: 'logLevel', description: 'fatal, error, warn, info, debug or trace', defaultValue: 'info' },
];

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

export function envName(key: string): string {
  return `LOGISTIS_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

function readConfigFile(path: string): Record<string, Raw> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`--config: cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`--config: ${path} is not valid YAML: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`--config: ${path} must hold a mapping of settings`);
  const known = new Set(SERVE_SETTINGS.map((setting) => setting.key));
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) throw new ConfigError(`--config: unknown setting "${key}" in ${path}; known: ${[...known].join(', ')}`);
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new ConfigError(`--config: ${key} in ${path} must be a single value`);
  }
  return parsed as Record<string, Raw>;
}

function describeSource(key: string, source: 'flag' | 'env' | 'file' | 'default'): string {
  switch (source) {
    case 'flag': return `--${flagName(key)}`;
    case 'env': return `${envName(key)}`;
    case 'file': return `${key} (in --config)`;
    case 'default': return `--${flagName(key)}`;
  }
}

/**
 * Merges defaults < config file < environment < flags, then validates.
 * `flags` holds only the options given on the command line, keyed by camelCase.
 */
export function resolveServeConfig(flags: Record<string, Raw | undefined>, env: NodeJS.ProcessEnv): ServeConfig {
  const file = typeof flags['config'] === 'string' ? readConfigFile(flags['config']) : {};
  const values = new Map<string, { value: Raw | undefined; source: 'flag' | 'env' | 'file' | 'default' }>();
  for (const setting of SERVE_SETTINGS) {
    const fromEnv = env[envName(setting.key)];
    if (flags[setting.key] !== undefined) values.set(setting.key, { value: flags[setting.key], source: 'flag' });
    else if (fromEnv !== undefined) values.set(setting.key, { value: fromEnv, source: 'env' });
    else if (file[setting.key] !== undefined) values.set(setting.key, { value: file[setting.key], source: 'file' });
    else values.set(setting.key, { value: setting.defaultValue, source: 'default' });
  }
  const text = (key: string): string | undefined => {
    const entry = values.get(key)!;
    return entry.value === undefined ? undefined : String(entry.value);
  };
  const fail = (key: string, message: string): never => {
    throw new ConfigError(`${describeSource(key, values.get(key)!.source)}: ${message}`);
  };
  const required = (key: string): string => text(key) || fail(key, 'required');

  const listen = required('listen');
  const listenMatch = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  if (!listenMatch || Number(listenMatch[2]) > 65535) fail('listen', `must be HOST:PORT, e.g. 0.0.0.0:8443, got "${listen}"`);
  const store = required('store');
  try {
    parseStoreSpec(store);
  } catch (error) {
    fail('store', (error as Error).message.replace(/^--store /, ''));
  }
  const positiveInteger = (key: string): number => {
    const value = required(key);
    if (!/^\d+$/.test(value) || Number(value) < 1) fail(key, `must be a whole number of at least 1, got "${value}"`);
    return Number(value);
  };
  const duration = (key: string): number => {
    const value = required(key);
    const parsed = parseDuration(value);
    if (parsed === null || parsed <= 0) return fail(key, `must be a duration such as 30d, 12h, 90s, got "${value}"`);
    return parsed;
  };
  const maxBody = required('maxBodyBytes');
  const maxBodyBytes = parseSize(maxBody);
  if (maxBodyBytes === null || maxBodyBytes < 1024) fail('maxBodyBytes', `must be a size of at least 1KiB such as 3MiB, got "${maxBody}"`);
  const auth = required('auth');
  if (auth !== 'none' && auth !== 'kubernetes') fail('auth', `must be kubernetes or none, got "${auth}"`);
  const allowedNames = text('requestheaderAllowedNames');
  const normaliseText = required('normalise');
  const normaliseFields = normaliseText === 'none' ? [] : normaliseText.split(',').map((field) => field.trim());
  for (const field of normaliseFields) {
    if (!(NORMALISE_FIELDS as readonly string[]).includes(field)) fail('normalise', `unknown field "${field}"; use ${NORMALISE_FIELDS.join(', ')} or none`);
  }
  const recordUnchangedText = text('recordUnchanged') ?? 'false';
  if (!['true', 'false'].includes(recordUnchangedText)) fail('recordUnchanged', `must be true or false, got "${recordUnchangedText}"`);
  const locksText = text('locks') ?? 'false';
  if (!['true', 'false'].includes(locksText)) fail('locks', `must be true or false, got "${locksText}"`);
  const logLevel = required('logLevel');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) fail('logLevel', `unknown level "${logLevel}"`);
  const tlsCertFile = required('tlsCertFile');
  const tlsKeyFile = required('tlsKeyFile');
  const storeSpec = parseStoreSpec(store);
  const redactionKeyFile = text('redactionKeyFile')
    || (storeSpec.driver === 'sqlite' ? `${storeSpec.location}.redaction-key` : fail('redactionKeyFile', 'required with a PostgreSQL store, so that every replica uses the same key'));

  return {
    listenHost: listenMatch![1]!.replace(/^\[|\]$/g, ''),
    listenPort: Number(listenMatch![2]),
    tlsCertFile,
    tlsKeyFile,
    store,
    maxEventsPerObject: positiveInteger('maxEventsPerObject'),
    maxAgeMs: duration('maxAge'),
    maxBodyBytes: maxBodyBytes!,
    auth: auth as 'none' | 'kubernetes',
    kubeconfig: text('kubeconfig') ?? '',
    requestheaderClientCaFile: text('requestheaderClientCaFile') ?? '',
    requestheaderAllowedNames: allowedNames === undefined ? undefined : allowedNames.split(',').map((name) => name.trim()).filter(Boolean),
    redactionKeyFile,
    commitTimeoutMs: duration('commitTimeout'),
    pruneIntervalMs: duration('pruneInterval'),
    normalise: {
      dropManagedFields: normaliseFields.includes('managedFields'),
      dropResourceVersion: normaliseFields.includes('resourceVersion'),
      dropGeneration: normaliseFields.includes('generation'),
      dropStatus: normaliseFields.includes('status'),
    },
    recordUnchanged: recordUnchangedText === 'true',
    locks: locksText === 'true',
    logLevel,
  };
}
