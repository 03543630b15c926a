// `logistis serve`: the webhook and read API over HTTPS.
import { Command } from 'commander';
import pino, { type Logger } from 'pino';
import { loadKubeConfig } from '../../kube/config.ts';
import { OPEN_READ_ACCESS, kubernetesReadAccess, type ReadAccess } from '../../server/auth/read-access.ts';
import { KubernetesAccessReviewer, KubernetesTokenReviewer, loadFrontProxySettings } from '../../server/auth/kubernetes.ts';
import type { FrontProxySettings } from '../../server/auth/types.ts';
import type { Server } from 'node:https';
import { buildApp } from '../../server/app.ts';
import { createMetrics, storeMetricsHooks } from '../../server/metrics.ts';
import { readTlsFiles, watchTlsFiles } from '../../server/tls-reloader.ts';
import { openEventStore } from '../../store/index.ts';
import { loadOrCreateRedactionKey } from '../../capture/redaction-key.ts';
import { ResourceKinds } from '../../capture/kinds.ts';
import { LockWatcher } from '../../locks/watcher.ts';
import { SERVE_SETTINGS, flagName, envName, resolveServeConfig, type ServeConfig } from '../../config/serve-config.ts';

export function serveCommand(): Command {
  const command = new Command('serve')
    .description('serve the admission webhook (POST /capture) and the read API over HTTPS')
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

async function setUpReadAccess(config: ServeConfig, logger: Logger): Promise<{ readAccess: ReadAccess; clientCa?: string }> {
  if (config.auth === 'none') {
    logger.warn('--auth none: the read API answers anyone who can reach this port, with no Kubernetes RBAC. Use it only for a local demo.');
    return { readAccess: OPEN_READ_ACCESS };
  }
  const kubeConfig = loadKubeConfig({ kubeconfig: config.kubeconfig || undefined });
  let frontProxy: FrontProxySettings | null = null;
  try {
    frontProxy = await loadFrontProxySettings(kubeConfig, config.requestheaderClientCaFile || undefined, config.requestheaderAllowedNames);
  } catch (error) {
    // Capture must run even when the read side is misconfigured; bearer tokens still work.
    logger.error({ err: { message: (error as Error).message } },
      'cannot read kube-system/extension-apiserver-authentication (bind the extension-apiserver-authentication-reader Role, or set --requestheader-client-ca-file); requests through the aggregation layer will be refused');
  }
  if (frontProxy) logger.info({ allowedNames: frontProxy.allowedNames }, 'accepting users forwarded by the aggregation layer');
  const readAccess = kubernetesReadAccess({
    tokens: new KubernetesTokenReviewer(kubeConfig), access: new KubernetesAccessReviewer(kubeConfig), frontProxy,
  });
  return { readAccess, clientCa: frontProxy?.caPem };
}

export async function serve(config: ServeConfig): Promise<void> {
  const logger = pino({ level: config.logLevel, base: { service: 'logistis' } });
  const tls = readTlsFiles(config.tlsCertFile, config.tlsKeyFile);
  const { key: redactionKey, created } = loadOrCreateRedactionKey(config.redactionKeyFile);
  if (created) logger.info({ file: config.redactionKeyFile }, 'created a new redaction key; keep it with the store');
  const metrics = createMetrics();
  const store = await openEventStore(config.store, { maxEventsPerObject: config.maxEventsPerObject, maxAgeMs: config.maxAgeMs }, storeMetricsHooks(metrics));
  const resourceKinds = new ResourceKinds();
  try {
    for (const { group, resource, kind } of await store.resourceKinds()) resourceKinds.learn(group, resource, kind);
  } catch (error) {
    logger.warn({ err: { message: (error as Error).message } }, 'cannot preload resource kinds from the store; learning them from new requests');
  }
  const { readAccess, clientCa } = await setUpReadAccess(config, logger);
  const https = clientCa
    // Ask for a client certificate so the front proxy can show its own; others (the webhook caller) need none.
    ? { ...tls, ca: clientCa, requestCert: true, rejectUnauthorized: false }
    : tls;
  const locks = config.locks ? new LockWatcher({ kubeConfig: loadKubeConfig({ kubeconfig: config.kubeconfig || undefined }), log: logger }) : undefined;
  locks?.start();
  const app = buildApp({
    store, metrics, logger, tls: https, readAccess, resourceKinds, locks, maxBodyBytes: config.maxBodyBytes, commitTimeoutMs: config.commitTimeoutMs,
    capture: { normalise: config.normalise, redactionKey, recordUnchanged: config.recordUnchanged },
  });
  await app.listen({ host: config.listenHost, port: config.listenPort });
  const stopWatching = watchTlsFiles(app.server as Server, config.tlsCertFile, config.tlsKeyFile, app.log, clientCa);

  const prune = async () => {
    try {
      const { prunedByAge } = await store.pruneByAge(Date.now());
      if (prunedByAge > 0) {
        metrics.eventsPruned.inc({ reason: 'age' }, prunedByAge);
        logger.info({ prunedByAge }, 'pruned events older than --max-age');
      }
    } catch (error) {
      metrics.storeErrors.inc({ operation: 'prune' });
      logger.error({ err: { message: (error as Error).message } }, 'pruning failed; will retry');
    }
  };
  const pruneTimer = setInterval(prune, config.pruneIntervalMs);
  pruneTimer.unref();
  setImmediate(prune);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests and pending writes');
    clearInterval(pruneTimer);
    stopWatching();
    try {
      await locks?.stop();
      await app.close();
      await store.close();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: { message: (error as Error).message } }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
