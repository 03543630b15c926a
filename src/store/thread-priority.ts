// Background threads (the SQLite writer that the commit log's indexer feeds, the reader threads) yield the core to the
// request thread: on a contended core, Linux gives a thread of niceness 10 about a tenth of the share of one of
// niceness 0, so a burst of indexing or a heavy read does not stall captures (docs/adr/0029-commit-log.md). Raising
// one's own niceness needs no privilege. Linux only; elsewhere, and in a sandbox that forbids it, nothing changes.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

export const BACKGROUND_NICENESS = 10;

/** Lowers the calling thread's priority; returns whether it could. */
export function lowerThreadPriority(niceness = BACKGROUND_NICENESS): boolean {
  try {
    // "<pid>/task/<tid>": the kernel's id of this thread, which setpriority takes for one thread.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    if (!Number.isInteger(tid)) return false;
    setPriority(tid, niceness);
    return true;
  } catch {
    return false;
  }
}
