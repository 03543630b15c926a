// How the PostgreSQL store connects: the --store URL, PostgreSQL's own PG* environment variables for whatever
// the URL leaves out (pg reads PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE), a password
// read from a file at each new connection (so a rotated secret is picked up), and TLS files.
import { readFileSync } from 'node:fs';
import pg, { type PoolConfig } from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';

export interface PostgresOptions {
  /** postgres://… or postgresql://… */
  url: string;
  /** Connections for writes (and, on the request thread, reads). */
  poolSize?: number;
  passwordFile?: string;
  /** PEM CA bundle to verify the server with; with it the connection requires TLS. */
  tlsCaFile?: string;
  /** Client certificate and key, for certificate authentication. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

export const DEFAULT_POOL_SIZE = 10;

/**
 * A pool that survives the database going away. A broken connection emits 'error' on the pool (idle) or on
 * the client (checked out between queries); without listeners either would end the process. The pool drops it
 * and connects anew on next use; the query that needed it fails, which readiness and the lost count report.
 */
export function openPool(options: PostgresOptions): pg.Pool {
  const pool = new pg.Pool(poolConfig(options));
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

function readSetting(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the PostgreSQL ${what} ${path}: ${(error as Error).message}`);
  }
}

export function poolConfig(options: PostgresOptions): PoolConfig {
  const config: PoolConfig = {
    connectionString: options.url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // A statement never runs longer than this: a stuck database fails a commit instead of holding captures.
    query_timeout: 30_000,
    application_name: 'logistis',
  };
  if (options.passwordFile) {
    const file = options.passwordFile;
    readSetting(file, 'password file');
    // pg lets a connection string's fields override the rest, its empty password included: pass the URL parsed.
    const { password: _fromUrl, ...fromUrl } = parseConnectionString(options.url);
    delete config.connectionString;
    Object.assign(config, Object.fromEntries(Object.entries(fromUrl).filter(([, value]) => value !== undefined && value !== null)));
    config.password = async () => readSetting(file, 'password file').replace(/\r?\n$/, '');
  }
  if (options.tlsCaFile || options.tlsCertFile || options.tlsKeyFile) {
    config.ssl = {
      rejectUnauthorized: true,
      ...(options.tlsCaFile ? { ca: readSetting(options.tlsCaFile, 'TLS CA file') } : {}),
      ...(options.tlsCertFile ? { cert: readSetting(options.tlsCertFile, 'TLS certificate file') } : {}),
      ...(options.tlsKeyFile ? { key: readSetting(options.tlsKeyFile, 'TLS key file') } : {}),
    };
  }
  return config;
}

/** The URL without its password, for messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
