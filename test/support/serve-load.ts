// What tests of the real `logistis serve` under load share: a bounded open-loop capture load that keeps the request
// uids the server acknowledged, polling with a deadline, /metrics and /readyz read as numbers, and what a store
// holds counted by request uid straight from the database (not through the server under test).
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { ServerProcess } from '../../harness/server-process.ts';
import { loadFixture, withFreshUid, type Review } from '../../harness/fixtures.ts';
import type { LogHealth } from '../../src/log/logged-store.ts';

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((resolveWait) => setTimeout(resolveWait, ms));

/** The sum of a metric's samples whose labels include `labels` (e.g. 'reason="log-full"'); 0 when absent. */
export function metricValue(text: string, name: string, labels = ''): number {
  let total = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) {
    if ((match[1] ?? '').includes(labels)) total += Number(match[2]);
  }
  return total;
}

export async function metricsText(server: ServerProcess): Promise<string> {
  const response = await server.request('GET', '/metrics');
  assert.equal(response.status, 200, response.body);
  return response.body;
}

export async function lostTotal(server: ServerProcess): Promise<number> {
  return metricValue(await metricsText(server), 'logistis_events_lost_total');
}

/** /readyz's commit log section. */
export type LogReadiness = LogHealth;

export async function readiness(server: ServerProcess): Promise<{ status: number; body: { status: string; error?: string; log?: LogReadiness } }> {
  const response = await server.request('GET', '/readyz');
  return { status: response.status, body: JSON.parse(response.body) as { status: string; log?: LogReadiness } };
}

/**
 * A review with a fresh uid: a Deployment scaled, or now and then a ConfigMap created, as a cluster would send; over
 * 500 names, so that a few thousand captures stay far below --max-events-per-object and retention drops none.
 */
export function nextReview(prefix: string, index: number): Review {
  const review = withFreshUid(loadFixture(index % 3 === 0 ? 'configmap-create-v1beta1' : 'deployment-scale'));
  review.request['name'] = `${prefix}-${index % 500}`;
  return review;
}

export interface CaptureLoad {
  /** Uids answered 200 with allowed: true. */
  readonly acknowledged: Set<string>;
  /** Every uid sent. */
  readonly sent: Set<string>;
  /** Answers other than 200 allowed (status and body), and requests that failed (a reset by a kill). */
  readonly refused: string[];
  readonly connectionErrors: number;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

/**
 * Sends captures at `ratePerSecond` (open loop: a slow server gets more requests in flight, up to `maxInFlight`),
 * at most `maxCount`, round robin over `targets()` (re-read every request, so a test can swap a restarted server in).
 */
export function captureLoad(targets: () => ServerProcess[], options: { ratePerSecond: number; maxCount: number; prefix: string; maxInFlight?: number }): CaptureLoad {
  const acknowledged = new Set<string>();
  const sent = new Set<string>();
  const refused: string[] = [];
  let connectionErrors = 0;
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = options.maxInFlight ?? 64;
  const started = Date.now();
  const send = (index: number): void => {
    const servers = targets();
    const server = servers[index % servers.length]!;
    const review = nextReview(options.prefix, index);
    sent.add(review.request.uid);
    const request = server.request('POST', '/capture', review).then((response) => {
      const allowed = response.status === 200 && (JSON.parse(response.body) as { response: { allowed: boolean } }).response.allowed;
      if (allowed) acknowledged.add(review.request.uid);
      else refused.push(`${response.status} ${response.body.slice(0, 300)}`);
    }, () => { connectionErrors += 1; });
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  const loop = (async () => {
    let count = 0;
    while (!stopped && count < options.maxCount) {
      const due = Math.min(options.maxCount, Math.floor(((Date.now() - started) / 1000) * options.ratePerSecond));
      while (count < due && inFlight.size < maxInFlight) send(count++);
      await sleep(5);
    }
  })();
  return {
    acknowledged, sent, refused,
    get connectionErrors() { return connectionErrors; },
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(inFlight);
    },
  };
}

/** How many events each request uid has in a PostgreSQL database. */
export async function postgresUidCounts(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ request_uid: string; count: string }>('SELECT request_uid, count(*) FROM events GROUP BY request_uid');
    return new Map(rows.map((row) => [row.request_uid, Number(row.count)]));
  } finally {
    await client.end();
  }
}

/** How many events each request uid has in a SQLite store file (read-only; the WAL is read too). */
export function sqliteUidCounts(file: string): Map<string, number> {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const rows = db.prepare('SELECT request_uid, count(*) AS count FROM events GROUP BY request_uid').all() as { request_uid: string; count: number }[];
    return new Map(rows.map((row) => [row.request_uid, Number(row.count)]));
  } finally {
    db.close();
  }
}

/** Every acknowledged uid is stored exactly once, and nothing is stored that was not sent. */
export function assertStoredOnce(counts: Map<string, number>, acknowledged: Set<string>, sent: Set<string>): void {
  const missing = [...acknowledged].filter((uid) => !counts.has(uid));
  const twice = [...counts].filter(([, count]) => count > 1).map(([uid]) => uid);
  const strangers = [...counts.keys()].filter((uid) => !sent.has(uid));
  assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.size} acknowledged captures are not stored`);
  assert.deepEqual(twice, [], `${twice.length} request uids are stored more than once`);
  assert.deepEqual(strangers, [], `${strangers.length} stored request uids were never sent`);
}
