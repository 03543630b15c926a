// Reads answered on a small pool of reader threads, each with its own read-only connection (SQLite) or pool
// (PostgreSQL). The request thread only parses the query, checks access and sends the text that comes back.
// Every read has a deadline, and stops when it passes or its client goes. A heavy read (history, blame, activity)
// takes a thread to itself and never the last one, so lists are answered while one runs.
import { Worker } from 'node:worker_threads';
import { HttpError } from '../api/errors.ts';
import { DEFAULT_POOL_SIZE } from '../store/postgres/connection.ts';
import { STORE_WORKER_LIMITS, StoreError } from '../store/types.ts';
import { readErrorOf, type ReaderMessage, type ReaderOptions, type ReaderReply } from './reader-protocol.ts';
import { isHeavyRead, type ReadAnswer, type ReadOptions, type ReadRequest, type Reads } from './requests.ts';

export interface ReadPoolSettings {
  /** Reader threads; heavy reads take at most all but one of them. */
  threads: number;
  /** A read not answered within this is answered 504 and stopped (serve --read-timeout). */
  timeoutMs: number;
}

export const DEFAULT_READ_POOL: ReadPoolSettings = { threads: 2, timeoutMs: 30_000 };

/** The heap one reader thread may use: a read that needs more ends that thread (its reads fail 503), not the process. */
const READER_HEAP_MB = 256;

interface Job {
  id: number;
  request: ReadRequest;
  heavy: boolean;
  stop: Int32Array;
  deadlineMs: number;
  /** Settled: the caller has its answer or error; the job may still run until its thread notices. */
  done: boolean;
  resolve(answer: ReadAnswer): void;
  reject(error: Error): void;
  timers: NodeJS.Timeout[];
  thread?: ReaderThread;
  onAbort?: () => void;
  signal?: AbortSignal;
}

interface ReaderThread {
  worker?: Worker;
  /** The worker has opened its reader: a read waiting for a starting one is not stuck. */
  online: boolean;
  running: Map<number, Job>;
  /** Runs a heavy read, which takes the thread alone. */
  heavy: boolean;
  /** Kept for the next heavy read: no new light reads start on it. */
  reserved: boolean;
}

function timedOut(timeoutMs: number): HttpError {
  return new HttpError(504, `the read took longer than ${timeoutMs / 1000}s (--read-timeout) and was stopped; ` +
    'ask for less: a smaller limit, a shorter since/until window, or format=patch for a history');
}

export class ThreadReads implements Reads {
  private readonly options: ReaderOptions;
  private readonly settings: ReadPoolSettings;
  /** Light reads one thread runs at once: one for SQLite (its reads are synchronous), the pool's size for PostgreSQL. */
  private readonly capacity: number;
  private readonly threads: ReaderThread[];
  private readonly light: Job[] = [];
  private readonly heavy: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(where: string | ReaderOptions, settings: ReadPoolSettings = DEFAULT_READ_POOL) {
    const options = typeof where === 'string' ? { path: where } : where;
    this.settings = settings;
    const threads = Math.max(1, settings.threads);
    if (options.postgres) {
      // The reads' connections are shared out between the threads: as many in all as the store's own pool.
      const poolSize = Math.max(1, Math.ceil((options.postgres.poolSize ?? DEFAULT_POOL_SIZE) / threads));
      this.options = { postgres: { ...options.postgres, poolSize } };
      this.capacity = poolSize;
    } else {
      this.options = options;
      this.capacity = 1;
    }
    this.threads = Array.from({ length: threads }, () => ({ running: new Map(), online: false, heavy: false, reserved: false }));
  }

  /** The most threads heavy reads may hold at once: all but one, so light reads always have one. */
  private get maxHeavy(): number {
    return Math.max(1, this.threads.length - 1);
  }

