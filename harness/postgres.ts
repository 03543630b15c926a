// A real PostgreSQL server for tests: Debian's postgresql package (installed by scripts/install-postgres.sh when
// missing), a fresh cluster from initdb in a temporary directory, listening on a free port on 127.0.0.1 only.
// PostgreSQL refuses to run as root, so as root the cluster belongs to, and runs as, the postgres system user.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePorts } from './control-plane.ts';
import { createCa, createServingCert } from './certs.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const USER = 'logistis';
const PASSWORD = 'logistis-test-password';

export interface PostgresOptions {
  /** Also accept TLS, with a serving certificate for 127.0.0.1 from a CA of its own (`caPath`). */
  tls?: boolean;
}

export interface Postgres {
  readonly port: number;
  readonly dir: string;
  /** The CA that signed the server's certificate, with `tls`. */
  readonly caPath?: string;
  /** postgres://logistis:…@127.0.0.1:PORT/DATABASE */
  url(database?: string): string;
  /** A database of its own for one test (CREATE DATABASE); returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown: sessions are ended, committed data stays). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes the data. */
  destroy(): Promise<void>;
}

let binDir: string | undefined;
async function postgresBin(): Promise<string> {
  binDir ??= (await run('bash', [join(ROOT, 'scripts/install-postgres.sh')], { encoding: 'utf8' })).stdout.trim();
  return binDir;
}

const asRoot = process.getuid?.() === 0;

async function postgresOwner(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'], { encoding: 'utf8' })).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

/** The command, run as the postgres user when we are root; setpriv execs it, so signals reach it directly. */
function asOwner(command: string, args: string[]): [string, string[]] {
  return asRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]] : [command, args];
}

async function waitReady(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${logs()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 60 s:\n${logs()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  const bin = await postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'logistis-pg-'));
  const dataDir = join(dir, 'data');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (asRoot) {
    const { uid, gid } = await postgresOwner();
    chownSync(dir, uid, gid);
    chownSync(passwordFile, uid, gid);
  }
  const [initdb, initArgs] = asOwner(join(bin, 'initdb'), [
    '-D', dataDir, '-U', USER, `--pwfile=${passwordFile}`, '--auth-local=trust', '--auth-host=scram-sha-256',
    '-E', 'UTF8', '--locale=C', '--no-sync',
  ]);
  await run(initdb, initArgs, { encoding: 'utf8' });
  const tlsArgs: string[] = [];
  let caPath: string | undefined;
  if (options.tls) {
    const ca = await createCa(dir, { name: 'pg-ca', commonName: 'logistis-test-postgres-ca' });
    const serving = await createServingCert(dir, ca, { name: 'pg-server', commonName: '127.0.0.1' });
    chmodSync(serving.keyPath, 0o600);
    if (asRoot) {
      const owner = await postgresOwner();
      for (const file of [serving.certPath, serving.keyPath]) chownSync(file, owner.uid, owner.gid);
    }
    caPath = ca.certPath;
    tlsArgs.push('-c', 'ssl=on', '-c', `ssl_cert_file=${serving.certPath}`, '-c', `ssl_key_file=${serving.keyPath}`);
  }
  const [port] = await freePorts(1) as [number];
  let child: ChildProcess | undefined;
  let output = '';
  const logs = () => output.slice(-4000);
  const url = (database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

  const start = async () => {
    if (child && child.exitCode === null) return;
    output = '';
    const [command, args] = asOwner(join(bin, 'postgres'), [
      '-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
      // Tests never survive a machine crash, so skip the fsyncs; a stopped and restarted server keeps its data.
      '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'log_min_messages=warning',
      ...tlsArgs,
    ]);
    const started = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    started.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    // The server never keeps the test process alive: a process that ends kills it (below).
    started.unref();
    (started.stdout as unknown as { unref(): void }).unref();
    (started.stderr as unknown as { unref(): void }).unref();
    child = started;
    await waitReady(url(), started, logs);
  };

  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    // SIGINT to the postmaster is PostgreSQL's fast shutdown.
    running.kill('SIGINT');
    const timer = setTimeout(() => running.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };

  // A test process that ends without destroy() leaves no server behind.
  process.once('exit', () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await start();
  return {
    port,
    dir,
    ...(caPath ? { caPath } : {}),
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
