// Messages between the request thread and the reader thread, and how an error crosses between them intact.
import { HttpError } from '../api/errors.ts';
import { InvalidQueryError, StoreError } from '../store/types.ts';
import type { ReadAnswer, ReadRequest } from './requests.ts';
import type { PostgresOptions } from '../store/postgres/connection.ts';

export interface ReaderOptions {
  /** The SQLite file to open read-only. */
  path?: string;
  /** Or the PostgreSQL database to read with a pool of the thread's own. */
  postgres?: PostgresOptions;
}

export interface ReaderMessage {
  id: number;
  request: ReadRequest;
  /** An Int32Array's memory shared with the request thread: set to 1 when the read should stop (client gone). */
  stop: SharedArrayBuffer;
  /** Epoch milliseconds past which the read stops by itself. */
  deadlineMs: number;
}

export type CrossingError =
  | { type: 'http'; status: number; message: string }
  | { type: 'query'; parameter: string; message: string }
  | { type: 'store'; message: string }
  | { type: 'other'; message: string };

/** `ready`: the thread has opened its reader (sent once, before any answer). */
export type ReaderReply = { id: number; answer: ReadAnswer } | { id: number; error: CrossingError } | { ready: true };

export function describeReadError(error: unknown): CrossingError {
  if (error instanceof HttpError) return { type: 'http', status: error.statusCode, message: error.message };
  if (error instanceof InvalidQueryError) return { type: 'query', parameter: error.parameter, message: error.message };
  if (error instanceof StoreError) return { type: 'store', message: error.message };
  return { type: 'other', message: error instanceof Error ? error.message : String(error) };
}

/** The error as the request thread's error formatter knows it. */
export function readErrorOf(crossing: CrossingError): Error {
  switch (crossing.type) {
    case 'http':
      return new HttpError(crossing.status, crossing.message);
    case 'query':
      return new InvalidQueryError(crossing.parameter, crossing.message);
    case 'store':
      return new StoreError(crossing.message);
    case 'other':
      return new Error(`read failed: ${crossing.message}`);
  }
}
