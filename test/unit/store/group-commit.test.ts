import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit, MAX_BATCH } from '../../../src/store/group-commit.ts';
import { StoreError } from '../../../src/store/types.ts';

describe('group commit', () => {
  it('commits what arrives together as one batch, and what arrives during a commit as the next', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const commits = new GroupCommit<number>(async (rows) => {
      batches.push(rows);
      if (batches.length === 1) await new Promise<void>((resolve) => { release = resolve; });
      return 0;
    });
    const first = [commits.add([1]), commits.add([2, 3])];
    await new Promise((resolve) => setImmediate(resolve));
    const second = [commits.add([4]), commits.add([5])];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(batches, [[1, 2, 3]], 'the second group waits for the first commit');
    release();
    await Promise.all([...first, ...second]);
    assert.deepEqual(batches, [[1, 2, 3], [4, 5]]);
  });

  it('keeps a batch within MAX_BATCH rows, but never splits one append', async () => {
    const sizes: number[] = [];
    const commits = new GroupCommit<number>(async (rows) => { sizes.push(rows.length); return 0; });
    await Promise.all([commits.add(new Array<number>(MAX_BATCH - 1).fill(0)), commits.add([1, 2]), commits.add(new Array<number>(MAX_BATCH + 5).fill(0))]);
    assert.deepEqual(sizes, [MAX_BATCH - 1, 2, MAX_BATCH + 5]);
  });

  it('rejects only the failed batch, with a StoreError, and reports committed ones', async () => {
    const reported: [number, number][] = [];
    let calls = 0;
    const commits = new GroupCommit<string>(async (rows) => {
      if (++calls === 1) throw new Error('disk full');
      return rows.length;
    }, (size, _seconds, trimmed) => reported.push([size, trimmed]));
    const failed = commits.add(['a']);
    await assert.rejects(failed, (error: Error) => error instanceof StoreError && error.message === 'commit failed: disk full');
    await commits.add(['b', 'c']);
    assert.deepEqual(reported, [[2, 2]]);
  });

  it('drains everything queued', async () => {
    const committed: number[] = [];
    const commits = new GroupCommit<number>(async (rows) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      committed.push(...rows);
      return 0;
    });
    void commits.add([1]);
    void commits.add([2]);
    await commits.drain();
    assert.deepEqual(committed, [1, 2]);
  });
});
