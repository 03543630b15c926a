// Storage: bytes on disk per event (database + WAL after a checkpoint) against the bytes of the raw AdmissionReviews
// that produced them. Measured on the database the capture benchmark filled, after logistis stopped cleanly.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { MixKind, TemplateInfo } from './fixtures.ts';

export interface StorageResult {
  events: number;
  diskBytes: number;
  diskBytesPerEvent: number;
  rawBytesPerEvent: number;
  /** disk / raw: the target is ≤ 0.2. */
  ratio: number;
  byKind: Record<string, number>;
}

function categoryOf(kind: string, operation: string): MixKind | undefined {
  if (operation === 'DELETE') return 'delete';
  if (kind === 'Deployment' && operation === 'UPDATE') return 'deployment-update';
  if (kind === 'Pod' && operation === 'CREATE') return 'pod-create';
  if (kind === 'ConfigMap' && operation === 'CREATE') return 'configmap-create';
  if (kind === 'Secret' && operation === 'UPDATE') return 'secret-update';
  return undefined;
}

const fileSize = (path: string): number => (existsSync(path) ? statSync(path).size : 0);

/** The server must have stopped: this checkpoints the WAL into the database file before measuring. */
export function measureStorage(dbPath: string, templates: TemplateInfo[]): StorageResult {
  const db = new DatabaseSync(dbPath);
  let rows: Array<{ kind: string; operation: string; n: number }>;
  try {
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    rows = db.prepare('SELECT kind, operation, count(*) AS n FROM events GROUP BY kind, operation').all() as typeof rows;
  } finally {
    db.close();
  }
  const bytesOf = new Map(templates.map((t) => [t.kind, t.bytes]));
  const mixAverage = templates.reduce((sum, t) => sum + t.bytes, 0) / templates.length;
  let events = 0;
  let raw = 0;
  const byKind: Record<string, number> = {};
  for (const row of rows) {
    const category = categoryOf(row.kind, row.operation);
    events += row.n;
    raw += row.n * (category ? bytesOf.get(category) ?? mixAverage : mixAverage);
    byKind[`${row.operation} ${row.kind}`] = row.n;
  }
  // The commit log's segments too (the server's default --log-dir, PATH-log): what is left of them after the stop,
  // at most one segment once the store has taken everything.
  const logDir = `${dbPath}-log`;
  const logBytes = existsSync(logDir) ? readdirSync(logDir).filter((name) => name.endsWith('.log')).reduce((total, name) => total + fileSize(join(logDir, name)), 0) : 0;
  const diskBytes = fileSize(dbPath) + fileSize(`${dbPath}-wal`) + logBytes;
  return {
    events,
    diskBytes,
    diskBytesPerEvent: events ? diskBytes / events : NaN,
    rawBytesPerEvent: events ? raw / events : NaN,
    ratio: raw ? diskBytes / raw : NaN,
    byKind,
  };
}
