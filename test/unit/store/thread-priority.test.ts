// A background thread's niceness is raised for that thread only, never for the request thread beside it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { BACKGROUND_NICENESS } from '../../../src/store/thread-priority.ts';

/** The niceness of one thread, read from /proc (field 19 of stat, after the parenthesised name). */
function nicenessOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe('lowerThreadPriority', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  it('lowers the calling worker thread and leaves the main thread as it was', async () => {
    const mainTid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    const before = nicenessOf(mainTid);
    const source = `
      const { parentPort } = require('node:worker_threads');
      const { readlinkSync } = require('node:fs');
      import(${JSON.stringify(new URL('../../../src/store/thread-priority.ts', import.meta.url).href)}).then(({ lowerThreadPriority }) => {
        const lowered = lowerThreadPriority();
        parentPort.postMessage({ lowered, tid: Number(readlinkSync('/proc/thread-self').split('/').at(-1)) });
        setTimeout(() => {}, 500);
      });`;
    const worker = new Worker(source, { eval: true });
    const { lowered, tid } = await new Promise<{ lowered: boolean; tid: number }>((resolve) => worker.once('message', resolve));
    try {
      assert.equal(lowered, true);
      assert.equal(nicenessOf(tid), BACKGROUND_NICENESS);
      assert.equal(nicenessOf(mainTid), before, 'the main thread keeps its niceness');
    } finally {
      await worker.terminate();
    }
  });
});
