// One object's history as `GET /api/v1/history` returns it. Pure types.
import type { ChangeEvent, ChangeOperation, ObjectKey, PatchOperation } from '../event.ts';

export const HISTORY_FORMATS = ['json', 'patch', 'diff', 'yaml'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

/**
 * `format=json`: the object and a page of its events, oldest first, each with the whole object after it. A page
 * ends at its `limit` or once its events hold 8 MiB; `continue` is then the token that asks for the next page (every
 * format of the history pages so; the others send it as the `Logistis-Continue` header).
 */
export interface HistoryAnswer {
  object: ObjectKey;
  items: ChangeEvent[];
  /** Absent on the last page. */
  continue?: string;
}

/** The response header that carries the token of a history's next page, in every format. */
export const CONTINUE_HEADER = 'logistis-continue';

/** `format=patch`: one entry per event, oldest first. */
export interface HistoryPatchEntry {
  id: string;
  time: string;
  operation: ChangeOperation;
  user: string;
  patch: PatchOperation[];
}
