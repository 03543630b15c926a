// The commit log: where a capture becomes durable (docs/adr/0029-commit-log.md). Appends are group-committed: the
// records that arrive while a write and its fdatasync run go together into the next one, and each append resolves
// once its record is on disk. The log is a directory of segment files named by the log position of their first byte;
// a segment is deleted once the store has durably taken all its records (release). On open, every segment is
// scanned: a torn tail of the last one (a write cut short by a crash or power cut) is cut off and counted, and any
// other damage stops the open with the file and offset (`logistis log check` / `repair` let an operator decide).
import { randomUUID } from 'node:crypto';
import { closeSync, constants as fsConstants, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FRAME_HEADER_BYTES, frameBytes, frameHeader, scanFrames, type LogRecord, type ScanProblem } from './frame.ts';

/** A new segment is started once the current one holds this much. */
export const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
/**
 * Segments are deleted whole, so the log's bytes on disk only fall once a segment is complete: with segments as large
 * as --max-log-bytes, a full log would stay full after the store took every record. An eighth of the limit at most.
 */
const SEGMENTS_PER_MAX_BYTES = 8;
const SEGMENT_NAME = /^(\d{20})\.log$/;
const ID_FILE = 'log-id';
const OWNER_FILE = 'owner.pid';
/** The backlog's age is tracked per chunk of this many bytes of log, not per record. */
const CHUNK_BYTES = 256 * 1024;

export function segmentName(start: number): string {
  return `${String(start).padStart(20, '0')}.log`;
}

/** The log refused or failed an append: the record is not durable, and the capture path counts it lost. */
export class LogError extends Error {
  override name = 'LogError';
  /** 'log-full': over --max-log-bytes or the disk is full; 'log-error': any other failure to write. */
  readonly lostReason: 'log-full' | 'log-error';
  constructor(message: string, lostReason: 'log-full' | 'log-error') {
    super(message);
    this.lostReason = lostReason;
  }
}

/** Damage the open will not repair by itself: the operator decides (`logistis log check`, `logistis log repair`). */
export class LogDamagedError extends Error {
  override name = 'LogDamagedError';
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, reason: string) {
    super(`the commit log is damaged: ${file} at byte offset ${offset}: ${reason}. Nothing was changed; run "logistis log check --log-dir DIR" to see every damaged record and "logistis log repair --log-dir DIR" to keep the good ones`);
    this.file = file;
    this.offset = offset;
  }
}

export interface Segment {
  start: number;
  file: string;
}

/** The segments of a log directory, oldest first. */
export function listSegments(dir: string): Segment[] {
  return readdirSync(dir)
    .map((name) => SEGMENT_NAME.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ start: Number(match[1]), file: join(dir, match[0]) }))
    .sort((a, b) => a.start - b.start);
}

/** What one segment holds, scanned whole. */
export interface SegmentScan extends Segment {
  size: number;
  records: LogRecord[];
  goodEnd: number;
  problem?: ScanProblem;
}

export function scanSegment(segment: Segment): SegmentScan {
  const bytes = readFileSync(segment.file);
  return { ...segment, size: bytes.length, ...scanFrames(bytes, segment.start) };
}

