// `logistis log check` and `logistis log repair`, run as the real command on logs this test writes and then damages.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommitLog, listSegments } from '../../../src/log/commit-log.ts';
import { FRAME_HEADER_BYTES, isPadding, type LogRecord } from '../../../src/log/frame.ts';
import type { LogCheck, LogRepair } from '../../../src/log/log-check.ts';

const ENTRY = fileURLToPath(new URL('../../../src/cli/logistis.ts', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [ENTRY, 'log', ...args], { encoding: 'utf8', timeout: 20_000 });
/** Every payload of the same length, so that offsets are multiples of RECORD_BYTES. */
const payload = (index: number) => Buffer.from(`["row",${String(index).padStart(2, '0')}]\tbody of record ${String(index).padStart(2, '0')}`);
const RECORD_BYTES = FRAME_HEADER_BYTES + payload(0).length;
const SEGMENT_BYTES = 4 * RECORD_BYTES;

function overwrite(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

async function readAll(log: CommitLog): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  for (let at = log.tail; at < log.head;) {
    const batch = await log.read(at, 1000);
    records.push(...batch);
    at = batch.at(-1)!.end;
  }
  return records;
}

describe('logistis log check / repair', () => {
  let dir: string;
  /** Each record's end position, in append order. */
  let ends: number[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-log-cli-'));
    const log = await CommitLog.open({ dir, maxBytes: 1_000_000, segmentBytes: SEGMENT_BYTES });
    ends = [];
    // 12 records of equal size: three segments of four.
    for (let index = 0; index < 12; index++) ends.push(await log.append(payload(index)));
    await log.close();
    assert.equal(listSegments(dir).length, 3);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const segmentFile = (index: number) => listSegments(dir)[index]!.file;

  it('reports a clean log and exits 0', () => {
    const result = run(['check', '--log-dir', dir]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^00000000000000000000\.log {2}4 records {2}\d+ bytes$/m);
    assert.match(result.stdout, /^summary: 3 segments, 12 records, \d+ bytes; clean$/m);
  });

  it('calls a torn tail of the last segment harmless: the server cuts it itself', () => {
    appendFileSync(segmentFile(2), Buffer.from('LGR1\0\0\0'));
    const result = run(['check', '--log-dir', dir]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stdout, new RegExp(`${basename(segmentFile(2))} byte ${4 * RECORD_BYTES}: torn tail \\(7 bytes\\)`));
    assert.match(result.stdout, /cuts off by itself at start/);
  });

  it('lists every damaged record, not just the first, with file and offset, and exits 1; --json says the same', () => {
    overwrite(segmentFile(0), RECORD_BYTES + FRAME_HEADER_BYTES + 1, Buffer.from('??'));
    overwrite(segmentFile(1), 2 * RECORD_BYTES + 5, Buffer.from('!'));
    overwrite(segmentFile(1), 3 * RECORD_BYTES + FRAME_HEADER_BYTES, Buffer.from('!'));
    const text = run(['check', '--log-dir', dir]);
    assert.equal(text.status, 1, text.stdout);
    assert.match(text.stdout, new RegExp(`${basename(segmentFile(0))} byte ${RECORD_BYTES}: damaged \\(${RECORD_BYTES} bytes\\): its checksum does not match`));
    assert.match(text.stdout, new RegExp(`${basename(segmentFile(1))} byte ${2 * RECORD_BYTES}: damaged`));
    // Records 6 and 7 (the last of a segment that has a successor) are one damaged stretch, not a torn tail.
    assert.match(text.stdout, new RegExp(`${basename(segmentFile(1))} byte ${2 * RECORD_BYTES}: damaged \\(${2 * RECORD_BYTES} bytes\\): .*a later segment does`));
    assert.match(text.stdout, /summary: 3 segments, 9 records, .*2 damaged; damaged: the server refuses to start/);

    const json = run(['check', '--log-dir', dir, '--json']);
    assert.equal(json.status, 1);
    const check = JSON.parse(json.stdout) as LogCheck;
    assert.equal(check.status, 'damaged');
    assert.equal(check.records, 9);
    assert.deepEqual(check.problems.map((problem) => [basename(problem.file), problem.offset, problem.kind]), [
      [basename(segmentFile(0)), RECORD_BYTES, 'damaged'],
      [basename(segmentFile(1)), 2 * RECORD_BYTES, 'damaged'],
    ]);
    assert.equal(check.problems[1]!.bytes, 2 * RECORD_BYTES);
  });

  it('repairs damage keeping every good record at its position, so the log opens and the indexer can skip the padding', async () => {
    const damagedRecords = new Set([1, 6, 7]);
    overwrite(segmentFile(0), RECORD_BYTES + FRAME_HEADER_BYTES + 1, Buffer.from('??'));
    overwrite(segmentFile(1), 2 * RECORD_BYTES + 5, Buffer.from('!'));
    overwrite(segmentFile(1), 3 * RECORD_BYTES + FRAME_HEADER_BYTES, Buffer.from('!'));
    appendFileSync(segmentFile(2), Buffer.from('LGR1\0\0\0'));
    const sizes = listSegments(dir).map((segment) => statSync(segment.file).size);

    const result = run(['repair', '--log-dir', dir, '--json']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const repair = JSON.parse(result.stdout) as LogRepair;
    assert.equal(repair.outcome, 'repaired');
    assert.equal(repair.keptRecords, 9);
    assert.equal(repair.droppedRecords, 4, 'three damaged records and the torn write');
    assert.equal(repair.droppedBytes, 3 * RECORD_BYTES + 7);
    assert.equal(repair.after?.status, 'clean');
    assert.deepEqual(listSegments(dir).map((segment) => statSync(segment.file).size), [sizes[0], sizes[1], sizes[2]! - 7], 'segments keep their length; only the torn tail is cut');

    const log = await CommitLog.open({ dir, maxBytes: 1_000_000, segmentBytes: SEGMENT_BYTES });
    const records = await readAll(log);
    await log.close();
    const events = records.filter((record) => !isPadding(record.payload));
    const expected = Array.from({ length: 12 }, (_, index) => index).filter((index) => !damagedRecords.has(index));
    assert.deepEqual(events.map((record) => record.payload.toString()), expected.map((index) => payload(index).toString()));
    assert.deepEqual(events.map((record) => record.end), expected.map((index) => ends[index]), 'every kept record ends where it did');
    assert.equal(records.length - events.length, 2, 'one padding record per damaged stretch (records 6 and 7 are one stretch)');

    const text = run(['repair', '--log-dir', dir]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /repair: nothing to repair/);
  });

  it('prints what repair kept and dropped per segment and in total', () => {
    overwrite(segmentFile(1), FRAME_HEADER_BYTES + 1, Buffer.from('??'));
    const result = run(['repair', '--log-dir', dir]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`^${basename(segmentFile(1))} {2}kept 3 records \\(${3 * RECORD_BYTES} bytes\\), dropped 1 record \\(${RECORD_BYTES} bytes\\); 1 padding written in their place$`, 'm'));
    assert.match(result.stdout, new RegExp(`^total: kept 11 records \\(${11 * RECORD_BYTES} bytes\\), dropped 1 record \\(${RECORD_BYTES} bytes\\)`, 'm'));
    assert.equal(run(['check', '--log-dir', dir]).status, 0);
  });

  it('reports a missing segment as a gap, and repair refuses it changing nothing', () => {
    const missing = segmentFile(1);
    rmSync(missing);
    overwrite(segmentFile(0), FRAME_HEADER_BYTES + 1, Buffer.from('??'));
    const before = readFileSync(segmentFile(0));
    const check = run(['check', '--log-dir', dir]);
    assert.equal(check.status, 1);
    assert.match(check.stdout, new RegExp(`${basename(segmentFile(1))} byte 0: gap between segments: .*${4 * RECORD_BYTES} bytes of log \\(a segment\\) are missing`));
    const repair = run(['repair', '--log-dir', dir]);
    assert.equal(repair.status, 1);
    assert.match(repair.stdout, /repair refused: a segment is missing/);
    assert.deepEqual(readFileSync(segmentFile(0)), before, 'the damaged segment before the gap is left as it was');
  });

  it('exits 2 with a clear message on usage errors', () => {
    const missingFlag = run(['check']);
    assert.equal(missingFlag.status, 2);
    assert.match(missingFlag.stderr, /--log-dir/);
    const noDir = run(['repair', '--log-dir', join(dir, 'nothing-here')]);
    assert.equal(noDir.status, 2);
    assert.match(noDir.stderr, /^logistis: --log-dir .*nothing-here: no such directory$/m);
    const notALog = run(['check', '--log-dir', tmpdir()]);
    assert.equal(notALog.status, 2);
    assert.match(notALog.stderr, /holds no commit log/);
  });
});