  answer(request: ReadRequest, options: ReadOptions = {}): Promise<ReadAnswer> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    if (options.signal?.aborted) return Promise.reject(new HttpError(503, 'the client has gone'));
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.nextId++, request, heavy: isHeavyRead(request), stop: new Int32Array(new SharedArrayBuffer(4)),
        deadlineMs: Date.now() + this.settings.timeoutMs, done: false, resolve, reject, timers: [],
      };
      job.timers.push(setTimeout(() => this.expire(job), this.settings.timeoutMs));
      if (options.signal) {
        job.signal = options.signal;
        job.onAbort = () => this.stop(job, new HttpError(503, 'the client has gone'));
        options.signal.addEventListener('abort', job.onAbort, { once: true });
      }
      (job.heavy ? this.heavy : this.light).push(job);
      this.dispatch();
    });
  }

  /** Answers the caller now; the thread stops the work at its next check. */
  private stop(job: Job, error: Error): void {
    this.settle(job);
    job.reject(error);
    Atomics.store(job.stop, 0, 1);
    const queue = job.heavy ? this.heavy : this.light;
    const queued = queue.indexOf(job);
    if (queued >= 0) queue.splice(queued, 1);
  }

  private expire(job: Job): void {
    if (job.done) return;
    this.stop(job, timedOut(this.settings.timeoutMs));
    // A read stuck in one long step (a huge blame) never reaches a check: its thread is ended once it has had
    // a while to stop, if no other read runs on it.
    const grace = setTimeout(() => {
      const thread = job.thread;
      if (thread?.online && thread.running.get(job.id) === job && thread.running.size === 1) void this.restart(thread, 'a read passed its deadline');
    }, Math.min(5000, Math.max(1000, this.settings.timeoutMs / 4)));
    grace.unref();
    job.timers.push(grace);
  }

  private settle(job: Job): void {
    job.done = true;
    for (const timer of job.timers.splice(0)) clearTimeout(timer);
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
  }

  private dispatch(): void {
    if (this.closed) return;
    // A heavy read waiting keeps one thread for itself, so a stream of light reads cannot starve it.
    let reserved = this.threads.filter((t) => t.reserved).length;
    for (const thread of this.threads) if (reserved > this.heavy.length && thread.reserved && thread.running.size === 0) { thread.reserved = false; reserved -= 1; }
    while (reserved < this.heavy.length && this.threads.filter((t) => t.heavy || t.reserved).length < this.maxHeavy) {
      const free = this.threads.filter((t) => !t.heavy && !t.reserved).sort((a, b) => a.running.size - b.running.size)[0]!;
      free.reserved = true;
      reserved += 1;
    }
    for (const thread of this.threads) {
      if (thread.reserved && thread.running.size === 0 && this.heavy.length > 0) {
        thread.reserved = false;
        thread.heavy = true;
        this.start(thread, this.heavy.shift()!);
      }
    }
    while (this.light.length > 0) {
      const thread = this.threads.filter((t) => !t.heavy && !t.reserved && t.running.size < this.capacity)
        .sort((a, b) => a.running.size - b.running.size)[0];
      if (!thread) break;
      this.start(thread, this.light.shift()!);
    }
  }

  private start(thread: ReaderThread, job: Job): void {
    job.thread = thread;
    thread.running.set(job.id, job);
    this.workerOf(thread).postMessage({
      id: job.id, request: job.request, stop: job.stop.buffer as SharedArrayBuffer, deadlineMs: job.deadlineMs,
    } satisfies ReaderMessage);
  }

  private finished(thread: ReaderThread, id: number): Job | undefined {
    const job = thread.running.get(id);
    thread.running.delete(id);
    if (thread.running.size === 0) thread.heavy = false;
    return job;
  }

  /** The thread's worker, started on first use and again after it stopped (a bug, out of memory, a stuck read). */
  private workerOf(thread: ReaderThread): Worker {
    if (thread.worker) return thread.worker;
    const here = import.meta.url;
    const url = new URL(here.endsWith('.ts') ? './reader-thread.ts' : './reader-thread.js', here);
    const worker = new Worker(url, { workerData: this.options, resourceLimits: { ...STORE_WORKER_LIMITS, maxOldGenerationSizeMb: READER_HEAP_MB } });
    thread.online = false;
    worker.on('message', (reply: ReaderReply) => {
      if ('ready' in reply) {
        thread.online = true;
        return;
      }
      const job = this.finished(thread, reply.id);
      if (job && !job.done) {
        this.settle(job);
        if ('answer' in reply) job.resolve(reply.answer);
        // The reader may notice the deadline before this thread's timer does: the answer says the same either way.
        else job.reject(reply.error.type === 'http' && reply.error.status === 504 ? timedOut(this.settings.timeoutMs) : readErrorOf(reply.error));
      }
      this.dispatch();
    });
    const stopped = (reason: string) => {
      if (thread.worker !== worker) return;
      thread.worker = undefined;
      this.fail(thread, reason);
    };
    worker.on('error', (error: Error) => stopped(error.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    // Reads alone never keep the process alive.
    worker.unref();
    thread.worker = worker;
    return worker;
  }

  /** Fails the thread's reads and frees it for the next. */
  private fail(thread: ReaderThread, reason: string): void {
    const failure = new StoreError(`the reader stopped: ${reason}`);
    for (const id of [...thread.running.keys()]) {
      const job = this.finished(thread, id)!;
      if (job.done) continue;
      this.settle(job);
      job.reject(failure);
    }
    this.dispatch();
  }

  private async restart(thread: ReaderThread, reason: string): Promise<void> {
    const worker = thread.worker;
    thread.worker = undefined;
    this.fail(thread, reason);
    await worker?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = new StoreError('the store is closed');
    for (const job of [...this.light.splice(0), ...this.heavy.splice(0)]) {
      this.settle(job);
      job.reject(closing);
    }
    await Promise.all(this.threads.map((thread) => {
      const worker = thread.worker;
      thread.worker = undefined;
      for (const job of thread.running.values()) {
        if (job.done) continue;
        this.settle(job);
        job.reject(closing);
      }
      thread.running.clear();
      return worker?.terminate() ?? Promise.resolve();
    }));
  }
}
