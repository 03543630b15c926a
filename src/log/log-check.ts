// What `logistis log check` and `logistis log repair` do to a commit log directory, without a store and without
// opening the log for writing (CommitLog.open would cut a torn tail, and refuses damage). check reads every segment
// whole and, unlike the open, goes on after each damaged stretch, so that one run lists every problem.
//
// repair keeps every record's position: each damaged stretch is overwritten by padding records of exactly its length
// (frame.ts paddingFrames) and each segment keeps its length, so segment names, the start = previous end rule of
// CommitLog.open and the store's cursor (a position per log id) all stay true. Removing the damaged bytes instead
// would shift every later record, and a stored cursor would then point into the middle of another record, so records
// would be stored twice or skipped. The indexer skips padding records, and a cursor that falls inside one (the
// stretch held several records, some already stored) goes on after it (indexer.ts learnCursor).
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FRAME_HEADER_BYTES, FRAME_MAGIC, isPadding, paddingFrames, scanFrames, type LogRecord } from './frame.ts';
import { fsyncDirectory, listSegments, type Segment } from './commit-log.ts';

export type LogProblemKind = 'torn-tail' | 'damaged' | 'gap';

export interface LogProblem {
  /** The segment file's name (in the log directory). */
  file: string;
  /** Byte offset in that file where the problem starts. */
  offset: number;
  /** Log position where the problem starts. */
  position: number;
  /** Bytes the problem spans (for a gap: bytes of log missing; negative: the segments overlap). */
  bytes: number;
  kind: LogProblemKind;
  reason: string;
}

export interface SegmentCheck {
  file: string;
  start: number;
  /** Good records, padding included. */
  records: number;
  /** Padding records among them (written by an earlier repair). */
  paddingRecords: number;
  bytes: number;
  problems: LogProblem[];
}

export type LogStatus = 'clean' | 'torn-tail' | 'damaged';

export interface LogCheck {
  dir: string;
  logId: string | null;
  segments: SegmentCheck[];
  records: number;
  bytes: number;
  problems: LogProblem[];
  /** clean; torn-tail: only the last segment's end is cut short (the server cuts it at start); damaged: it refuses. */
  status: LogStatus;
}

/** A segment's bytes as the stretches check found: good records and bad bytes, in order, covering the whole file. */
type Stretch = { kind: 'record'; record: LogRecord } | { kind: 'bad'; problem: LogProblem };

interface SegmentScan {
  check: SegmentCheck;
  bytes: Buffer;
  stretches: Stretch[];
}

/** Thrown when the directory is no commit log: a usage error, not damage. */
export class NotALogError extends Error {
  override name = 'NotALogError';
}

