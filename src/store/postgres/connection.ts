// How the PostgreSQL store connects: the --store URL, PostgreSQL's own PG* environment variables for whatever
// the URL leaves out (pg reads PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE), a password
// read from a file at each new connection (so a rotated secret is picked up), and TLS files.
import { readFileSync } from 'node:fs';
import type { PoolConfig } from 'pg';

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
