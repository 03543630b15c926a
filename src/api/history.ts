// One object's history as `GET /api/v1/history` returns it. Pure types.
import type { ChangeEvent, ChangeOperation, ObjectKey, PatchOperation } from '../event.ts';

export const HISTORY_FORMATS = ['json', 'patch', 'diff', 'yaml'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

/** `format=json`: the object and its events, oldest first, each with the whole object after it. */
export interface HistoryAnswer {
  object: ObjectKey;
  items: ChangeEvent[];
}

/** `format=patch`: one entry per event, oldest first. */
export interface HistoryPatchEntry {
  id: string;
  time: string;
  operation: ChangeOperation;
  user: string;
  patch: PatchOperation[];
}
