// `logistis serve` settings from flags, environment (LOGISTIS_*), and a YAML file (--config), in that order of
// precedence over the defaults. Every bad value is rejected with a message that names the setting.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseDuration, parseSize } from './units.ts';
import { parseStoreSpec } from '../store/index.ts';
import { LAST_APPLIED_MODES, type LastAppliedMode, type NormaliseOptions } from '../admission/normalise.ts';
import { DEFAULT_PRESETS, PRESET_NAMES, parsePresetList, type PresetName } from '../rules/presets.ts';

export interface ServeConfig {
  listenHost: string;
  listenPort: number;
  /** The webhooks' own listener (--capture-listen); port 0: the webhooks are served on the main listener. */
  captureListenHost: string;
  captureListenPort: number;
  tlsCertFile: string;
  tlsKeyFile: string;
  store: string;
  /** Connection settings for a postgres:// store. */
  postgres: { poolSize: number; passwordFile?: string; tlsCaFile?: string; tlsCertFile?: string; tlsKeyFile?: string };
  maxEventsPerObject: number;
  maxAgeMs: number;
  /** 0: no limit. */
  maxStoreBytes: number;
  logDir: string;
  maxLogBytes: number;
  logDrainTimeoutMs: number;
  maxBodyBytes: number;
  auth: 'none' | 'kubernetes';
  /** Reader threads and the deadline of every read (src/read/thread-reads.ts). */
  reads: { threads: number; timeoutMs: number };
  kubeconfig: string;
  requestheaderClientCaFile: string;
  requestheaderAllowedNames: string[] | undefined;
  /** PEM CA bundle of the client certificate kube-apiserver presents to the webhook; '' = /capture is open. */
  captureClientCaFile: string;
  /** Common names accepted on that certificate; empty = any certificate the CA signed. */
  captureAllowedNames: string[];
  metricsListenHost: string;
  /** 0: /metrics is served only on the main port. */
  metricsListenPort: number;
  limits: ConnectionLimits;
  /** The capture listener's limits: the main listener's timeouts, its own connection cap. */
  captureLimits: ConnectionLimits;
  liveStreams: LiveStreamLimits;
  /** After a signal, how long requests in flight may take before the connections still open are closed. */
  shutdownGraceMs: number;
  redactionKeyFile: string;
  commitTimeoutMs: number;
  pruneIntervalMs: number;
  normalise: NormaliseOptions;
  recordUnchanged: boolean;
  // Capture rules (src/rules/): the rules file ('' for none), the presets switched on, last-applied folding.
  rules: string;
  capturePresets: PresetName[];
  lastApplied: LastAppliedMode;
  locks: boolean;
  /** Confirm recorded changes against a watch of the recorded kinds, and record changes no request explains. */
  provenance: boolean;
  provenanceWindowMs: number;
  logLevel: string;
}

/** HTTP server limits; every one has a flag. */
export interface ConnectionLimits {
  /** Time to receive a whole request, headers and body (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** Time to receive the headers (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** A socket with no activity for this long is closed (Node's socket timeout). */
  connectionTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** A connection is closed after this many requests (0: no limit), so clients spread over replicas. */
  maxRequestsPerSocket: number;
  /** Connections beyond this are refused. */
  maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 65_000,
  maxRequestsPerSocket: 1000,
  maxConnections: 2048,
};

/** How many live-update streams (/api/v1/events/live) may be open: each holds a connection for as long as it lasts. */
export interface LiveStreamLimits {
  perServer: number;
  /** Per user; with --auth none, per client address. */
  perUser: number;
}

/**
 * Over an hour of captures at 1,000/s with the bench's mix of reviews (1.8 KiB a record measured, framing included,
 * so 6.3 GiB an hour): the store may be down that long before a change goes unrecorded (README, "When the store is
 * down").
 */
export const DEFAULT_MAX_LOG_BYTES = '8GiB';

