// `logistis serve`: the webhook and read API over HTTPS.
import { Command } from 'commander';
import closeWithGrace from 'close-with-grace';
import pino, { type Logger } from 'pino';
import { OPEN_READ_ACCESS, kubernetesReadAccess, type ReadAccess } from '../../server/auth/read-access.ts';
import type { FrontProxySettings } from '../../server/auth/types.ts';
import type { Server } from 'node:https';
import { buildApp, type AppConfig } from '../../server/app.ts';
import { closeApps } from '../../server/shutdown.ts';
import { createMetrics, createMetricsServer, storeMetricsHooks, type Metrics } from '../../server/metrics.ts';
import { readFileSync } from 'node:fs';
import { parseCaBundle } from '../../server/auth/client-certificate.ts';
import type { CaptureCallerPolicy } from '../../server/webhook-callers.ts';
import { readTlsFiles, watchTlsFiles } from '../../server/tls-reloader.ts';
import { openEventStore } from '../../store/index.ts';
import { loadOrCreateRedactionKey } from '../../capture/redaction-key.ts';
import { ResourceKinds } from '../../capture/kinds.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import type { LockWatcher } from '../../locks/watcher.ts';
import { isLogConsumerStore, isProvenanceStore, type EventStore } from '../../store/types.ts';
import { CommitLog, LogDamagedError, LogInUseError } from '../../log/commit-log.ts';
import { LogIndexer } from '../../log/indexer.ts';
import { LoggedStore } from '../../log/logged-store.ts';
import { ConfigError, SERVE_SETTINGS, flagName, envName, resolveServeConfig, type ServeConfig } from '../../config/serve-config.ts';
import { RuleCompileError } from '../../rules/cel.ts';
import { loadRuleSet, type RuleSet } from '../../rules/rule-set.ts';

export function serveCommand(): Command {
  const command = new Command('serve')
    .description('serve the admission webhook (POST /capture) and the read API over HTTPS (the webhook on its own listener with --capture-listen)')
    .option('--config <file>', 'YAML file with any of the settings below (camelCase keys)');
  for (const setting of SERVE_SETTINGS) {
    const flag = setting.boolean ? `--${flagName(setting.key)}` : `--${flagName(setting.key)} <value>`;
    const defaultText = setting.defaultValue ? ` (default: ${setting.defaultValue})` : '';
    command.option(flag, `${setting.description}${defaultText}; env ${envName(setting.key)}`);
  }
  command.action(async (flags: Record<string, string | boolean | undefined>) => {
    await serve(resolveServeConfig(flags, process.env));
  });
  return command;
}

// The Kubernetes client and what uses it load only when a setting needs the API server (--auth kubernetes,
// --locks, --provenance): the client alone adds about 55 MiB to the process (bench/analysis.md).
// Read once for all three users (read access, Locks, provenance), when the first needs it.
function kubeConfigLoader(config: ServeConfig): () => Promise<KubeConfig> {
  let loaded: Promise<KubeConfig> | undefined;
  return () => (loaded ??= import('../../kube/config.ts').then(({ loadKubeConfig }) => loadKubeConfig({ kubeconfig: config.kubeconfig || undefined })));
}

