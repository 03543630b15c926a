// Reads answered on a reader thread with its own read-only SQLite connection. The request thread only parses
// the query, checks access and sends the text that comes back.
import { Worker } from 'node:worker_threads';
import { STORE_WORKER_LIMITS, StoreError } from '../store/types.ts';
import { readErrorOf, type ReaderMessage, type ReaderOptions, type ReaderReply } from './reader-protocol.ts';
import type { ReadAnswer, ReadRequest, Reads } from './requests.ts';

interface Waiting {
  resolve(answer: ReadAnswer): void;
  reject(error: Error): void;
}

export class ThreadReads implements Reads {
  private readonly options: ReaderOptions;
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;

  constructor(where: string | ReaderOptions) {
    this.options = typeof where === 'string' ? { path: where } : where;
  }

  /** The reader thread, started on first use and again after it stopped (a bug, out of memory). */
  private thread(): Worker {
    if (this.worker) return this.worker;
    const here = import.meta.url;
    const url = new URL(here.endsWith('.ts') ? './reader-thread.ts' : './reader-thread.js', here);
    const worker = new Worker(url, { workerData: this.options, resourceLimits: STORE_WORKER_LIMITS });
    worker.on('message', (reply: ReaderReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if ('answer' in reply) waiter?.resolve(reply.answer);
      else waiter?.reject(readErrorOf(reply.error));
    });
    const stopped = (reason: string) => {
      if (this.worker === worker) this.worker = undefined;
      const failure = new StoreError(`the reader stopped: ${reason}`);
      for (const waiter of this.waiting.values()) waiter.reject(failure);
      this.waiting.clear();
    };
    worker.on('error', (error) => stopped(error.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    // Reads alone never keep the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  answer(request: ReadRequest): Promise<ReadAnswer> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.thread().postMessage({ id, request } satisfies ReaderMessage);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
