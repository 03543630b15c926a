// The embedded EventStore: node:sqlite in WAL mode. Writes go to a worker thread that owns the write
// connection (group commit: whatever arrives while a commit runs goes into the next transaction); reads use
// a read-only connection (sqlite-reader.ts), which WAL lets run beside the writer.
import { Worker } from 'node:worker_threads';
import { chmodSync, closeSync, constants as fsConstants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { NewChangeEvent } from '../../event.ts';
import {
  STORE_WORKER_LIMITS, StoreError,
  type EventStateChange, type EventStore, type ObjectState, type ObjectStateKey, type ProvenanceStore, type PruneResult,
  type LogConsumerStore, type RetentionPolicy,
} from '../types.ts';
import { SqliteReader } from './sqlite-reader.ts';
import { encodeRows, type EventRow, type LogCursor, type WriterOptions, type WriterRequest, type WriterResponse } from './protocol.ts';
import { toEventRow } from '../event-codec.ts';
import { GroupCommit, timedCommit, type OnCommit } from '../group-commit.ts';
import { ReadingStore } from '../reading-store.ts';

type WriterRequestBody = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;
const PRUNE_CHUNK = 500;

export interface SqliteStoreHooks {
  /** Called after each committed batch, for metrics. */
  onCommit?: OnCommit;
}

/**
 * The history holds who changed what, redacted or not: readable by its owner only. SQLite creates the -wal and
 * -shm files with the database file's mode, so creating the file first (0600, whatever the umask) covers all three.
 * An existing file readable by others is narrowed the same way.
 */
function createPrivateFile(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const existing = statSync(file, { throwIfNoEntry: false });
    if (existing && (existing.mode & 0o077) !== 0) chmodSync(file, existing.mode & 0o700);
  }
}

export class SqliteEventStore extends ReadingStore<SqliteReader> implements EventStore, ProvenanceStore, LogConsumerStore {
  readonly path: string;
  private readonly retention: RetentionPolicy;
  private readonly hooks: SqliteStoreHooks;
  private worker!: Worker;
  protected reader!: SqliteReader;
  private nextRequestId = 1;
  private readonly waiting = new Map<number, { resolve(response: WriterResponse & { type: 'done' }): void; reject(error: Error): void }>();
  private readonly commits: GroupCommit<EventRow>;
  private workerFailure: Error | null = null;
  /** The database file this store opened: readiness fails when the path no longer names it. */
  private openedFile = { dev: 0, ino: 0 };

  private constructor(path: string, retention: RetentionPolicy, hooks: SqliteStoreHooks) {
    super();
    this.path = path;
    this.retention = retention;
    this.hooks = hooks;
    this.commits = new GroupCommit((rows) => this.commitBatch(rows), hooks.onCommit);
  }

  static async open(path: string, retention: RetentionPolicy, hooks: SqliteStoreHooks = {}): Promise<SqliteEventStore> {
    const absolute = resolve(path);
    const directory = dirname(absolute);
    if (!existsSync(directory)) mkdirSync(directory, { recursive: true, mode: 0o700 });
    try {
      createPrivateFile(absolute);
    } catch (error) {
      throw new StoreError(`cannot open ${absolute}: ${(error as Error).message}`);
    }
    const store = new SqliteEventStore(absolute, retention, hooks);
    await store.startWorker();
    store.reader = SqliteReader.open(absolute);
    const opened = statSync(absolute);
    store.openedFile = { dev: opened.dev, ino: opened.ino };
    return store;
  }

