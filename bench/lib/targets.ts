// The servers under load: logistis itself, the bare Node baseline (the limit), durable bare (the same server with a
// group-committed, fdatasynced append of each body: the floor of a durable recorder) and the kube-audit-rest peer,
// each started as a child process listening on 127.0.0.1 only, pinned to the server core.
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ServerProcess } from './proc.ts';
import { SERVE_NODE_FLAGS } from '../../src/cli/node-flags.ts';
import type { CertFiles } from './tls.ts';
import type { Tool } from './tools.ts';

export interface BenchEnv {
  /** Repository root. */
  root: string;
  /** Where logistis runs from: a snapshot of the built dist/ taken when the run started (see snapshotApp). */
  appRoot: string;
  /** Node.js 24 binary. */
  node: string;
  /** This run's temp dir. */
  tmp: string;
  cert: CertFiles;
  serverCpu: number | undefined;
  loadCpu: number | undefined;
  /** Extra node flags for logistis (e.g. --cpu-prof). */
  logistisNodeFlags: string[];
  /** The closed-loop load engine. */
  loadEngine: 'raw' | 'autocannon';
  log: (msg: string) => void;
}

export interface RunningTarget {
  name: string;
  server: ServerProcess;
  url: string;
  /** Path the AdmissionReviews are posted to. */
  capturePath: string;
}

let serial = 0;
function logFile(env: BenchEnv, name: string): string {
  const dir = join(env.tmp, 'logs');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}-${++serial}.log`);
}

export function logistisEntry(root: string): string {
  return join(root, 'dist', 'cli', 'logistis.js');
}

export function logistisAvailable(root: string): string | undefined {
  return existsSync(logistisEntry(root)) ? undefined : `logistis is not built (${logistisEntry(root)} is missing; run make build)`;
}

/**
 * Copies the built dist/ and package.json into the run's temp dir (node_modules linked), so every phase measures
 * the same build even if dist/ is rebuilt while the bench runs (a shared working tree, a watch build).
 */
export function snapshotApp(root: string, tmp: string): string {
  const app = join(tmp, 'app');
  mkdirSync(app, { recursive: true });
  cpSync(join(root, 'dist'), join(app, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'), 'dir');
  return app;
}

export async function startBare(env: BenchEnv): Promise<RunningTarget> {
  return startBareServer(env, 'bare-node', []);
}

/** The bare server appending each body to a file in the run's temp dir, truncated at each start (a fresh server). */
export async function startDurableBare(env: BenchEnv): Promise<RunningTarget> {
  const dir = join(env.tmp, 'durable-bare');
  mkdirSync(dir, { recursive: true });
  return startBareServer(env, 'durable-bare', ['--durable-file', join(dir, 'bodies.jsonl')]);
}

async function startBareServer(env: BenchEnv, name: string, extraArgs: string[]): Promise<RunningTarget> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const server = await ServerProcess.start({
    name,
    command: env.node,
    args: [join(env.root, 'bench', 'bare-server.ts'), '--listen', `127.0.0.1:${port}`, '--tls-cert-file', env.cert.cert, '--tls-key-file', env.cert.key, ...extraArgs],
    cpu: env.serverCpu,
    readyUrl: `${url}/healthz`,
    logFile: logFile(env, name === 'bare-node' ? 'bare' : name),
  });
  return { name, server, url, capturePath: '/capture' };
}

/** `store`: a SQLite file path, or a whole --store value (postgres://…); `extraArgs` go after the bench's own flags. */
export function logistisArgs(env: BenchEnv, port: number, store: string, extraArgs: string[] = []): string[] {
  return [
    // As the image runs it (its ENTRYPOINT has the same flags).
    ...SERVE_NODE_FLAGS,
    ...env.logistisNodeFlags,
    logistisEntry(env.appRoot), 'serve',
    '--listen', `127.0.0.1:${port}`,
    '--tls-cert-file', env.cert.cert,
    '--tls-key-file', env.cert.key,
    '--store', /^postgres(ql)?:\/\//.test(store) ? store : `sqlite:${store}`,
    '--auth', 'none',
    // The default capture presets plus five CEL rules, each evaluated on every review: rules must cost nothing
    // the capture targets can see.
    '--rules', join(env.root, 'bench', 'rules.yaml'),
    // LOGISTIS_BENCH_LOG_DIR: the commit log elsewhere (e.g. on tmpfs, to see what the disk costs); `bench/probe.ts` only.
    ...(process.env['LOGISTIS_BENCH_LOG_DIR'] ? ['--log-dir', join(process.env['LOGISTIS_BENCH_LOG_DIR'], `log-${port}`)] : []),
    ...extraArgs,
  ];
}

export async function startLogistis(env: BenchEnv, store: string, options: { port?: number; cpu?: number | null; name?: string; extraArgs?: string[] } = {}): Promise<RunningTarget> {
  const port = options.port ?? (await freePort());
  const url = `https://127.0.0.1:${port}`;
  const server = await ServerProcess.start({
    name: options.name ?? 'logistis',
    command: env.node,
    args: logistisArgs(env, port, store, options.extraArgs),
    cpu: options.cpu === null ? undefined : (options.cpu ?? env.serverCpu),
    cwd: env.tmp,
    env: { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn', NODE_ENV: 'production' },
    readyUrl: `${url}/readyz`,
    logFile: logFile(env, options.name ?? 'logistis'),
    readyTimeoutMs: 60_000,
  });
  return { name: 'logistis', server, url, capturePath: '/capture' };
}

export async function startPeer(env: BenchEnv, tool: Tool): Promise<RunningTarget> {
  const port = await freePort();
  const metricsPort = await freePort();
  const dir = join(env.tmp, 'kube-audit-rest');
  mkdirSync(dir, { recursive: true });
  const url = `https://127.0.0.1:${port}`;
  // kube-audit-rest has no health endpoint on its TLS port; it is up when a TLS request gets any HTTP answer.
  const server = await ServerProcess.start({
    name: 'kube-audit-rest',
    command: tool.bin,
    args: [
      `--server-port=${port}`,
      `--metrics-port=${metricsPort}`,
      `--cert-filename=${env.cert.cert}`,
      `--cert-key-filename=${env.cert.key}`,
      `--logger-filename=${join(dir, 'kube-audit-rest.log')}`,
    ],
    cpu: env.serverCpu,
    cwd: dir,
    readyUrl: `${url}/log-request`,
    readyAnyStatus: true,
    logFile: logFile(env, 'kube-audit-rest'),
  });
  return { name: 'kube-audit-rest', server, url, capturePath: '/log-request' };
}
