// A store and its commit log on a full disk, for real: a 2 MiB tmpfs (mounting needs root; the test is skipped
// without it). Captures go on being allowed, those the log could not take are counted lost (log-full), and once there
// is room again everything the log acknowledged reaches the store, a retried review once.
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

function mountSmallDisk(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function metric(text: string, pattern: RegExp): number {
  return Number(pattern.exec(text)?.[1] ?? 0);
}

describe('a full disk under the store', () => {
  it('allows every change, counts what it could not record, and stores everything acknowledged, a retry once, when there is room', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-full-'));
    const disk = join(dir, 'disk');
    execFileSync('mkdir', [disk]);
    if (!mountSmallDisk(disk)) {
      rmSync(dir, { recursive: true, force: true });
      t.skip('mounting a small tmpfs needs root');
      return;
    }
    const tls = await testCertificate(dir);
    const server = await startServer([
      '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--store', `sqlite:${join(disk, 'events.db')}`,
      '--redaction-key-file', join(dir, 'redaction.key'), '--auth', 'none',
    ], { caFile: tls.caFile });
    try {
      let answered = 0;
      let dropped = 0;
      const sent: ReturnType<typeof loadFixture>[] = [];
      for (let i = 0; i < 400 && dropped === 0; i++) {
        const review = withFreshUid(loadFixture('configmap-create'));
        sent.push(review);
        const object = review.request['object'] as { metadata: { name: string }; data: Record<string, string> };
        object.metadata.name = `big-${i}`;
        object.data['blob'] = randomBytes(12_000).toString('base64'); // does not compress
        const response = await server.request('POST', '/capture', review);
        assert.equal(response.status, 200, response.body);
        assert.equal((JSON.parse(response.body) as { response: { allowed: boolean } }).response.allowed, true);
        answered += 1;
        if (i % 10 === 9) dropped = metric((await server.request('GET', '/metrics')).body, /logistis_events_lost_total\{reason="log-full"\} (\d+)/);
      }
      assert.ok(dropped > 0, `the disk never filled after ${answered} captures`);
      assert.match(server.output(), /change allowed but not recorded/);
      assert.match(server.output(), /ENOSPC|no space left/i);
      assert.equal((await server.request('GET', '/healthz')).status, 200);

      // The API server retries a call that failed; with room again, what was refused is stored, and everything the
      // log acknowledged while the store had no room either reaches the store, each once.
      const recordedBefore = metric((await server.request('GET', '/metrics')).body, /logistis_captures_total\{operation="CREATE",result="recorded"\} (\d+)/);
      assert.ok(recordedBefore > 0);
      execFileSync('mount', ['-o', 'remount,size=16m', disk]);
      const retried = sent.slice(-10);
      for (const review of retried) assert.equal((await server.request('POST', '/capture', review)).status, 200);
      const deadline = Date.now() + 30_000;
      while ((JSON.parse((await server.request('GET', '/readyz')).body) as { log?: { backlogRecords: number } }).log?.backlogRecords !== 0) {
        assert.ok(Date.now() < deadline, 'the log drained into the store once there was room');
        await new Promise((resolveWait) => setTimeout(resolveWait, 200));
      }
      const after = JSON.parse((await server.request('GET', '/api/v1/events?limit=1000')).body) as { items: { requestUid: string }[] };
      const uids = after.items.map((item) => item.requestUid);
      // Every capture acknowledged before the room came back is stored, plus the retries of those the log refused.
      assert.ok(uids.length >= recordedBefore && uids.length <= recordedBefore + retried.length,
        `every acknowledged capture is stored: ${uids.length} stored, ${recordedBefore} acknowledged before the retries`);
      for (const review of retried) assert.equal(uids.filter((uid) => uid === review.request.uid).length, 1, `${review.request.uid} stored once`);
      assert.equal(new Set(uids).size, uids.length, 'no request uid stored twice');
    } finally {
      await server.kill('SIGKILL');
      execFileSync('umount', [disk]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
