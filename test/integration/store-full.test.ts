// A store on a full disk, for real: a 2 MiB tmpfs (mounting needs root; the test is skipped without it). The commit
// log is on another disk: captures go on being allowed and recorded in it, the store's failure is reported, what the
// store had stays readable, and the backlog is stored, once, when there is room again. (The log's own disk full is
// commit-log.test.ts's.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCertificate } from '../../harness/tls.ts';
import { startServer } from '../../harness/server-process.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import { assertStoredOnce, lostTotal, metricValue, metricsText, readiness, sqliteUidCounts, waitUntil } from '../support/serve-load.ts';

function mountSmallDisk(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('a full disk under the store', () => {
  it('allows and keeps every change in the commit log, says the store is behind, keeps serving what it had, and stores the rest once there is room', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-full-'));
    const disk = join(dir, 'disk');
    execFileSync('mkdir', [disk]);
    if (!mountSmallDisk(disk)) {
      rmSync(dir, { recursive: true, force: true });
      t.skip('mounting a small tmpfs needs root');
      return;
    }
    const tls = await testCertificate(dir);
    const storeFile = join(disk, 'events.db');
    const server = await startServer([
      '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--store', `sqlite:${storeFile}`, '--log-dir', join(dir, 'log'),
      '--redaction-key-file', join(dir, 'redaction.key'), '--auth', 'none', '--read-timeout', '1s',
    ], { caFile: tls.caFile });
    try {
      const sent = new Set<string>();
      let behind: string | undefined;
      for (let i = 0; i < 400 && !behind; i++) {
        const review = withFreshUid(loadFixture('configmap-create'));
        sent.add(review.request.uid);
        const object = review.request['object'] as { metadata: { name: string }; data: Record<string, string> };
        // A name of its own (the request's too, which the event is keyed by), so that the per-object limit of 100
        // events never trims what this test counts.
        object.metadata.name = `big-${i}`;
        review.request['name'] = `big-${i}`;
        object.data['blob'] = randomBytes(12_000).toString('base64'); // does not compress
        const response = await server.request('POST', '/capture', review);
        assert.equal(response.status, 200, response.body);
        assert.equal((JSON.parse(response.body) as { response: { allowed: boolean } }).response.allowed, true);
        if (i % 10 === 9) {
          await new Promise((resolveWait) => setTimeout(resolveWait, 200)); // the indexer's next batch
          behind = (await readiness(server)).body.log?.storeBehind;
        }
      }
      assert.ok(behind, `the store's disk never filled after ${sent.size} captures`);
      assert.match(behind, /SQLITE_FULL|full/i);
      assert.equal(await lostTotal(server), 0, 'nothing lost: the captures wait in the log');
      assert.equal((await readiness(server)).status, 200, 'ready: the log takes the captures');
      const metrics = await metricsText(server);
      assert.ok(metricValue(metrics, 'logistis_log_backlog_records') > 0);
      assert.equal(metricValue(metrics, 'logistis_captures_total', 'result="recorded"'), sent.size);

      // What the store holds is still served (after the bounded wait for the indexer).
      const events = await server.request('GET', '/api/v1/events?limit=1000');
      assert.equal(events.status, 200);
      assert.ok((JSON.parse(events.body) as { items: unknown[] }).items.length > 0);

      execFileSync('mount', ['-o', 'remount,size=16m', disk]);
      await waitUntil('the backlog stored', async () => metricValue(await metricsText(server), 'logistis_log_backlog_records') === 0, 30_000);
      assertStoredOnce(sqliteUidCounts(storeFile), sent, sent);
    } finally {
      await server.kill('SIGKILL');
      execFileSync('umount', [disk]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
