// The commit log on real files in a temporary directory (src/log/commit-log.ts): segments, reopen, the torn tail the
// open cuts, the damage it refuses, the size limit, and group commit.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, openSync, closeSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommitLog, listSegments, LogDamagedError, LogError, LogInUseError } from '../../../src/log/commit-log.ts';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { FRAME_HEADER_BYTES } from '../../../src/log/frame.ts';
import type { LogRecord } from '../../../src/log/frame.ts';

const payload = (index: number) => Buffer.from(`["row",${index}]\tbody of record ${index}`);

async function readAll(log: CommitLog): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  for (let at = log.tail; at < log.head;) {
    const batch = await log.read(at, 100);
    assert.ok(batch.length > 0, `no record at ${at}`);
    records.push(...batch);
    at = batch.at(-1)!.end;
  }
  return records;
}

function overwrite(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe('CommitLog', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'logistis-commit-log-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function writeLog(count: number, segmentBytes = 200): Promise<number[]> {
    const log = await CommitLog.open({ dir, maxBytes: 1_000_000, segmentBytes });
    const ends: number[] = [];
    for (let index = 0; index < count; index++) ends.push(await log.append(payload(index)));
    await log.close();
    return ends;
  }

  it('appends across segments, reads every record back and releases whole segments', async () => {
    const log = await CommitLog.open({ dir, maxBytes: 1_000_000, segmentBytes: 200 });
    const ends: number[] = [];
    for (let index = 0; index < 20; index++) ends.push(await log.append(payload(index)));
    assert.equal(log.head, ends.at(-1));
    const segments = listSegments(dir);
    assert.ok(segments.length >= 5, `20 records of about 50 bytes in 200-byte segments: got ${segments.length} segments`);
    for (const [index, segment] of segments.entries()) {
      const next = segments[index + 1];
      if (next) assert.equal(segment.start + statSync(segment.file).size, next.start, 'each segment starts where the one before ends');
    }
    const records = await readAll(log);
    assert.deepEqual(records.map((record) => record.payload.toString()), Array.from({ length: 20 }, (_, index) => payload(index).toString()));
    assert.deepEqual(records.map((record) => record.end), ends);

    await log.release(segments[2]!.start);
    assert.equal(log.tail, segments[2]!.start);
    assert.equal(existsSync(segments[0]!.file), false);
    assert.equal(existsSync(segments[1]!.file), false);
    assert.equal(existsSync(segments[2]!.file), true);
    assert.equal((await log.read(log.tail, 100))[0]!.position, segments[2]!.start);
    await log.close();
    await assert.rejects(log.append(payload(99)), (error: unknown) => error instanceof LogError && error.lostReason === 'log-error');
  });

  it('finds every record again after a close and reopen, under the same log id', async () => {
    const first = await CommitLog.open({ dir, maxBytes: 1_000_000, segmentBytes: 200 });
    const id = first.id;
    for (let index = 0; index < 12; index++) await first.append(payload(index));
    const head = first.head;
    await first.close();
    const reopened = await CommitLog.open({ dir, maxBytes: 1_000_000, segmentBytes: 200 });
    assert.equal(reopened.id, id);
    assert.equal(reopened.head, head);
    assert.deepEqual(reopened.recovery, { segments: listSegments(dir).length, records: 12, tornBytes: 0 });
    assert.equal((await readAll(reopened)).length, 12);
    // Appends go on after the old records.
    assert.equal(await reopened.append(payload(12)), head + FRAME_HEADER_BYTES + payload(12).length);
    await reopened.close();
  });

  it('cuts a torn tail of the last segment at open and counts it', async () => {
    const ends = await writeLog(8);
    const last = listSegments(dir).at(-1)!;
    const sizeBefore = statSync(last.file).size;
    // A write cut short: a header and part of a payload.
    const torn = Buffer.concat([Buffer.from('LGR1'), Buffer.alloc(30, 7)]);
    appendFileSync(last.file, torn);
    const log = await CommitLog.open({ dir, maxBytes: 1_000_000, segmentBytes: 200 });
    assert.equal(log.recovery.records, 8);
    assert.equal(log.recovery.tornBytes, torn.length);
    assert.ok(log.recovery.tornReason);
    assert.equal(statSync(last.file).size, sizeBefore, 'the torn bytes are gone from the file');
    assert.equal(log.head, ends.at(-1));
    const end = await log.append(payload(8));
    assert.equal(end, ends.at(-1)! + FRAME_HEADER_BYTES + payload(8).length);
    assert.equal((await readAll(log)).at(-1)!.payload.toString(), payload(8).toString());
    await log.close();
  });

  it('refuses to open with a damaged record in the middle, naming the file and offset', async () => {
    await writeLog(8);
    const segment = listSegments(dir)[1]!;
    overwrite(segment.file, FRAME_HEADER_BYTES + 3, Buffer.from('XX'));
    await assert.rejects(CommitLog.open({ dir, maxBytes: 1_000_000, segmentBytes: 200 }), (error: unknown) => {
      assert.ok(error instanceof LogDamagedError);
      assert.equal(error.file, segment.file);
      assert.equal(error.offset, 0);
      assert.match(error.message, /checksum/);
      assert.match(error.message, /logistis log check/);
      return true;
    });
  });

  it('refuses to open when a segment is missing', async () => {
    await writeLog(12);
    const segments = listSegments(dir);
    rmSync(segments[1]!.file);
    await assert.rejects(CommitLog.open({ dir, maxBytes: 1_000_000, segmentBytes: 200 }), (error: unknown) => {
      assert.ok(error instanceof LogDamagedError);
      assert.equal(error.file, segments[2]!.file);
      assert.match(error.message, /a segment is missing/);
      return true;
    });
  });

  it('refuses an append over maxBytes as log-full, and takes appends again once released', async () => {
    const recordBytes = FRAME_HEADER_BYTES + payload(0).length;
    const log = await CommitLog.open({ dir, maxBytes: recordBytes * 3, segmentBytes: recordBytes });
    for (let index = 0; index < 3; index++) await log.append(payload(index));
    await assert.rejects(log.append(payload(3)), (error: unknown) => error instanceof LogError && error.lostReason === 'log-full' && error.message.includes('full'));
    await log.release(log.head);
    assert.ok(log.bytesOnDisk < recordBytes * 3);
    await log.append(payload(4));
    await log.close();
  });

  it('group-commits concurrent appends: 200 of them take far fewer writes, each resolving to its own end', async () => {
    // `now` is read once per written batch (its appended-at time): counting its calls counts the writes + datasyncs.
    let batches = 0;
    const log = await CommitLog.open({ dir, maxBytes: 10_000_000, now: () => { batches += 1; return Date.now(); } });
    const ends = await Promise.all(Array.from({ length: 200 }, (_, index) => log.append(payload(index))));
    assert.ok(batches < 20, `200 concurrent appends took ${batches} writes`);
    assert.equal(new Set(ends).size, 200);
    const records = await readAll(log);
    assert.equal(records.length, 200);
    // Each append resolved to the end of its own record.
    for (const [index, end] of ends.entries()) {
      const record = records.find((candidate) => candidate.end === end)!;
      assert.equal(record.payload.toString(), payload(index).toString());
    }
    await log.close();
  });

  it('refuses a directory another live process has open, and takes over one a dead process left', async () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'owner.pid'), `${other.pid}\n`);
      await assert.rejects(CommitLog.open({ dir, maxBytes: 1_000_000 }), (error: Error) =>
        error instanceof LogInUseError && error.message.includes(`process ${other.pid}`));
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolveExit) => other.once('exit', resolveExit));
    }
    const log = await CommitLog.open({ dir, maxBytes: 1_000_000 });
    await log.append(payload(1));
    await log.close();
    assert.equal(existsSync(join(dir, 'owner.pid')), false, 'the owner file goes at close');
  });
});
