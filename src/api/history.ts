// One object's history and its past as the read APIs serve them (`/api/v1/history`, `/state`, `/revert`, and
// the aggregated API's `changes?view=…`). Pure types; the rules behind them are in src/history/past.ts.
import type { ChangeEvent, ChangeOperation, JsonObject, ObjectKey, PatchOperation } from '../event.ts';
import type { ChangeSummary, RefusalReason } from '../history/past.ts';

export type { ChangeSummary, RefusalReason };

export const HISTORY_FORMATS = ['json', 'patch', 'diff', 'yaml'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

/**
 * An event of a history, with the event whose object was the state before it (none for a creation or when
 * unknown), and whether it made a state of the object at all (a denied attempt, a CONNECT or a change the watch
 * found not applied did not: it is shown, never reverted to or diffed against).
 */
export type HistoryEntry = ChangeEvent & { previousId?: string; madeState: boolean };

/**
 * `format=json`: the object and a page of its events, oldest first, each with the whole object after it. A page
 * ends at its `limit` or once its events hold 8 MiB; `continue` is then the token that asks for the next page (every
 * format of the history pages so; the others send it as the `Logistis-Continue` header).
 */
export interface HistoryAnswer {
  object: ObjectKey;
  items: HistoryEntry[];
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

/** Why an answer about the past has no object, in words for the person who asked. */
export interface Refusal {
  reason: RefusalReason;
  message: string;
  /** What to run instead, when there is something (deleting, to revert a creation). */
  command?: string;
}

/** The views of one object's past that the server answers, by the name the aggregated API's `view` takes. */
export const PAST_VIEWS = ['blame', 'state', 'revert'] as const;
export type PastView = (typeof PAST_VIEWS)[number];

/** `GET /api/v1/state?at=`: the object as it was at a time, or why there is none. */
export interface StateAnswer {
  kind: 'ObjectState';
  object: ObjectKey;
  /** RFC 3339, the time asked for. */
  at: string;
  /** The object after the last change at or before `at`, as recorded (Secret values as fingerprints). */
  state?: JsonObject;
  /** The last change at or before `at` (the deletion, when the object was deleted), or the first one recorded. */
  change?: ChangeSummary;
  refused?: Refusal;
}

/** `GET /api/v1/revert?change=`: the manifest that restores the object as it was before a change, or why not. */
export interface RevertAnswer {
  kind: 'Revert';
  object: ObjectKey;
  /** The change to revert; absent when it is not in the object's recorded past. */
  change?: ChangeSummary;
  /** Ready for `kubectl apply -f -`: no status, uid, resourceVersion or managedFields. */
  manifest?: JsonObject;
  /** Later changes the manifest undoes too, oldest first. */
  later: ChangeSummary[];
  refused?: Refusal;
}
