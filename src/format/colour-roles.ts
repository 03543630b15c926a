// The colour roles every renderer asks for, and plain text (every role the identity). Imports no terminal code, so
// views the server renders (the kubectl Table's patch descriptions) can take colours; colour.ts paints the roles.

export type Paint = (text: string) => string;

export interface Colours {
  /** False when every role is the identity function: output is plain text. */
  readonly enabled: boolean;
  /** Added lines and new values. */
  readonly add: Paint;
  /** Removed lines and old values. */
  readonly remove: Paint;
  /** Table header row and the key line of a change header. */
  readonly header: Paint;
  readonly dim: Paint;
  readonly bold: Paint;
  /** Usernames and field managers. */
  readonly user: Paint;
  /** Ages and timestamps. */
  readonly time: Paint;
  /** Object keys such as `namespace/Kind/name`. */
  readonly key: Paint;
  /** JSON pointers in patch descriptions. */
  readonly path: Paint;
  /** Markers: `[...]`, `*`, the blame gutter. */
  readonly marker: Paint;
  /** An operation name (CREATE green, UPDATE yellow, DELETE red, anything else as is). */
  readonly operation: (operation: string) => string;
}

const identity: Paint = (text) => text;

/** Plain text: every role is the identity. The default of every renderer. */
export const noColours: Colours = {
  enabled: false,
  add: identity,
  remove: identity,
  header: identity,
  dim: identity,
  bold: identity,
  user: identity,
  time: identity,
  key: identity,
  path: identity,
  marker: identity,
  operation: identity,
};
