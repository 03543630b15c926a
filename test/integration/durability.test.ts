import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { decompressBody } from '../../src/store/body-dictionary.ts';
import { testCertificate, type TestCertificate } from '../../harness/tls.ts';
import { startServer, type ServerProcess } from '../../harness/server-process.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import type { ChangeEvent } from '../../src/event.ts';

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

describe('the real server as a child process', () => {
  let dir: string;
  let tls: TestCertificate;
  let args: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-durability-'));
    tls = await testCertificate(dir);
    args = ['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--store', `sqlite:${join(dir, 'events.db')}`, '--auth', 'none'];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers a real v1 AdmissionReview over HTTPS and shows the event with the right user and patch', async () => {
    const server = await startServer(args, { caFile: tls.caFile });
    try {
      const review = withFreshUid(loadFixture('deployment-scale'));
      const response = await server.request('POST', '/capture', review);
      assert.equal(response.status, 200);
      assert.deepEqual(JSON.parse(response.body), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
      const event = (await allEvents(server)).find((candidate) => candidate.requestUid === review.request.uid)!;
      assert.equal(event.user.username, 'bob');
      assert.deepEqual(event.patch, [{ op: 'replace', path: '/spec/replicas', value: 3 }]);
      assert.match(server.output(), /--auth none/);
    } finally {
      assert.equal(await server.kill('SIGTERM'), 0, 'graceful shutdown exits 0');
    }
  });

  it('every acknowledged event survives SIGKILL', async () => {
    const acknowledged = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const server = await startServer(args, { caFile: tls.caFile });
      const inFlight: Promise<void>[] = [];
      let stop = false;
      const sender = async (worker: number) => {
        for (let i = 0; !stop && i < 2000; i++) {
          const review = withFreshUid(loadFixture(i % 3 === 0 ? 'configmap-create-v1beta1' : 'deployment-scale'));
          review.request['name'] = `r${round}-w${worker}-${i % 20}`;
          try {
            const response = await server.request('POST', '/capture', review);
            if (response.status === 200) acknowledged.add(review.request.uid);
          } catch {
            return; // connection reset by the kill
          }
        }
      };
      for (let worker = 0; worker < 32; worker++) inFlight.push(sender(worker));
      await new Promise((resolveWait) => setTimeout(resolveWait, 400 + round * 150));
      await server.kill('SIGKILL');
      stop = true;
      await Promise.all(inFlight);
    }
    assert.ok(acknowledged.size > 100, `only ${acknowledged.size} captures were acknowledged`);
    const server = await startServer(args, { caFile: tls.caFile });
    try {
      const stored = new Set((await allEvents(server)).map((event) => event.requestUid));
      const missing = [...acknowledged].filter((uid) => !stored.has(uid));
      assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.size} acknowledged events were lost`);
    } finally {
      await server.kill('SIGTERM');
    }
  });

  it('Secret values reach neither the database files (WAL included), the commit log, the logs nor the API', async () => {
    const secretDir = mkdtempSync(join(tmpdir(), 'logistis-secret-'));
    const dbPath = join(secretDir, 'events.db');
    const secretArgs = ['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--store', `sqlite:${dbPath}`, '--log-level', 'trace', '--auth', 'none'];
    const server = await startServer(secretArgs, { caFile: tls.caFile });
    const values = ['hunter2-old-value', 's3cr3t-new-value', 'db-user-q7z'];
    let apiText = '';
    try {
      const review = withFreshUid(loadFixture('secret-update'));
      assert.equal((await server.request('POST', '/capture', review)).status, 200);
      apiText += (await server.request('GET', '/api/v1/events')).body;
      apiText += (await server.request('GET', '/api/v1/history?namespace=demo&kind=Secret&name=db&format=yaml')).body;
      apiText += (await server.request('GET', '/api/v1/history?namespace=demo&kind=Secret&name=db&format=diff')).body;
      assert.match(apiText, /redacted:hmac-sha256:/);
    } finally {
      await server.kill('SIGKILL'); // keep the WAL as it was
    }
    const logDir = `${dbPath}-log`;
    const segments = readdirSync(logDir).filter((name) => name.endsWith('.log')).map((name) => join(logDir, name));
    assert.ok(segments.length > 0, 'the commit log is there to scan');
    const files = [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, ...segments].filter((file) => existsSync(file));
    assert.ok(files.includes(`${dbPath}-wal`), 'the WAL is there to scan');
    // Event bodies are compressed: scan them decompressed too, through SQLite (which reads the WAL).
    const db = new DatabaseSync(dbPath, { readOnly: true });
    const bodies = (db.prepare('SELECT body, body_dictionary FROM events').all() as { body: Uint8Array; body_dictionary: number }[]).map((row) => decompressBody(row.body, row.body_dictionary));
    db.close();
    assert.equal(bodies.length, 1);
    assert.match(bodies[0]!, /redacted:hmac-sha256:/);
    const haystacks = [...files.map((file) => readFileSync(file).toString('latin1')), ...bodies, server.output(), apiText];
    for (const value of values) {
      for (const encoded of [value, Buffer.from(value).toString('base64')]) {
        for (const haystack of haystacks) assert.ok(!haystack.includes(encoded), `found ${encoded}`);
      }
    }
    rmSync(secretDir, { recursive: true, force: true });
  });
});
