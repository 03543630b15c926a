// The reader thread: answers reads from its own read-only connection, so decompressing bodies, materialising
// history, blame and serialising never run on the thread that answers captures.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteReader } from '../store/sqlite/sqlite-reader.ts';
import { PostgresReader } from '../store/postgres/postgres-reader.ts';
import { openPool } from '../store/postgres/connection.ts';
import { answerRead } from './answer.ts';
import { describeReadError, type ReaderMessage, type ReaderOptions, type ReaderReply } from './reader-protocol.ts';

const options = workerData as ReaderOptions;

function openReader(): SqliteReader | PostgresReader {
  if (options.postgres) return new PostgresReader(openPool(options.postgres));
  return SqliteReader.open(options.path!);
}
const reader = openReader();

parentPort!.on('message', (message: ReaderMessage) => {
  answerRead(reader, message.request).then(
    (answer) => parentPort!.postMessage({ id: message.id, answer } satisfies ReaderReply),
    (error: unknown) => parentPort!.postMessage({ id: message.id, error: describeReadError(error) } satisfies ReaderReply),
  );
});