function readLogId(dir: string): string | null {
  try {
    return readFileSync(join(dir, 'log-id'), 'utf8').trim() || null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function scanWhole(segment: Segment, last: boolean): SegmentScan {
  const bytes = readFileSync(segment.file);
  const file = basename(segment.file);
  const stretches: Stretch[] = [];
  const problems: LogProblem[] = [];
  let records = 0;
  let paddingRecords = 0;
  let offset = 0;
  while (offset < bytes.length) {
    const scan = scanFrames(bytes.subarray(offset), segment.start + offset);
    for (const record of scan.records) {
      stretches.push({ kind: 'record', record });
      records += 1;
      if (isPadding(record.payload)) paddingRecords += 1;
    }
    const problem = scan.problem;
    if (!problem) break;
    const at = problem.position - segment.start;
    const found: LogProblem = problem.kind === 'damaged'
      ? { file, offset: at, position: problem.position, bytes: problem.nextGoodPosition - problem.position, kind: 'damaged', reason: `${problem.reason}; the next good record starts at byte ${problem.nextGoodPosition - segment.start}` }
      : last
        ? { file, offset: at, position: problem.position, bytes: problem.bytes, kind: 'torn-tail', reason: problem.reason }
        // A write is cut short only at the log's end: bad bytes at the end of a segment that has a successor are damage.
        : { file, offset: at, position: problem.position, bytes: problem.bytes, kind: 'damaged', reason: `${problem.reason}; no good record follows in this segment, but a later segment does` };
    problems.push(found);
    stretches.push({ kind: 'bad', problem: found });
    offset = problem.kind === 'damaged' ? problem.nextGoodPosition - segment.start : bytes.length;
  }
  return { check: { file, start: segment.start, records, paddingRecords, bytes: bytes.length, problems }, bytes, stretches };
}

function scanLog(dir: string): { check: LogCheck; scans: SegmentScan[] } {
  if (!existsSync(dir)) throw new NotALogError(`--log-dir ${dir}: no such directory`);
  if (!statSync(dir).isDirectory()) throw new NotALogError(`--log-dir ${dir}: not a directory`);
  const logId = readLogId(dir);
  const segments = listSegments(dir);
  if (logId === null && segments.length === 0) throw new NotALogError(`--log-dir ${dir}: holds no commit log (no log-id file and no segment file)`);
  const scans: SegmentScan[] = [];
  let previousEnd: number | undefined;
  for (const [index, segment] of segments.entries()) {
    const scan = scanWhole(segment, index === segments.length - 1);
    if (previousEnd !== undefined && segment.start !== previousEnd) {
      const missing = segment.start - previousEnd;
      scan.check.problems.unshift({
        file: scan.check.file, offset: 0, position: segment.start, bytes: missing, kind: 'gap',
        reason: missing > 0
          ? `the segment before it ends at log position ${previousEnd}, this one starts at ${segment.start}: ${missing} bytes of log (a segment) are missing`
          : `the segment before it ends at log position ${previousEnd}, this one starts at ${segment.start}: the segments overlap by ${-missing} bytes`,
      });
    }
    previousEnd = segment.start + scan.check.bytes;
    scans.push(scan);
  }
  const problems = scans.flatMap((scan) => scan.check.problems);
  const status: LogStatus = problems.some((problem) => problem.kind !== 'torn-tail') ? 'damaged' : problems.length > 0 ? 'torn-tail' : 'clean';
  const check: LogCheck = {
    dir, logId,
    segments: scans.map((scan) => scan.check),
    records: scans.reduce((sum, scan) => sum + scan.check.records, 0),
    bytes: scans.reduce((sum, scan) => sum + scan.check.bytes, 0),
    problems, status,
  };
  return { check, scans };
}

/** Every segment of the log in `dir` scanned whole; every problem, not just the first. Changes nothing. */
export function checkLog(dir: string): LogCheck {
  return scanLog(dir).check;
}

export interface SegmentRepair {
  file: string;
  /** Good records kept, at their positions. */
  keptRecords: number;
  keptBytes: number;
  /** Record starts seen in the dropped bytes (at least one per damaged stretch: its first record). */
  droppedRecords: number;
  droppedBytes: number;
  /** Whole good records given up because a damaged stretch was shorter than a padding record's header. */
  droppedGoodRecords: number;
  /** Padding records written in place of the dropped bytes. */
  paddingRecords: number;
  /** Torn tail bytes cut off the end (last segment only). */
  cutBytes: number;
}

export interface LogRepair {
  dir: string;
  before: LogCheck;
  /** repaired; clean: nothing to do; refused: nothing was changed (a missing segment), see `refusal`. */
  outcome: 'repaired' | 'clean' | 'refused';
  refusal?: string;
  segments: SegmentRepair[];
  keptRecords: number;
  keptBytes: number;
  droppedRecords: number;
  droppedBytes: number;
  after?: LogCheck;
}

/** A stretch of a segment's bytes the repaired file holds: copied as it is, or replaced by padding. */
type Piece = { keep: true; from: number; to: number; record: LogRecord } | { keep: false; from: number; to: number; goodRecords: number };

/** Record starts in `bytes`: a lower bound on how many records a dropped stretch held. */
function countMarks(bytes: Buffer): number {
  const magic = Buffer.allocUnsafe(4);
  magic.writeUInt32BE(FRAME_MAGIC, 0);
  let count = 0;
  for (let at = bytes.indexOf(magic); at !== -1; at = bytes.indexOf(magic, at + 1)) count += 1;
  return count;
}

/**
 * The pieces of a repaired segment: good records kept, each damaged stretch dropped. A dropped stretch shorter than a
 * frame header cannot hold a padding record (only inserted garbage makes one so short): it takes in the next good
 * record (or the previous one at the end of the segment), which is then dropped too.
 */
function planPieces(scan: SegmentScan, cutTornTail: boolean): Piece[] {
  const start = scan.check.start;
  const pieces: Piece[] = [];
  for (const stretch of scan.stretches) {
    if (stretch.kind === 'record') {
      pieces.push({ keep: true, from: stretch.record.position - start, to: stretch.record.end - start, record: stretch.record });
    } else if (!(cutTornTail && stretch.problem.kind === 'torn-tail')) {
      pieces.push({ keep: false, from: stretch.problem.offset, to: stretch.problem.offset + stretch.problem.bytes, goodRecords: 0 });
    }
  }
  for (let index = 0; index < pieces.length; index++) {
    const piece = pieces[index]!;
    if (piece.keep || piece.to - piece.from >= FRAME_HEADER_BYTES) continue;
    const neighbour = index + 1 < pieces.length ? index + 1 : index - 1;
    if (neighbour < 0) throw new Error(`${scan.check.file} holds only ${piece.to - piece.from} bytes, too few for a padding record: it cannot be repaired keeping positions`);
    const other = pieces[neighbour]!;
    const merged: Piece = {
      keep: false, from: Math.min(piece.from, other.from), to: Math.max(piece.to, other.to),
      goodRecords: piece.goodRecords + (other.keep ? 1 : other.goodRecords),
    };
    pieces.splice(Math.min(index, neighbour), 2, merged);
    index = Math.max(-1, Math.min(index, neighbour) - 1);
  }
  return pieces;
}

function writeDurably(file: string, buffers: Buffer[]): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    for (const buffer of buffers) {
      for (let written = 0; written < buffer.length;) written += writeSync(fd, buffer, written);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}


function repairSegment(dir: string, scan: SegmentScan, last: boolean): SegmentRepair {
  const file = join(dir, scan.check.file);
  const torn = last ? scan.check.problems.find((problem) => problem.kind === 'torn-tail') : undefined;
  const damaged = scan.check.problems.some((problem) => problem.kind === 'damaged');
  const pieces = planPieces(scan, true);
  const result: SegmentRepair = {
    file: scan.check.file, keptRecords: 0, keptBytes: 0, droppedRecords: 0, droppedBytes: 0, droppedGoodRecords: 0, paddingRecords: 0, cutBytes: torn?.bytes ?? 0,
  };
  if (torn) result.droppedRecords += Math.max(1, countMarks(scan.bytes.subarray(torn.offset)));
  const buffers: Buffer[] = [];
  let lastAppendedMs = scan.stretches.find((stretch) => stretch.kind === 'record')?.record.appendedAtMs ?? Date.now();
  for (const piece of pieces) {
    if (piece.keep) {
      buffers.push(scan.bytes.subarray(piece.from, piece.to));
      result.keptRecords += 1;
      result.keptBytes += piece.to - piece.from;
      lastAppendedMs = piece.record.appendedAtMs;
      continue;
    }
    // The padding carries a neighbour's appended-at time, so the backlog's age stays meaningful.
    const padding = paddingFrames(piece.to - piece.from, lastAppendedMs);
    buffers.push(...padding);
    result.paddingRecords += padding.length;
    result.droppedBytes += piece.to - piece.from;
    result.droppedGoodRecords += piece.goodRecords;
    result.droppedRecords += Math.max(1, countMarks(scan.bytes.subarray(piece.from, piece.to)));
  }
  if (damaged) {
    // A new file beside the segment, then renamed over it: a crash leaves either the old or the new segment whole.
    // Its name does not match a segment's, so a leftover from a crash is ignored by the log (and overwritten here).
    const temporary = `${file}.repair`;
    writeDurably(temporary, buffers);
    renameSync(temporary, file);
    fsyncDirectory(dir);
  } else if (torn) {
    const fd = openSync(file, 'r+');
    try {
      ftruncateSync(fd, torn.offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return result;
}

/**
 * Keeps every good record of the log in `dir` at its position and drops the damaged ones (see the file comment). A gap
 * between segments cannot be filled with what the log knows: then nothing is changed.
 */
export function repairLog(dir: string): LogRepair {
  const { check, scans } = scanLog(dir);
  const repair: LogRepair = { dir, before: check, outcome: 'repaired', segments: [], keptRecords: 0, keptBytes: 0, droppedRecords: 0, droppedBytes: 0 };
  const gaps = check.problems.filter((problem) => problem.kind === 'gap');
  if (gaps.length > 0) {
    repair.outcome = 'refused';
    repair.refusal = `${gaps.length === 1 ? 'a segment is' : 'segments are'} missing (${gaps.map((gap) => `before ${gap.file}`).join(', ')}): the records they held are gone and repair cannot make the log whole again. Nothing was changed. Restore the missing segment from a backup, or move the log directory aside so that the server starts a new log (records not yet in the store are then lost)`;
    return repair;
  }
  if (check.status === 'clean') {
    repair.outcome = 'clean';
    return repair;
  }
  // Plan every segment before changing any, so that a segment that cannot be repaired changes nothing.
  for (const [index, scan] of scans.entries()) planPieces(scan, index === scans.length - 1);
  for (const [index, scan] of scans.entries()) {
    const last = index === scans.length - 1;
    if (scan.check.problems.length === 0) {
      repair.segments.push({ file: scan.check.file, keptRecords: scan.check.records, keptBytes: scan.check.bytes, droppedRecords: 0, droppedBytes: 0, droppedGoodRecords: 0, paddingRecords: 0, cutBytes: 0 });
      continue;
    }
    repair.segments.push(repairSegment(dir, scan, last));
  }
  for (const segment of repair.segments) {
    repair.keptRecords += segment.keptRecords;
    repair.keptBytes += segment.keptBytes;
    repair.droppedRecords += segment.droppedRecords;
    repair.droppedBytes += segment.droppedBytes + segment.cutBytes;
  }
  repair.after = checkLog(dir);
  return repair;
}