async function setUpReadAccess(config: ServeConfig, logger: Logger, kubeConfigOf: () => Promise<KubeConfig>): Promise<{ readAccess: ReadAccess; clientCa?: string }> {
  if (config.auth === 'none') {
    logger.warn('--auth none: the read API answers anyone who can reach this port, with no Kubernetes RBAC. Use it only for a local demo.');
    return { readAccess: OPEN_READ_ACCESS };
  }
  const { KubernetesAccessReviewer, KubernetesTokenReviewer, loadFrontProxySettings } = await import('../../server/auth/kubernetes.ts');
  const { cachedAccessReviewer, cachedTokenReviewer } = await import('../../server/auth/cached-reviewers.ts');
  const kubeConfig = await kubeConfigOf();
  let frontProxy: FrontProxySettings | null = null;
  try {
    frontProxy = await loadFrontProxySettings(kubeConfig, config.requestheaderClientCaFile || undefined, config.requestheaderAllowedNames);
  } catch (error) {
    // Capture must run even when the read side is misconfigured; bearer tokens still work.
    logger.error({ err: { message: (error as Error).message } },
      'cannot read kube-system/extension-apiserver-authentication (bind the extension-apiserver-authentication-reader Role, or set --requestheader-client-ca-file); requests through the aggregation layer will be refused');
  }
  // The main listener also trusts the webhook caller's CA when it serves /capture too: then only direct
  // signatures can tell them apart.
  if (frontProxy) frontProxy.exclusiveTrust = config.captureListenPort !== 0 || !config.captureClientCaFile;
  if (frontProxy) logger.info({ allowedNames: frontProxy.allowedNames }, 'accepting users forwarded by the aggregation layer');
  const readAccess = kubernetesReadAccess({
    tokens: cachedTokenReviewer(new KubernetesTokenReviewer(kubeConfig)),
    access: cachedAccessReviewer(new KubernetesAccessReviewer(kubeConfig)),
    frontProxy,
  });
  return { readAccess, clientCa: frontProxy?.caPem };
}

/** `exclusiveTrust`: the listener that serves /capture trusts no other client CA (see auth/client-certificate.ts). */
function loadCaptureCallers(config: ServeConfig, logger: Logger, exclusiveTrust: boolean): { policy: CaptureCallerPolicy | null; caPem?: string } {
  if (!config.captureClientCaFile) {
    logger.warn('no --capture-client-ca-file: anyone who reaches POST /capture can write history. Configure the API server to present a client certificate to the webhook (see the README, security).');
    return { policy: null };
  }
  let caPem: string;
  try {
    caPem = readFileSync(config.captureClientCaFile, 'utf8');
  } catch (error) {
    throw new Error(`--capture-client-ca-file: cannot read ${config.captureClientCaFile}: ${(error as Error).message}`);
  }
  const policy = { authorities: parseCaBundle(caPem, '--capture-client-ca-file'), allowedNames: config.captureAllowedNames, exclusiveTrust };
  logger.info({ allowedNames: policy.allowedNames }, 'POST /capture accepts only callers with a client certificate from --capture-client-ca-file');
  return { policy, caPem };
}

/** Compiled once, before anything starts: a bad rule stops the start with its position and message. */
function captureRules(config: ServeConfig): RuleSet {
  try {
    return loadRuleSet(config.rules, config.capturePresets, { ...config.normalise, lastApplied: config.lastApplied });
  } catch (error) {
    if (error instanceof RuleCompileError) throw new ConfigError(`--rules: ${error.message}`);
    throw error;
  }
}

/**
 * The commit log in front of the store (ADR 0029): a damaged log stops the start with the file and offset; a torn
 * tail (a write a crash cut short, never acknowledged) is cut off and said.
 */
async function openLoggedStore(inner: EventStore, config: ServeConfig, logger: Logger, metrics: Metrics): Promise<LoggedStore> {
  if (!isProvenanceStore(inner) || !isLogConsumerStore(inner)) throw new ConfigError('--store: this store cannot be filled from the commit log');
  let log: CommitLog;
  try {
    log = await CommitLog.open({ dir: config.logDir, maxBytes: config.maxLogBytes });
  } catch (error) {
    await inner.close();
    throw error instanceof LogDamagedError || error instanceof LogInUseError ? new ConfigError(`--log-dir: ${error.message}`) : error;
  }
  const { recovery } = log;
  if (recovery.tornBytes > 0) {
    logger.warn({ dir: config.logDir, tornBytes: recovery.tornBytes, reason: recovery.tornReason }, 'commit log: cut off a record a crash left incomplete (it had not been acknowledged)');
  }
  logger.info({ dir: config.logDir, logId: log.id, records: recovery.records, segments: recovery.segments }, 'commit log open');
  const indexer = new LogIndexer(log, inner, {
    onError: (error, attempt) => {
      metrics.storeErrors.inc({ operation: 'index' });
      // Every failure once, then one in a hundred: an outage of the database must not flood the log.
      if (attempt === 1 || attempt % 100 === 0) logger.warn({ err: { message: error.message }, attempt }, 'commit log: the store did not take a batch; the records wait in the log and the batch is retried');
    },
    onStuck: (error) => logger.error({ err: { message: error.message } }, 'commit log: indexing stopped'),
  });
  indexer.start();
  const store = new LoggedStore(inner, log, indexer, {
    readWaitMs: Math.min(config.reads.timeoutMs, 5_000), closeDrainMs: config.logDrainTimeoutMs,
  });
  metrics.logHealth.source = () => store.health();
  return store;
}

