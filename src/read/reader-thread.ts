// A reader thread: answers reads from its own read-only connection, so decompressing bodies, materialising
// history, blame and serialising never run on the thread that answers captures. A read checks between rows and
// versions whether the request thread asked it to stop or its deadline passed, and then stops.
import { parentPort, workerData } from 'node:worker_threads';
import { HttpError } from '../api/errors.ts';
import { SqliteReader } from '../store/sqlite/sqlite-reader.ts';
import { PostgresReader } from '../store/postgres/postgres-reader.ts';
import { openPool } from '../store/postgres/connection.ts';
import { answerRead } from './answer.ts';
import { describeReadError, type ReaderMessage, type ReaderOptions, type ReaderReply } from './reader-protocol.ts';
import type { ReadControl } from './requests.ts';
import { lowerThreadPriority } from '../store/thread-priority.ts';

const options = workerData as ReaderOptions;
// Captures go first: a heavy read on a contended core takes what the request thread leaves.
lowerThreadPriority();

function openReader(): SqliteReader | PostgresReader {
  if (options.postgres) return new PostgresReader(openPool(options.postgres));
  return SqliteReader.open(options.path!);
}
const reader = openReader();
parentPort!.postMessage({ ready: true } satisfies ReaderReply);

function controlOf(message: ReaderMessage): ReadControl {
  const stop = new Int32Array(message.stop);
  return {
    check: () => {
      // The request thread has already answered the client; this only ends the work.
      if (Atomics.load(stop, 0) !== 0) throw new HttpError(503, 'the read was stopped: its client has gone');
      if (Date.now() > message.deadlineMs) throw new HttpError(504, 'the read passed its deadline');
    },
  };
}

parentPort!.on('message', (message: ReaderMessage) => {
  answerRead(reader, message.request, controlOf(message)).then(
    (answer) => parentPort!.postMessage({ id: message.id, answer } satisfies ReaderReply),
    (error: unknown) => parentPort!.postMessage({ id: message.id, error: describeReadError(error) } satisfies ReaderReply),
  );
});
