// The real `logistis serve` on a real PostgreSQL: started before the database, two servers on one database, and
// retention by partition. The database stopped under load is commit-log.test.ts's (the captures wait in the log).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { testCertificate, type TestCertificate } from '../../harness/tls.ts';
import { startServer, type ServerProcess } from '../../harness/server-process.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import { startPostgres, type Postgres } from '../../harness/postgres.ts';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.ts';
import type { ChangeEvent, NewChangeEvent } from '../../src/event.ts';
import { lostTotal, waitUntil } from '../support/serve-load.ts';

const DAY = 86_400_000;

async function allEvents(server: ServerProcess): Promise<ChangeEvent[]> {
  const events: ChangeEvent[] = [];
  let cursor: string | undefined;
  do {
    const response = await server.request('GET', `/api/v1/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(response.status, 200, response.body);
    const page = JSON.parse(response.body) as { items: ChangeEvent[]; nextCursor?: string };
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

/** Sends captures from `workers` loops until `stop()`; returns the uids each server answered 200 for. */
function load(servers: ServerProcess[], workers: number, prefix: string) {
  const answered = new Set<string>();
  let stopped = false;
  let failure: Error | undefined;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    try {
      await send(worker);
    } catch (error) {
      failure ??= error as Error;
      stopped = true;
    }
  });
  async function send(worker: number) {
    for (let i = 0; !stopped; i++) {
      const review = withFreshUid(loadFixture('deployment-scale'));
      review.request['name'] = `${prefix}-w${worker}-${i % 10}`;
      // Every fifth review goes to each server, as an API server retrying on another replica would send it.
      const targets = i % 5 === 0 ? servers : [servers[(worker + i) % servers.length]!];
      const responses = await Promise.all(targets.map((server) => server.request('POST', '/capture', review)));
      if (responses.some((response) => response.status === 200)) answered.add(review.request.uid);
      for (const response of responses) assert.equal(response.status, 200, response.body);
    }
  }
  return {
    answered,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      if (failure) throw failure;
    },
  };
}

describe('PostgreSQL store with the real server', () => {
  let dir: string;
  let tls: TestCertificate;
  let postgres: Postgres;
  let logDirs = 0;
  // Each server its own commit log: a log replayed into another database would store its records there too.
  const argsFor = (url: string) => [
    '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--store', url, '--auth', 'none', '--log-dir', join(dir, `log-${++logDirs}`),
    '--redaction-key-file', join(dir, 'redaction.key'), '--commit-timeout', '10s', '--store-pool-size', '4',
  ];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-pg-failure-'));
    tls = await testCertificate(dir);
    postgres = await startPostgres();
  });
  after(async () => {
    await postgres.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts while PostgreSQL is down: ready (the commit log takes captures), then migrates and stores them', async () => {
    const url = await postgres.createDatabase('late');
    // The password from a file rather than the URL.
    const passwordFile = join(dir, 'pg-password');
    writeFileSync(passwordFile, `${new URL(url).password}\n`, { mode: 0o600 });
    const withoutPassword = new URL(url);
    withoutPassword.password = '';
    await postgres.stop();
    let server: ServerProcess | undefined;
    try {
      server = await startServer([...argsFor(withoutPassword.toString()), '--store-password-file', passwordFile], { caFile: tls.caFile });
      const review = withFreshUid(loadFixture('deployment-scale'));
      assert.equal((await server.request('POST', '/capture', review)).status, 200);
      await postgres.start();
      await waitUntil('the capture stored', async () => (await allEvents(server!)).some((event) => event.requestUid === review.request.uid), 30_000);
      assert.deepEqual((await allEvents(server)).map((event) => event.requestUid), [review.request.uid]);
      assert.equal(await lostTotal(server), 0);
      assert.match(server.output(), /cannot reach postgres:\/\/logistis(:\*\*\*)?@127\.0\.0\.1/);
      assert.ok(!server.output().includes(new URL(url).password), 'the password is never logged');
    } finally {
      await postgres.start();
      await server?.kill('SIGTERM');
    }
  });

  it('two servers on one database under concurrent load lose and duplicate nothing', async () => {
    const url = await postgres.createDatabase('replicas');
    // Both start at once: the migrations run once, under the advisory lock.
    const servers = await Promise.all([startServer(argsFor(url), { caFile: tls.caFile }), startServer(argsFor(url), { caFile: tls.caFile })]);
    try {
      const traffic = load(servers, 12, 'replicas');
      await waitUntil('captures on both', async () => traffic.answered.size > 1500, 120_000);
      await traffic.stop();
      for (const server of servers) assert.equal(await lostTotal(server), 0);
      const events = await allEvents(servers[0]);
      const uids = events.map((event) => event.requestUid);
      assert.equal(new Set(uids).size, uids.length, 'no request uid stored twice');
      assert.deepEqual(new Set(uids), traffic.answered);
      assert.equal((await allEvents(servers[1])).length, events.length);
    } finally {
      for (const server of servers) assert.equal(await server.kill('SIGTERM'), 0);
    }
  });

  it('a replica whose day partition another replica dropped creates it again instead of losing the batch', async () => {
    const url = await postgres.createDatabase('dropped_day');
    const writer = await PostgresEventStore.open({ url }, { maxEventsPerObject: 100, maxAgeMs: 30 * DAY });
    const pruner = await PostgresEventStore.open({ url }, { maxEventsPerObject: 100, maxAgeMs: 3 * DAY });
    try {
      const old = Date.now() - 10 * DAY;
      const event = (uid: string): NewChangeEvent => ({
        time: new Date(old).toISOString(), requestUid: uid, operation: 'UPDATE', user: { username: 'alice', uid: '', groups: [], extra: {} },
        group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', subresource: '', namespace: 'ns', name: 'cm', objectUid: '',
        fieldManager: '', patch: [], object: {},
      });
      await writer.append([event('first')]);
      assert.equal((await pruner.pruneByAge(Date.now())).prunedByAge, 1);
      await writer.append([event('second')]);
      assert.deepEqual((await writer.listEvents({}, 10)).items.map((item) => item.requestUid), ['second']);
    } finally {
      await writer.close();
      await pruner.close();
    }
  });

  it('retention by age drops whole day partitions', async () => {
    const url = await postgres.createDatabase('retention');
    const store = await PostgresEventStore.open({ url }, { maxEventsPerObject: 100, maxAgeMs: 3 * DAY });
    try {
      const now = Date.now();
      const event = (name: string, timeMs: number): NewChangeEvent => ({
        time: new Date(timeMs).toISOString(), requestUid: `${name}-${timeMs}`, operation: 'UPDATE',
        user: { username: 'alice', uid: '', groups: [], extra: {} }, group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps',
        subresource: '', namespace: 'ns', name, objectUid: '', fieldManager: '', patch: [], object: {},
      });
      await store.append(Array.from({ length: 10 }, (_, day) => event(`d${day}`, now - day * DAY)));
      const before = (await store.partitions()).length;
      assert.ok(before >= 10);
      // Days 4 to 9 are older than three days; day 3 is exactly at the cut and stays.
      assert.equal((await store.pruneByAge(now)).prunedByAge, 6);
      const partitions = await store.partitions();
      assert.ok(partitions.every((partition) => partition.toMs > now - 3 * DAY), 'no partition wholly older than the age is left');
      assert.ok(partitions.length <= before - 6);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ count: string }>('SELECT count(*) FROM events');
        assert.equal(Number(rows[0]!.count), 4);
      } finally {
        await client.end();
      }
    } finally {
      await store.close();
    }
  });
});