export async function serve(config: ServeConfig): Promise<void> {
  const rules = captureRules(config);
  const logger = pino({ level: config.logLevel, base: { service: 'logistis' } });
  const tls = readTlsFiles(config.tlsCertFile, config.tlsKeyFile);
  const { key: redactionKey, created } = loadOrCreateRedactionKey(config.redactionKeyFile);
  if (created) logger.info({ file: config.redactionKeyFile }, 'created a new redaction key; keep it with the store');
  const metrics = createMetrics();
  const indexed = await openEventStore(config.store, { maxEventsPerObject: config.maxEventsPerObject, maxAgeMs: config.maxAgeMs, maxStoreBytes: config.maxStoreBytes }, storeMetricsHooks(metrics), config.postgres);
  const store = await openLoggedStore(indexed, config, logger, metrics);
  const resourceKinds = new ResourceKinds();
  try {
    for (const { group, resource, kind } of await store.resourceKinds()) resourceKinds.learn(group, resource, kind);
  } catch (error) {
    logger.warn({ err: { message: (error as Error).message } }, 'cannot preload resource kinds from the store; learning them from new requests');
  }
  const kubeConfigOf = kubeConfigLoader(config);
  const { readAccess, clientCa: frontProxyCa } = await setUpReadAccess(config, logger, kubeConfigOf);
  // With --capture-listen each listener trusts one purpose's client CA only: the webhook caller's on the capture
  // listener, the front proxy's on the main one. Then the TLS layer's verdict is the purpose's, and a certificate
  // issued by an intermediate CA can be accepted (Node gives a server only the peer's leaf to check it by).
  const separateCapture = config.captureListenPort !== 0;
  const captureCallers = loadCaptureCallers(config, logger, separateCapture || !frontProxyCa);
  const mainCas = [frontProxyCa, separateCapture ? undefined : captureCallers.caPem].filter((pem): pem is string => !!pem);
  const captureCas = [captureCallers.caPem].filter((pem): pem is string => !!pem);
  // Ask for (never require) a client certificate: the front proxy and the API server's webhook client show
  // theirs, bearer-token readers have none. Which CA signed it is checked per purpose (auth/client-certificate.ts).
  const askingFor = (cas: string[]) => (cas.length > 0 ? { ...tls, ca: cas, requestCert: true, rejectUnauthorized: false } : tls);
  const https = askingFor(mainCas);
  let locks: LockWatcher | undefined;
  if (config.locks) {
    const { LockWatcher } = await import('../../locks/watcher.ts');
    locks = new LockWatcher({ kubeConfig: await kubeConfigOf(), log: logger });
  }
  locks?.start();
  const captureSettings = { normalise: rules.normalise, redactPaths: rules.redactPaths, redactionKey, recordUnchanged: config.recordUnchanged || !rules.presets.includes('no-op-updates') };
  if (config.provenance && !isProvenanceStore(store)) throw new ConfigError('--provenance: this store does not keep event states');
  const provenance = config.provenance && isProvenanceStore(store)
    ? new (await import('../../provenance/watcher.ts')).ProvenanceWatcher({
      kubeConfig: await kubeConfigOf(), store, settings: captureSettings, rules, log: logger,
      metrics, windowMs: config.provenanceWindowMs,
    })
    : undefined;
  // Discovery and the first lists run beside the start: capture must not wait for them.
  provenance?.start().catch((error: unknown) => logger.error({ err: { message: (error as Error).message } }, 'provenance: cannot start'));
  const shared: AppConfig = {
    store, metrics, logger, tls: https, readAccess, resourceKinds, locks, maxBodyBytes: config.maxBodyBytes, commitTimeoutMs: config.commitTimeoutMs,
    // Without the no-op-updates preset, no-op updates are recorded too.
    rules, capture: captureSettings, provenance,
    captureCallers: captureCallers.policy, limits: config.limits, liveStreams: config.liveStreams, reads: config.reads,
  };
  // With --capture-listen the webhooks get a listener (and a connection cap) of their own, which no dashboard or
  // API client can fill; each app makes only its own part (the pipeline, or the reads), over the same store.
  const app = buildApp({ ...shared, routes: separateCapture ? 'reads' : 'all' });
  const captureApp = separateCapture ? buildApp({ ...shared, tls: askingFor(captureCas), routes: 'webhooks', limits: config.captureLimits }) : null;
  const apps = captureApp ? [app, captureApp] : [app];
  await app.listen({ host: config.listenHost, port: config.listenPort });
  if (captureApp) {
    await captureApp.listen({ host: config.captureListenHost, port: config.captureListenPort });
    logger.info({ address: `${config.captureListenHost}:${config.captureListenPort}` }, 'serving the webhooks (POST /capture, POST /locks/check) only on --capture-listen');
  }
  const stopWatchingMain = watchTlsFiles([app.server as Server], config.tlsCertFile, config.tlsKeyFile, app.log, mainCas.length > 0 ? mainCas : undefined);
  const stopWatchingCapture = captureApp
    ? watchTlsFiles([captureApp.server as Server], config.tlsCertFile, config.tlsKeyFile, app.log, captureCas.length > 0 ? captureCas : undefined)
    : () => undefined;
  const stopWatching = () => { stopWatchingMain(); stopWatchingCapture(); };
  const metricsServer = config.metricsListenPort ? createMetricsServer(metrics) : null;
  if (metricsServer) {
    await new Promise<void>((resolveListen, rejectListen) => {
      metricsServer.once('error', rejectListen);
      metricsServer.listen(config.metricsListenPort, config.metricsListenHost, () => resolveListen());
    });
    logger.info({ address: `${config.metricsListenHost}:${config.metricsListenPort}` }, 'serving /metrics without authentication on --metrics-listen');
  }

  const prune = async () => {
    try {
      const { prunedByAge, prunedBySize = 0 } = await store.pruneByAge(Date.now());
      if (prunedByAge > 0) {
        metrics.eventsPruned.inc({ reason: 'age' }, prunedByAge);
        logger.info({ prunedByAge }, 'pruned events older than --max-age');
      }
      if (prunedBySize > 0) {
        metrics.eventsPruned.inc({ reason: 'size' }, prunedBySize);
        logger.info({ prunedBySize }, 'pruned the oldest events to stay within --max-store-bytes');
      }
    } catch (error) {
      metrics.storeErrors.inc({ operation: 'prune' });
      logger.error({ err: { message: (error as Error).message } }, 'pruning failed; will retry');
    }
  };
  // prune catches and logs its own failures, so nothing awaits it.
  const pruneTimer = setInterval(() => void prune(), config.pruneIntervalMs);
  pruneTimer.unref();
  setImmediate(() => void prune());

  // On SIGTERM, SIGINT (and other ending signals) or a crash: stop accepting, answer what is in flight, close idle
  // connections and live streams at once and, after --shutdown-grace, whatever is still open (closeApps); then
  // stop the watches and write what is pending. Exit 0 after a signal, 1 after a crash or a failed close; a
  // second signal exits at once. The store's drain has no limit of its own: Kubernetes' grace period is it.
  closeWithGrace({ delay: null, logger: { error: (message: unknown) => logger.error({ err: message }, 'shutdown: exiting') } }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'unexpected error; shutting down');
    logger.info({ signal }, 'shutting down: finishing requests and pending writes');
    clearInterval(pruneTimer);
    stopWatching();
    metricsServer?.close();
    await closeApps(apps, config.shutdownGraceMs, app.log);
    await locks?.stop();
    await provenance?.stop();
    await store.close();
    logger.info('stopped cleanly');
  });
}