export const DEFAULT_LIVE_STREAM_LIMITS: LiveStreamLimits = { perServer: 256, perUser: 8 };

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
  { key: 'captureListen', description: 'HOST:PORT of a second HTTPS listener that serves only the webhooks (POST /capture, POST /locks/check) and /healthz, /readyz, with its own connection cap; the main listener then refuses the webhooks (default: none, the webhooks are served on --listen)' },
  { key: 'tlsCertFile', description: 'PEM certificate (chain); re-read when it changes' },
  { key: 'tlsKeyFile', description: 'PEM private key; re-read when it changes' },
  { key: 'store', description: 'event store: sqlite:PATH, or postgres://USER@HOST:PORT/DATABASE (the PG* environment variables fill in what the URL leaves out)', defaultValue: 'sqlite:./data/events.db' },
  { key: 'storePoolSize', description: 'PostgreSQL connections for writes, and as many again for reads', defaultValue: '10' },
  { key: 'storePasswordFile', description: 'file holding the PostgreSQL password, re-read for each new connection' },
  { key: 'storeTlsCaFile', description: 'PEM CA bundle to verify the PostgreSQL server; with it the connection requires TLS' },
  { key: 'storeTlsCertFile', description: 'PEM client certificate for PostgreSQL certificate authentication' },
  { key: 'storeTlsKeyFile', description: 'PEM private key of --store-tls-cert-file' },
  { key: 'maxEventsPerObject', description: 'keep the newest N events of each object', defaultValue: '100' },
  { key: 'maxAge', description: 'prune events older than this (e.g. 30d, 12h)', defaultValue: '30d' },
  { key: 'maxStoreBytes', description: 'prune the oldest events while the store takes more than this (e.g. 20GiB; 0: no limit)', defaultValue: '0' },
  { key: 'logDir', description: 'directory of the commit log, where each capture is durable before it is answered (ADR 0029); one per replica, on local disk. Default: next to the sqlite file (PATH-log), or ./data/commit-log' },
  { key: 'maxLogBytes', description: 'most bytes the commit log may hold while the store is down or behind; past it a change is allowed unrecorded (lost, reason log-full)', defaultValue: DEFAULT_MAX_LOG_BYTES },
  { key: 'logDrainTimeout', description: 'at shutdown: how long to keep moving the commit log into the store; what is left stays in the log for the next start', defaultValue: '20s' },
  { key: 'maxBodyBytes', description: 'largest AdmissionReview read whole (e.g. 8MiB); a larger one is recorded from its metadata, marked oversized (ADR 0017)', defaultValue: '8MiB' },
  { key: 'auth', description: 'read-API authentication: kubernetes (TokenReview, front proxy, SubjectAccessReview) or none (local demo only)', defaultValue: 'kubernetes' },
  { key: 'readTimeout', description: 'a read not answered within this is answered 504 and its work stopped', defaultValue: '30s' },
  { key: 'readerThreads', description: 'threads that answer reads; a history, blame or activity read never takes the last one', defaultValue: '2' },
  { key: 'kubeconfig', description: "logistis's own kubeconfig for TokenReview/SubjectAccessReview (default: KUBECONFIG, in-cluster, ~/.kube/config)" },
  { key: 'requestheaderClientCaFile', description: 'CA of the front-proxy client certificate (default: from kube-system/extension-apiserver-authentication)' },
  { key: 'requestheaderAllowedNames', description: 'comma list of front-proxy certificate common names to accept (default: from the same ConfigMap)' },
  { key: 'captureClientCaFile', description: 'CA (PEM) of the client certificate kube-apiserver presents to the webhook (AdmissionConfiguration kubeConfigFile); with it, POST /capture refuses every other caller' },
  { key: 'captureAllowedNames', description: 'comma list of common names accepted on that client certificate (default: any the CA signed)' },
  { key: 'metricsListen', description: 'HOST:PORT for a separate plain-HTTP /metrics without authentication (default: /metrics only on the main port, where --auth kubernetes requires get on the non-resource URL /metrics)' },
  { key: 'requestTimeout', description: 'time to receive a whole request, headers and body', defaultValue: '30s' },
  { key: 'headersTimeout', description: 'time to receive the request headers', defaultValue: '10s' },
  { key: 'connectionTimeout', description: 'close a connection with no activity for this long', defaultValue: '60s' },
  { key: 'keepAliveTimeout', description: 'close an idle keep-alive connection after this long', defaultValue: '65s' },
  { key: 'maxRequestsPerSocket', description: 'close a connection after this many requests (0: no limit)', defaultValue: '1000' },
  { key: 'maxConnections', description: 'refuse connections beyond this many open ones', defaultValue: '2048' },
  { key: 'captureMaxConnections', description: 'the same cap for the --capture-listen listener', defaultValue: '1024' },
  { key: 'maxLiveStreams', description: `live-update streams (/api/v1/events/live) open at once on this server; more get 429; below --max-connections (default: ${DEFAULT_LIVE_STREAM_LIMITS.perServer}, or half of --max-connections if less)` },
  { key: 'maxLiveStreamsPerUser', description: `live-update streams one user (with --auth none: one client address) may hold open; more get 429 (default: ${DEFAULT_LIVE_STREAM_LIMITS.perUser}, at most --max-live-streams)` },
  { key: 'shutdownGrace', description: 'after SIGTERM: how long requests in flight may take before the connections still open are closed', defaultValue: '3s' },
  { key: 'redactionKeyFile', description: 'HMAC key for Secret fingerprints; created (0600) if missing. Default: next to the sqlite file' },
  { key: 'commitTimeout', description: 'allow a change anyway if its event is not committed within this time', defaultValue: '2s' },
  { key: 'pruneInterval', description: 'how often the age-based pruning runs', defaultValue: '10m' },
  { key: 'normalise', description: `fields removed before patching: comma list of ${NORMALISE_FIELDS.join(', ')}, or none`, defaultValue: NORMALISE_FIELDS.join(',') },
  { key: 'recordUnchanged', description: 'also record UPDATEs that change nothing after normalising', boolean: true },
  { key: 'rules', description: 'YAML file of capture rules (include/exclude, first match wins), per-kind ignorePaths and redactPaths, and alwaysRecord keys; see docs/capture-rules.md' },
  { key: 'capturePresets', description: `built-in capture rules switched on: comma list of ${PRESET_NAMES.join(', ')}, or none`, defaultValue: DEFAULT_PRESETS.join(',') },
  { key: 'lastApplied', description: `the kubectl last-applied-configuration annotation: ${LAST_APPLIED_MODES.join(', ')} (fold: one short digest)`, defaultValue: 'fold' },
  { key: 'locks', description: 'enforce Locks (locks.logistis.io): watch them with --kubeconfig and deny matching requests', boolean: true },
  { key: 'provenance', description: 'watch the recorded kinds with --kubeconfig: mark each event confirmed or not-applied, and record changes no captured request explains as unattributed', boolean: true },
  { key: 'provenanceWindow', description: 'a recorded change the watch has not shown within this time is marked not-applied', defaultValue: '30s' },
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
    case 'env': return envName(key);
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

  const hostPort = (key: string, value: string, example: string): { host: string; port: number } => {
    const match = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(value);
    if (!match || Number(match[2]) > 65535) return fail(key, `must be HOST:PORT, e.g. ${example}, got "${value}"`);
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  };
  const listen = hostPort('listen', required('listen'), '0.0.0.0:8443');
  const captureListenText = text('captureListen');
  const captureListen = captureListenText ? hostPort('captureListen', captureListenText, '0.0.0.0:8444') : { host: '', port: 0 };
  if (captureListen.port !== 0 && captureListen.port === listen.port && (captureListen.host === listen.host || [captureListen.host, listen.host].some((host) => ['0.0.0.0', '::'].includes(host)))) {
    fail('captureListen', `must be another port than --listen (${listen.port})`);
  }
  const metricsListenText = text('metricsListen');
  const metricsListen = metricsListenText ? hostPort('metricsListen', metricsListenText, '0.0.0.0:9090') : { host: '', port: 0 };
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
  const wholeNumber = (key: string): number => {
    const value = required(key);
    if (!/^\d+$/.test(value)) fail(key, `must be a whole number, got "${value}"`);
    return Number(value);
  };
  const limits: ConnectionLimits = {
    requestTimeoutMs: duration('requestTimeout'),
    headersTimeoutMs: duration('headersTimeout'),
    connectionTimeoutMs: duration('connectionTimeout'),
    keepAliveTimeoutMs: duration('keepAliveTimeout'),
    maxRequestsPerSocket: wholeNumber('maxRequestsPerSocket'),
    maxConnections: positiveInteger('maxConnections'),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) fail('headersTimeout', 'must not be longer than --request-timeout');
  // Streams last for hours: at their cap they must still leave connections for everything else.
  const perServer = text('maxLiveStreams') === undefined
    ? Math.max(1, Math.min(DEFAULT_LIVE_STREAM_LIMITS.perServer, Math.floor(limits.maxConnections / 2)))
    : positiveInteger('maxLiveStreams');
  if (text('maxLiveStreams') !== undefined && perServer >= limits.maxConnections) fail('maxLiveStreams', `must be below --max-connections (${limits.maxConnections}), so that streams never take every connection`);
  const perUser = text('maxLiveStreamsPerUser') === undefined ? Math.min(DEFAULT_LIVE_STREAM_LIMITS.perUser, perServer) : positiveInteger('maxLiveStreamsPerUser');
  if (perUser > perServer) fail('maxLiveStreamsPerUser', `must not be more than --max-live-streams (${perServer})`);
  const liveStreams: LiveStreamLimits = { perServer, perUser };
  const captureAllowedNames = (text('captureAllowedNames') ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  if (captureAllowedNames.length > 0 && !text('captureClientCaFile')) fail('captureAllowedNames', 'needs --capture-client-ca-file');
  const maxBody = required('maxBodyBytes');
  const maxBodyBytes = parseSize(maxBody);
  if (maxBodyBytes === null || maxBodyBytes < 1024) fail('maxBodyBytes', `must be a size of at least 1KiB such as 3MiB, got "${maxBody}"`);
  const storeBytes = (): number => {
    const value = required('maxStoreBytes');
    if (value === '0') return 0;
    const parsed = parseSize(value);
    if (parsed === null || parsed < 1024 * 1024) return fail('maxStoreBytes', `must be 0 or a size of at least 1MiB such as 20GiB, got "${value}"`);
    return parsed;
  };
  const logBytes = (): number => {
    const value = required('maxLogBytes');
    const parsed = parseSize(value);
    if (parsed === null || parsed < 1024 * 1024) return fail('maxLogBytes', `must be a size of at least 1MiB such as 8GiB, got "${value}"`);
    return parsed;
  };
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
  let capturePresets: PresetName[] = [];
  try {
    capturePresets = parsePresetList(required('capturePresets'));
  } catch (error) {
    fail('capturePresets', (error as Error).message);
  }
  const lastApplied = required('lastApplied');
  if (!(LAST_APPLIED_MODES as readonly string[]).includes(lastApplied)) fail('lastApplied', `must be one of ${LAST_APPLIED_MODES.join(', ')}, got "${lastApplied}"`);
  const locksText = text('locks') ?? 'false';
  if (!['true', 'false'].includes(locksText)) fail('locks', `must be true or false, got "${locksText}"`);
  const provenanceText = text('provenance') ?? 'false';
  if (!['true', 'false'].includes(provenanceText)) fail('provenance', `must be true or false, got "${provenanceText}"`);
  const logLevel = required('logLevel');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) fail('logLevel', `unknown level "${logLevel}"`);
  const tlsCertFile = required('tlsCertFile');
  const tlsKeyFile = required('tlsKeyFile');
  const storeSpec = parseStoreSpec(store);
  const redactionKeyFile = text('redactionKeyFile')
    || (storeSpec.driver === 'sqlite' ? `${storeSpec.location}.redaction-key` : fail('redactionKeyFile', 'required with a PostgreSQL store, so that every replica uses the same key'));

  return {
    listenHost: listen.host,
    listenPort: listen.port,
    captureListenHost: captureListen.host,
    captureListenPort: captureListen.port,
    tlsCertFile,
    tlsKeyFile,
    store,
    postgres: {
      poolSize: positiveInteger('storePoolSize'),
      ...(text('storePasswordFile') ? { passwordFile: text('storePasswordFile') } : {}),
      ...(text('storeTlsCaFile') ? { tlsCaFile: text('storeTlsCaFile') } : {}),
      ...(text('storeTlsCertFile') ? { tlsCertFile: text('storeTlsCertFile') } : {}),
      ...(text('storeTlsKeyFile') ? { tlsKeyFile: text('storeTlsKeyFile') } : {}),
    },
    maxEventsPerObject: positiveInteger('maxEventsPerObject'),
    maxAgeMs: duration('maxAge'),
    maxStoreBytes: storeBytes(),
    logDir: text('logDir') || (storeSpec.driver === 'sqlite' ? `${storeSpec.location}-log` : './data/commit-log'),
    maxLogBytes: logBytes(),
    logDrainTimeoutMs: duration('logDrainTimeout'),
    maxBodyBytes: maxBodyBytes!,
    auth: auth as 'none' | 'kubernetes',
    reads: { threads: positiveInteger('readerThreads'), timeoutMs: duration('readTimeout') },
    kubeconfig: text('kubeconfig') ?? '',
    requestheaderClientCaFile: text('requestheaderClientCaFile') ?? '',
    requestheaderAllowedNames: allowedNames === undefined ? undefined : allowedNames.split(',').map((name) => name.trim()).filter(Boolean),
    captureClientCaFile: text('captureClientCaFile') ?? '',
    captureAllowedNames,
    metricsListenHost: metricsListen.host,
    metricsListenPort: metricsListen.port,
    limits,
    captureLimits: { ...limits, maxConnections: positiveInteger('captureMaxConnections') },
    liveStreams,
    shutdownGraceMs: duration('shutdownGrace'),
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
    rules: text('rules') ?? '',
    capturePresets,
    lastApplied: lastApplied as LastAppliedMode,
    locks: locksText === 'true',
    provenance: provenanceText === 'true',
    provenanceWindowMs: duration('provenanceWindow'),
    logLevel,
  };
}
