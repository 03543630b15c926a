// The blame of one object, as `GET /api/v1/blame` returns it and kubectl-blame prints it: each line of the
// object's YAML with the change that last set it. Pure types.
import type { JsonObject, ObjectKey } from '../event.ts';
import type { ChangeSummary } from '../history/past.ts';

export interface BlameAuthor {
  /** The user of the recorded change, or the field manager for `source: 'managedFields'`. */
  username: string;
  /** RFC 3339; for managedFields, the manager's last write to the object (not necessarily to this field). */
  time: string;
  /** The recorded change, for `source: 'logistis'`. */
  eventId?: string;
  source: 'logistis' | 'managedFields';
  /** The change's operation (CREATE/UPDATE), or the managedFields operation (Apply/Update). */
  operation?: string;
  /** The field manager: the change's fieldManager, or the managedFields manager. */
  manager?: string;
}

export interface BlameLine {
  /** One line of the object's YAML, without the newline. */
  text: string;
  /** JSON Pointer of the field (or list item) the line shows. */
  path: string;
  /** Null when neither the history nor managedFields says who set the field. */
  author: BlameAuthor | null;
}

export interface BlameResult {
  lines: BlameLine[];
}

/** `GET /api/v1/blame`: the object asked for and its blamed lines. */
export interface BlameAnswer extends BlameResult {
  object: ObjectKey;
  /** The newest change that made a state of the object (its deletion, when it was deleted). */
  newest?: ChangeSummary;
  /** The object after it: what the lines show, and what a client compares the live object with. */
  state?: JsonObject;
  /**
   * Set when the history was too large to read whole (its events hold more than 8 MiB): the blame read the newest
   * events, from this one on, and a line last set before it has no author.
   */
  partialFrom?: string;
}
