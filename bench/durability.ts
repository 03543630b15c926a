// Durability under load: logistis runs as a child on a fixed port while clients post the review mix; at random
// moments it is SIGKILLed and restarted on the same database. Every request answered 200 with its own uid and
// allowed: true is an acknowledgement; afterwards every acknowledged uid must be found in /api/v1/events.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReviewSource, prng } from './fixtures.ts';
import { HttpsClient } from './lib/https-client.ts';
import { freePort, sleep } from './lib/proc.ts';
import { startLogistis, type BenchEnv, type RunningTarget } from './lib/targets.ts';
import { nextUidPrefix } from './capture.ts';

export interface DurabilitySettings {
  kills: number;
  /** A kill comes at a uniformly random moment this long after the server is up again. */
  minUpMs: number;
  maxUpMs: number;
  /** Load after the last restart, before counting. */
  tailMs: number;
  clients: number;
}

export const FULL_DURABILITY: DurabilitySettings = { kills: 5, minUpMs: 1000, maxUpMs: 4000, tailMs: 1000, clients: 32 };
export const SMOKE_DURABILITY: DurabilitySettings = { kills: 2, minUpMs: 300, maxUpMs: 800, tailMs: 300, clients: 16 };

export interface DurabilityResult {
  kills: number;
  sent: number;
  acked: number;
  failed: number;
  stored: number;
  lost: number;
  lostSample: string[];
  /** Lost uids the server logged as allowed without a commit (its fail-open path), if any. */
  lostFailOpenLogged: number;
  /** Restarts after a SIGKILL that failed (each retried, up to 3 attempts), with the server's last log lines. */
  restartFailures: string[];
  seconds: number;
}

interface EventsPage {
  items: Array<{ requestUid: string }>;
  nextCursor?: string;
}

async function collectStoredUids(client: HttpsClient): Promise<Set<string>> {
  const uids = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < 100_000; page++) {
    const path = `/api/v1/events?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const body = await client.getJson<EventsPage>(path);
    for (const item of body.items) uids.add(item.requestUid);
    if (!body.nextCursor) return uids;
    cursor = body.nextCursor;
  }
  throw new Error('more than 100,000 pages of events: stopped paging');
}

function failOpenUids(logFiles: string[]): Set<string> {
  const out = new Set<string>();
  for (const file of logFiles) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('requestUid')) continue;
      try {
        const entry = JSON.parse(line) as { requestUid?: string; msg?: string };
        if (entry.requestUid && (entry.msg ?? '').includes('allowed')) out.add(entry.requestUid);
      } catch {
        // not a JSON log line
      }
    }
  }
  return out;
}

export async function measureDurability(env: BenchEnv, settings: DurabilitySettings): Promise<DurabilityResult> {
  const dir = join(env.tmp, 'durability');
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'events.db');
  const port = await freePort();
  const ca = readFileSync(env.cert.cert);
  const source = new ReviewSource({ uidPrefix: nextUidPrefix() });
  const rand = prng(7);
  const acked = new Set<string>();
  const logFiles: string[] = [];
  let sent = 0;
  let failed = 0;
  let stopping = false;
  const t0 = performance.now();
  const deadline = t0 + (settings.kills + 1) * (settings.maxUpMs + 30_000) + settings.tailMs;

  const restartFailures: string[] = [];
  const start = async (): Promise<RunningTarget> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const target = await startLogistis(env, dbPath, { port, name: 'logistis-durability' });
        logFiles.push(target.server.logFile);
        return target;
      } catch (error) {
        const message = (error as Error).message.replace(/\s*\n\s*/g, ' | ').slice(0, 1500);
        restartFailures.push(message);
        env.log(`durability: start attempt ${attempt} failed: ${message}`);
        if (attempt >= 3) throw error;
        await sleep(500);
      }
    }
  };
  let target = await start();
  const client = new HttpsClient(target.url, ca, settings.clients);

  const worker = async (): Promise<void> => {
    while (!stopping && performance.now() < deadline) {
      const review = source.next();
      sent++;
      try {
        const res = await client.send('POST', '/capture', review.body, 5000);
        const answer = res.status === 200 ? (JSON.parse(res.body) as { response?: { uid?: string; allowed?: boolean } }) : undefined;
        if (answer?.response?.uid === review.uid && answer.response.allowed === true) acked.add(review.uid);
        else failed++;
      } catch {
        failed++;
        await sleep(5);
      }
    }
  };
  const workers = Array.from({ length: settings.clients }, worker);

  try {
    for (let kill = 0; kill < settings.kills; kill++) {
      await sleep(settings.minUpMs + rand() * (settings.maxUpMs - settings.minUpMs));
      env.log(`durability: SIGKILL ${kill + 1}/${settings.kills} (${acked.size} acknowledged so far)`);
      target.server.kill('SIGKILL');
      await target.server.exited;
      target = await start();
    }
    await sleep(settings.tailMs);
  } finally {
    stopping = true;
    await Promise.all(workers);
  }

  let stored: Set<string>;
  try {
    stored = await collectStoredUids(client);
  } finally {
    client.close();
    await target.server.stop();
  }
  const lost = [...acked].filter((uid) => !stored.has(uid));
  const failOpen = failOpenUids(logFiles);
  return {
    kills: settings.kills,
    sent,
    acked: acked.size,
    failed,
    stored: stored.size,
    lost: lost.length,
    lostSample: lost.slice(0, 10),
    lostFailOpenLogged: lost.filter((uid) => failOpen.has(uid)).length,
    restartFailures,
    seconds: (performance.now() - t0) / 1000,
  };
}
