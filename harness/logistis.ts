// Runs the real `logistis serve` beside a real control plane, the way a cluster would: its own ServiceAccount
// with the shipped RBAC, registered as the validating webhook (by URL on 127.0.0.1) and as the APIService of
// audit.logistis.io (through an ExternalName Service to localhost, TLS name logistis.logistis-system.svc).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCa, createServingCert, type CertFiles, type CertificateAuthority } from './certs.ts';
import { WEBHOOK_CLIENT_NAME, freePorts, registerWebhook, waitFor, type ControlPlane } from './control-plane.ts';
import { renderApiService, APISERVICE_NAME } from '../src/deploy/apiservice.ts';
import { startPostgres, type Postgres } from './postgres.ts';
import { SERVE_NODE_FLAGS } from '../src/cli/node-flags.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const LOGISTIS_NAMESPACE = 'logistis-system';
export const LOGISTIS_SERVICE = 'logistis';

export interface LogistisOptions {
  /** Extra `logistis serve` flags. */
  args?: string[];
  /** Where the store lives (default: a dir under the control plane's temp dir). */
  dataDir?: string;
  /** Register the APIService too (default true). */
  aggregated?: boolean;
  /**
   * YAML of the server's ServiceAccount and RBAC to apply instead of deploy/rbac (e.g. the Helm chart's); the
   * ServiceAccount must be logistis in logistis-system.
   */
  serverRbac?: string;
  /**
   * Accept captures only from the API server's webhook client certificate (default true, as in every real
   * set-up); false leaves /capture open.
   */
  captureClientCertificate?: boolean;
  /** Install the Lock CRD and its RBAC (deploy/crd, deploy/rbac/logistis-locks.yaml) and serve with --locks. */
  locks?: boolean;
  /** Grant deploy/rbac/logistis-provenance.yaml and serve with --provenance. */
  provenance?: boolean;
  /** Serve the webhooks on a listener of their own (--capture-listen) and register the webhook there. */
  captureListen?: boolean;
}

/**
 * LOGISTIS_TEST_STORE=postgres runs every server on a real PostgreSQL (one server per test process, a database
 * per logistis) instead of a SQLite file.
 */
export const TEST_STORE = process.env['LOGISTIS_TEST_STORE'] === 'postgres' ? 'postgres' : 'sqlite';
let sharedPostgres: Promise<Postgres> | undefined;
let databases = 0;