  private startWorker(): Promise<void> {
    const here = import.meta.url;
    const workerUrl = new URL(here.endsWith('.ts') ? './writer-worker.ts' : './writer-worker.js', here);
    const workerOptions: WriterOptions = { path: this.path, maxEventsPerObject: this.retention.maxEventsPerObject };
    const worker = new Worker(workerUrl, { workerData: workerOptions, resourceLimits: STORE_WORKER_LIMITS });
    this.worker = worker;
    return new Promise((resolveReady, rejectReady) => {
      let ready = false;
      worker.on('message', (message: WriterResponse) => {
        if (message.type === 'ready') {
          ready = true;
          this.workerFailure = null;
          resolveReady();
        } else if (message.type === 'fatal') {
          const error = new StoreError(message.message);
          this.workerFailure = error;
          if (!ready) rejectReady(error);
        } else {
          const waiter = this.waiting.get(message.id);
          this.waiting.delete(message.id);
          waiter?.resolve(message);
        }
      });
      const fail = (error: Error) => {
        const failure = new StoreError(`the store's writer stopped: ${error.message}`);
        this.workerFailure = failure;
        for (const waiter of this.waiting.values()) waiter.reject(failure);
        this.waiting.clear();
        if (!ready) rejectReady(failure);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!this.closed) fail(new Error(`exit code ${code}`));
      });
    });
  }

  private async request(message: WriterRequestBody, transfer: ArrayBuffer[] = []): Promise<WriterResponse & { type: 'done' }> {
    if (this.closed) throw new StoreError('the store is closed');
    if (this.workerFailure) {
      // A writer that died (bug, out of memory) is restarted; one that cannot open the database stays failed.
      await this.startWorker();
    }
    const id = this.nextRequestId++;
    return new Promise((resolveRequest, rejectRequest) => {
      this.waiting.set(id, { resolve: resolveRequest, reject: rejectRequest });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  append(events: NewChangeEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    if (events.length === 0) return Promise.resolve();
    return this.commits.add(events.map(toEventRow));
  }

  private commitBatch(rows: EventRow[]): Promise<number> {
    return this.commit({ type: 'append', rows: encodeRows(rows) });
  }

  /** One append message to the writer; resolves to how many events the per-object limit removed. */
  private async commit(message: WriterRequestBody, transfer: ArrayBuffer[] = []): Promise<number> {
    const response = await this.request(message, transfer);
    if (response.error) throw new StoreError(`commit failed (${response.code}): ${response.error}`, response.code === 'FILE_GONE' ? 'store-file-gone' : undefined);
    return response.prunedPerObject ?? 0;
  }

  async logCursor(logId: string): Promise<number> {
    const response = await this.request({ type: 'log-cursor', logId });
    if (response.error) throw new StoreError(`reading the commit log's cursor failed (${response.code}): ${response.error}`);
    return response.position ?? 0;
  }

  async appendFromLog(payloads: Buffer[], cursor: LogCursor): Promise<number> {
    if (this.closed) throw new StoreError('the store is closed');
    const lines = lineRanges(payloads);
    return timedCommit(payloads.length, this.hooks.onCommit, () => this.commit({ type: 'append-lines', ...lines, cursor }, [lines.bytes]));
  }







  async pruneByAge(nowMs: number): Promise<PruneResult> {
    const beforeMs = nowMs - this.retention.maxAgeMs;
    let prunedByAge = 0;
    for (;;) {
      const response = await this.request({ type: 'prune-age', beforeMs, chunk: PRUNE_CHUNK });
      if (response.error) throw new StoreError(`pruning failed (${response.code}): ${response.error}`);
      prunedByAge += response.pruned ?? 0;
      if ((response.pruned ?? 0) < PRUNE_CHUNK || this.closed) break;
      // Let captures queued meanwhile go first.
      await new Promise((resolveTick) => setImmediate(resolveTick));
    }
    let prunedBySize = 0;
    const maxBytes = this.retention.maxStoreBytes ?? 0;
    while (maxBytes > 0 && !this.closed) {
      const response = await this.request({ type: 'prune-size', maxBytes, chunk: PRUNE_CHUNK });
      if (response.error) throw new StoreError(`pruning by size failed (${response.code}): ${response.error}`);
      prunedBySize += response.pruned ?? 0;
      if ((response.pruned ?? 0) === 0) break;
      await new Promise((resolveTick) => setImmediate(resolveTick));
    }
    return { prunedByAge, prunedBySize };
  }


  async setEventStates(changes: EventStateChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    const response = await this.request({ type: 'set-states', changes });
    if (response.error) throw new StoreError(`state update failed (${response.code}): ${response.error}`);
    return response.changed ?? 0;
  }



  async saveObjectStates(states: ObjectState[], deleted: ObjectStateKey[]): Promise<void> {
    if (states.length === 0 && deleted.length === 0) return;
    const response = await this.request({ type: 'save-object-states', states, deleted });
    if (response.error) throw new StoreError(`saving object states failed (${response.code}): ${response.error}`);
  }


  /** Throws when a write would not last: the file deleted or replaced under us, or no longer writable. */
  private async checkFile(): Promise<void> {
    const code = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    let current;
    try {
      current = await stat(this.path);
    } catch (error) {
      throw new StoreError(`the database file ${this.path} is gone (${code(error)}): events written now would be lost at restart; restore it or restart logistis`);
    }
    if (current.dev !== this.openedFile.dev || current.ino !== this.openedFile.ino) {
      throw new StoreError(`the database file ${this.path} was replaced by another file; restart logistis to open it`);
    }
    for (const path of [this.path, dirname(this.path)]) {
      try {
        await access(path, fsConstants.W_OK);
      } catch (error) {
        throw new StoreError(`${path} is not writable (${code(error)}): the store cannot take a write`);
      }
    }
  }

  async ping(): Promise<void> {
    await this.checkFile();
    await this.reading().ping();
    const response = await this.request({ type: 'ping' });
    if (response.error) throw new StoreError(`store not writable: ${response.error}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.commits.drain();
    this.closed = true;
    this.reader?.close();
    await this.worker.terminate();
  }
}

/**
 * The payloads as one buffer the writer thread takes over (no copy when they already share one, as the records of one
 * log read do) and where each line is in it.
 */
function lineRanges(payloads: Buffer[]): { bytes: ArrayBuffer; ranges: number[] } {
  const shared = payloads[0]!.buffer;
  if (shared instanceof ArrayBuffer && payloads.every((payload) => payload.buffer === shared) && shared.byteLength > Buffer.poolSize) {
    return { bytes: shared, ranges: payloads.flatMap((payload) => [payload.byteOffset, payload.byteOffset + payload.length]) };
  }
  const joined = new Uint8Array(payloads.reduce((total, payload) => total + payload.length, 0));
  const ranges: number[] = [];
  let offset = 0;
  for (const payload of payloads) {
    joined.set(payload, offset);
    ranges.push(offset, offset + payload.length);
    offset += payload.length;
  }
  return { bytes: joined.buffer, ranges };
}