/** fsyncDirectory off the calling thread, for the running log. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a directory's entries (a new or renamed file, a deleted one) durable. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The log's identity: the store keeps each log's cursor under it, so two replicas' logs never share one. */
function readOrCreateId(dir: string): string {
  const file = join(dir, ID_FILE);
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (id) return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomUUID();
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${id}\n`, { mode: 0o600 });
  const fd = openSync(temporary, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temporary, file);
  fsyncDirectory(dir);
  return id;
}

export interface CommitLogOptions {
  dir: string;
  /** The most bytes the log may hold on disk; an append past it is refused (LogError 'log-full'). */
  maxBytes: number;
  segmentBytes?: number;
  now?: () => number;
}

/** What the open found and did. */
export interface Recovery {
  segments: number;
  records: number;
  /** Bytes cut off the end of the last segment (a torn write), and why. */
  tornBytes: number;
  tornReason?: string;
}

interface Pending {
  payload: Buffer;
  resolve(end: number): void;
  reject(error: Error): void;
}

/** A stretch of the log and the appended-at time of its first record: the backlog's age without a per-record list. */
interface Chunk {
  start: number;
  end: number;
  oldestMs: number;
}

export class CommitLog {
  readonly dir: string;
  readonly id: string;
  readonly recovery: Recovery;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly now: () => number;
  private segments: Segment[];
  private current: FileHandle | undefined;
  private currentStart: number;
  /** The position after the last synced record: reads never go past it. */
  private synced: number;
  private queued: Pending[] = [];
  private queuedBytes = 0;
  private writing = false;
  private closed = false;
  private broken: Error | undefined;
  /** Why the last append was refused for want of room; cleared by an append that fits or a segment deleted. */
  private refusedFull: string | undefined;
  private released: number;
  private chunks: Chunk[] = [];
  private readonly listeners = new Set<() => void>();
  private writeDone: Promise<void> = Promise.resolve();

  private constructor(options: CommitLogOptions, id: string, segments: Segment[], head: number, recovery: Recovery, chunks: Chunk[]) {
    this.dir = options.dir;
    this.id = id;
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes ?? Math.min(DEFAULT_SEGMENT_BYTES, Math.floor(options.maxBytes / SEGMENTS_PER_MAX_BYTES));
    this.now = options.now ?? Date.now;
    this.segments = segments;
    this.currentStart = segments.at(-1)?.start ?? head;
    this.synced = head;
    this.released = segments[0]?.start ?? head;
    this.recovery = recovery;
    this.chunks = chunks;
  }

  /** Opens (or creates) the log in `dir`, scanning every segment; throws LogDamagedError on damage it must not cut. */
  static async open(options: CommitLogOptions): Promise<CommitLog> {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    takeDirectory(options.dir);
    const id = readOrCreateId(options.dir);
    const segments = listSegments(options.dir);
    const recovery: Recovery = { segments: segments.length, records: 0, tornBytes: 0 };
    const chunks: Chunk[] = [];
    let head = 0;
    for (const [index, segment] of segments.entries()) {
      const scan = scanSegment(segment);
      if (index > 0 && segment.start !== head) {
        throw new LogDamagedError(segment.file, 0, `the segment before it ends at log position ${head}, this one starts at ${segment.start}: a segment is missing`);
      }
      const last = index === segments.length - 1;
      if (scan.problem && (scan.problem.kind === 'damaged' || !last)) {
        throw new LogDamagedError(segment.file, scan.problem.position - segment.start, scan.problem.reason);
      }
      for (const record of scan.records) addToChunks(chunks, record.position, record.end, record.appendedAtMs);
      recovery.records += scan.records.length;
      if (scan.problem) {
        // A torn tail: the write that was cut short was never acknowledged.
        const fd = openSync(segment.file, 'r+');
        try {
          ftruncateSync(fd, scan.goodEnd - segment.start);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        recovery.tornBytes = scan.problem.bytes;
        recovery.tornReason = scan.problem.reason;
      }
      head = scan.goodEnd;
    }
    const log = new CommitLog(options, id, segments, head, recovery, chunks);
    return log;
  }

  /** The position after the last durable record. */
  get head(): number {
    return this.synced;
  }

  /** The oldest position still on disk. */
  get tail(): number {
    return this.released;
  }

  /** Bytes the log's segments hold. */
  get bytesOnDisk(): number {
    return this.synced - this.released;
  }

  /** Why appends fail now, if they do. */
  get failure(): string | undefined {
    return this.broken?.message;
  }

  /**
   * Why appends are refused for want of room (--max-log-bytes or the disk), while they are: readiness says it, since
   * every capture is lost until the store takes records and segments are deleted.
   */
  get full(): string | undefined {
    return this.refusedFull;
  }

  get maxLogBytes(): number {
    return this.maxBytes;
  }

  /** The appended-at time of the oldest record at or after `position`, roughly (per chunk of the log), or null. */
  oldestAppendedMs(position: number): number | null {
    const chunk = this.chunks.find((candidate) => candidate.end > position);
    return chunk && position < this.synced ? chunk.oldestMs : null;
  }

  /** Calls `listener` after each durable append (the indexer waits on it). */
  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves to the record's end position once it is durable; rejects with LogError when it is not. */
  append(payload: Buffer): Promise<number> {
    if (this.closed) return Promise.reject(new LogError('the commit log is closed', 'log-error'));
    if (this.broken) return Promise.reject(new LogError(`the commit log cannot be written: ${this.broken.message}`, 'log-error'));
    const size = frameBytes(payload.length);
    if (this.synced - this.released + this.queuedBytes + size > this.maxBytes) {
      this.refusedFull = `${this.synced - this.released + this.queuedBytes} bytes in its segments, --max-log-bytes is ${this.maxBytes}`;
      return Promise.reject(new LogError(`the commit log is full: ${this.refusedFull}`, 'log-full'));
    }
    return new Promise((resolve, reject) => {
      this.queued.push({ payload, resolve, reject });
      this.queuedBytes += size;
      if (!this.writing) {
        // Started after the other requests read in this turn of the event loop have appended too: one write for all.
        this.writing = true;
        this.writeDone = new Promise((resolveTurn) => setImmediate(resolveTurn)).then(() => this.writeQueued());
      }
    });
  }

  private async writeQueued(): Promise<void> {
    try {
      while (this.queued.length > 0 && !this.broken) {
        const batch = this.queued;
        this.queued = [];
        this.queuedBytes = 0;
        await this.writeBatch(batch);
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const appendedAtMs = this.now();
    const buffers: Buffer[] = [];
    const ends: number[] = [];
    let position = this.synced;
    for (const entry of batch) {
      buffers.push(frameHeader(entry.payload, appendedAtMs), entry.payload);
      position += FRAME_HEADER_BYTES + entry.payload.length;
      ends.push(position);
    }
    const before = this.synced;
    try {
      const file = await this.writableSegment();
      let offset = before - this.currentStart;
      // writev may write less than asked (a signal, a full disk); what is left goes again.
      let pending = buffers;
      while (pending.length > 0) {
        const { bytesWritten } = await file.writev(pending, offset);
        offset += bytesWritten;
        pending = skipBytes(pending, bytesWritten);
        if (bytesWritten === 0 && pending.length > 0) throw Object.assign(new Error('no space left on the device'), { code: 'ENOSPC' });
      }
      // The segment is open with O_DSYNC: each write returns once its data is on disk, so a group costs one trip to
      // libuv's thread pool instead of a write and a separate fdatasync.
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const failure = new LogError(`cannot write the commit log in ${this.dir}: ${(error as Error).message}`, code === 'ENOSPC' || code === 'EDQUOT' ? 'log-full' : 'log-error');
      if (failure.lostReason === 'log-full') this.refusedFull = `the disk is full: ${(error as Error).message}`;
      for (const entry of batch) entry.reject(failure);
      await this.undoPartialWrite(before, error as Error);
      return;
    }
    this.synced = position;
    this.refusedFull = undefined;
    addToChunks(this.chunks, before, position, appendedAtMs);
    batch.forEach((entry, index) => entry.resolve(ends[index]!));
    for (const listener of this.listeners) listener();
  }

  /** Cuts what a failed write may have left, so the next record starts where the last good one ended. */
  private async undoPartialWrite(goodEnd: number, cause: Error): Promise<void> {
    try {
      await this.current!.truncate(goodEnd - this.currentStart);
      await this.current!.datasync();
    } catch (error) {
      // The file's end is unknown now: nothing more may be appended to it until a restart scans it.
      this.broken = new Error(`${cause.message}; cutting the partial write failed too (${(error as Error).message})`);
    }
  }

  private async writableSegment(): Promise<FileHandle> {
    const full = this.current && this.synced - this.currentStart >= this.segmentBytes;
    if (this.current && !full) return this.current;
    if (this.current) await this.current.close();
    const existing = this.segments.at(-1);
    if (!this.current && existing && this.synced - existing.start < this.segmentBytes) {
      this.current = await open(existing.file, fsConstants.O_RDWR | fsConstants.O_DSYNC);
      this.currentStart = existing.start;
      return this.current;
    }
    const segment = { start: this.synced, file: join(this.dir, segmentName(this.synced)) };
    this.current = await open(segment.file, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_DSYNC, 0o600);
    this.currentStart = segment.start;
    this.segments.push(segment);
    // The new file's name must be durable before a record in it is acknowledged. On the thread pool: a directory's
    // fsync waits for the file system's journal, which under other writes took tens of milliseconds, and the request
    // thread must not wait with it.
    await syncDirectory(this.dir);
    return this.current;
  }

  /**
   * Records from `position` on, up to about `maxBytes` (at least one record), only durable ones. `position` must be a
   * record boundary at or after tail (the indexer's cursor).
   */
  async read(position: number, maxBytes: number): Promise<LogRecord[]> {
    const segmentIndex = this.segments.findLastIndex((segment) => segment.start <= position);
    if (position >= this.synced || segmentIndex === -1) return [];
    const segment = this.segments[segmentIndex]!;
    const segmentEnd = this.segments[segmentIndex + 1]?.start ?? this.synced;
    if (position >= segmentEnd) return [];
    const file = await open(segment.file, 'r');
    try {
      let length = Math.min(maxBytes, segmentEnd - position);
      for (;;) {
        // A buffer of its own, not a slice of Node's pool: a store may hand it to its writer thread whole (transfer).
        const bytes = Buffer.allocUnsafeSlow(length);
        const { bytesRead } = await file.read(bytes, 0, length, position - segment.start);
        const scan = scanFrames(bytes.subarray(0, bytesRead), position, false);
        if (scan.records.length > 0) return scan.records;
        if (bytesRead < FRAME_HEADER_BYTES) throw new LogDamagedError(segment.file, position - segment.start, 'a record was expected here');
        // The first record is larger than maxBytes: read exactly it.
        const needed = FRAME_HEADER_BYTES + bytes.readUInt32BE(4);
        if (needed <= length || position + needed > segmentEnd) {
          throw new LogDamagedError(segment.file, position - segment.start, scan.problem?.reason ?? 'no whole record here');
        }
        length = needed;
      }
    } finally {
      await file.close();
    }
  }

  /** The store has durably taken every record before `position`: segments wholly before it are deleted. */
  async release(position: number): Promise<void> {
    while (this.chunks.length > 0 && this.chunks[0]!.end <= position) this.chunks.shift();
    let removed = false;
    while (this.segments.length > 1 && this.segments[1]!.start <= position) {
      const segment = this.segments.shift()!;
      await rm(segment.file, { force: true });
      this.released = this.segments[0]!.start;
      removed = true;
    }
    if (removed) {
      await syncDirectory(this.dir);
      this.refusedFull = undefined;
    }
  }

  /** Waits for the write in flight, then closes; later appends are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writeDone;
    await this.current?.close();
    this.current = undefined;
    rmSync(join(this.dir, OWNER_FILE), { force: true });
  }
}

/**
 * Two processes appending to one log would overwrite each other's records: the first to open a directory writes its
 * pid there, and another refuses while that process lives. A file left by a killed process (or by a container whose
 * process had the same pid, as pid 1 always is) is taken over.
 */
function takeDirectory(dir: string): void {
  const file = join(dir, OWNER_FILE);
  const owner = Number.parseInt(readFileSync(file, { encoding: 'utf8', flag: 'a+' }).trim(), 10);
  if (Number.isInteger(owner) && owner !== process.pid && processLives(owner)) {
    throw new LogInUseError(`the commit log in ${dir} is in use by process ${owner} (its pid is in ${file}): give each server its own --log-dir`);
  }
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
}

function processLives(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Another live process has the log directory open. */
export class LogInUseError extends Error {
  override name = 'LogInUseError';
}

function addToChunks(chunks: Chunk[], start: number, end: number, appendedAtMs: number): void {
  const last = chunks.at(-1);
  if (last && last.end === start && end - last.start <= CHUNK_BYTES) last.end = end;
  else chunks.push({ start, end, oldestMs: appendedAtMs });
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  let left = count;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (left >= buffer.length) {
      left -= buffer.length;
      continue;
    }
    rest.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return rest;
}