export interface Logistis {
  readonly port: number;
  /** The --capture-listen port (with options.captureListen), else the main port. */
  readonly capturePort: number;
  readonly url: string;
  /** The SQLite file (with the SQLite store). */
  readonly dbPath: string;
  /** The --store value the server runs with. */
  readonly store: string;
  readonly dataDir: string;
  readonly ca: CertificateAuthority;
  readonly serving: CertFiles;
  /** Everything the server printed since it last started. */
  output(): string;
  /** GET on logistis' own /api/v1 as `user`, with that user's bearer token (checked by TokenReview). */
  api(user: string, path: string): Promise<{ status: number; body: string; json(): unknown }>;
  /**
   * Resolves once the store holds every capture acknowledged so far (the commit log's backlog is empty, as /readyz
   * says): before reading the store's files or tables directly instead of through the API.
   */
  storeCaughtUp(): Promise<void>;
  /** Signals the server and resolves with its exit code once it exited (null: it was not running, or died of a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  start(): Promise<void>;
}

async function serverIdentityKubeconfig(cp: ControlPlane, dir: string, serverRbac: string | undefined): Promise<string> {
  if (serverRbac !== undefined) {
    await cp.kubectl('admin', ['apply', '-f', '-'], { input: serverRbac });
  } else {
    for (const file of ['logistis-server.yaml', 'logistis-viewer.yaml']) {
      await cp.kubectl('admin', ['apply', '-f', join(ROOT, 'deploy/rbac', file)]);
    }
  }
  const token = (await cp.kubectl('admin', ['create', 'token', LOGISTIS_SERVICE, '-n', LOGISTIS_NAMESPACE, '--duration=24h'])).stdout.trim();
  const path = join(dir, 'logistis-server.kubeconfig');
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'logistis',
    clusters: [{ name: 'test', cluster: { server: cp.server, 'certificate-authority': cp.caCertPath } }],
    users: [{ name: 'logistis', user: { token } }],
    contexts: [{ name: 'logistis', context: { cluster: 'test', user: 'logistis' } }],
  }), { mode: 0o600 });
  return path;
}

/** The Lock CRD (established) and the server's RBAC for it. */
export async function installLocks(cp: ControlPlane): Promise<void> {
  await cp.kubectl('admin', ['apply', '-f', join(ROOT, 'deploy/crd/locks.logistis.io.yaml'), '-f', join(ROOT, 'deploy/rbac/logistis-locks.yaml')]);
  await cp.kubectl('admin', ['wait', '--for=condition=Established', '--timeout=30s', 'crd/locks.logistis.io']);
}

export async function startLogistis(cp: ControlPlane, options: LogistisOptions = {}): Promise<Logistis> {
  const dataDir = options.dataDir ?? join(cp.dir, 'logistis');
  mkdirSync(dataDir, { recursive: true });
  const ca = await createCa(dataDir, { name: 'logistis-ca', commonName: 'logistis-test-ca' });
  const serving = await createServingCert(dataDir, ca, {
    name: 'logistis-serving', commonName: 'logistis', dnsNames: [`${LOGISTIS_SERVICE}.${LOGISTIS_NAMESPACE}.svc`],
  });
  const kubeconfig = await serverIdentityKubeconfig(cp, dataDir, options.serverRbac);
  if (options.locks) await installLocks(cp);
  if (options.provenance) await cp.kubectl('admin', ['apply', '-f', join(ROOT, 'deploy/rbac/logistis-provenance.yaml')]);
  const dbPath = join(dataDir, 'events.db');
  let store = `sqlite:${dbPath}`;
  if (TEST_STORE === 'postgres') {
    // Before the server's port is chosen, so that PostgreSQL cannot take the same free port.
    sharedPostgres ??= startPostgres();
    store = await (await sharedPostgres).createDatabase(`e2e_${process.pid}_${++databases}`);
  }
  const [port, capturePort] = (await freePorts(options.captureListen ? 2 : 1)) as [number, number | undefined];
  let child: ChildProcess | null = null;
  let output = '';

  const args = [
    ...SERVE_NODE_FLAGS, join(ROOT, 'src/cli/logistis.ts'), 'serve', '--listen', `127.0.0.1:${port}`,
    ...(capturePort ? ['--capture-listen', `127.0.0.1:${capturePort}`] : []),
    '--tls-cert-file', serving.certPath, '--tls-key-file', serving.keyPath, '--store', store,
    // Its own commit log beside its data (with PostgreSQL the default, ./data/commit-log, would be one directory in
    // the checkout shared by every test's server).
    '--log-dir', join(dataDir, 'commit-log'),
    ...(TEST_STORE === 'postgres' ? ['--redaction-key-file', join(dataDir, 'redaction.key')] : []),
    '--auth', 'kubernetes', '--kubeconfig', kubeconfig, ...(options.locks ? ['--locks'] : []), ...(options.provenance ? ['--provenance'] : []),
    ...(options.captureClientCertificate === false ? [] : ['--capture-client-ca-file', cp.webhookClientCaPath, '--capture-allowed-names', WEBHOOK_CLIENT_NAME]),
    ...(options.args ?? []),
  ];
  const get = (path: string, headers: Record<string, string>, timeout: number) => new Promise<{ status: number; body: string; json(): unknown }>((resolveGet, reject) => {
    const request = httpsGet({ host: '127.0.0.1', port, path, ca: ca.certPem, headers, timeout }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      response.on('end', () => resolveGet({ status: response.statusCode ?? 0, body, json: () => JSON.parse(body) as unknown }));
    });
    request.on('error', reject);
    request.on('timeout', () => request.destroy(new Error(`GET ${path} timed out`)));
  });
  const healthy = () => get('/readyz', {}, 2000).then((response) => response.status === 200, () => false);
  const logistis: Logistis = {
    port, capturePort: capturePort ?? port, url: `https://127.0.0.1:${port}`, dbPath, store, dataDir, ca, serving,
    output: () => output,
    api: (user, path) => get(path, { authorization: `Bearer ${cp.token(user)}` }, 10_000),
    async storeCaughtUp() {
      await waitFor(async () => {
        const response = await get('/readyz', {}, 2000);
        return (response.json() as { log?: { backlogRecords: number } }).log?.backlogRecords === 0;
      }, { timeoutMs: 30_000, intervalMs: 50, message: `the store did not catch up with the commit log:\n${output}` });
    },
    async start() {
      output = '';
      const started = spawn(process.execPath, args, {
        cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      started.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      started.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      await waitFor(async () => {
        if (started.exitCode !== null) throw new Error(`logistis serve exited with ${started.exitCode}:\n${output}`);
        return healthy();
      }, { timeoutMs: 30_000, message: 'logistis serve did not become ready' });
    },
    async stop(signal = 'SIGTERM') {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null || running.signalCode !== null) return null;
      const exited = new Promise<number | null>((resolveExit) => running.once('exit', (code) => resolveExit(code)));
      running.kill(signal);
      return exited;
    },
  };
  process.once('exit', () => child?.kill('SIGKILL'));

  await logistis.start();
  await registerWebhook(cp, { url: `https://127.0.0.1:${logistis.capturePort}/capture`, caBundlePem: ca.certPem });
  if (options.aggregated !== false) {
    await cp.kubectl('admin', ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'Service', metadata: { name: LOGISTIS_SERVICE, namespace: LOGISTIS_NAMESPACE },
        spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port, targetPort: port }] },
      }),
    });
    await cp.kubectl('admin', ['apply', '-f', '-'], {
      input: renderApiService({ service: { name: LOGISTIS_SERVICE, namespace: LOGISTIS_NAMESPACE, port }, caBundlePem: ca.certPem }),
    });
    await waitFor(async () => {
      const result = await cp.kubectl('admin', ['get', 'apiservice', APISERVICE_NAME, '-o', 'jsonpath={.status.conditions[?(@.type=="Available")].status}'], { allowFailure: true });
      return result.stdout.trim() === 'True';
    }, { timeoutMs: 60_000, message: `APIService ${APISERVICE_NAME} did not become Available` });
  }
  return logistis;
}
