// Colour roles for every renderer. Callers decide whether colour is on (NO_COLOR, --no-color, a TTY);
// the renderers only ask for a role, never for a concrete colour, and never read the environment.
import pc from 'picocolors';

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

/** The colour roles, painted with ANSI escapes when `enabled`, plain otherwise. */
export function colours(enabled: boolean): Colours {
  const c = pc.createColors(enabled);
  const paint = (f: (s: string) => string): Paint => (enabled ? (text) => (text === '' ? '' : f(text)) : identity);
  const add = paint(c.green);
  const remove = paint(c.red);
  const change = paint(c.yellow);
  return {
    enabled,
    add,
    remove,
    header: paint(c.bold),
    dim: paint(c.dim),
    bold: paint(c.bold),
    user: paint(c.cyan),
    time: paint(c.yellow),
    key: paint(c.bold),
    path: paint(c.blue),
    marker: paint(c.dim),
    operation: (operation) => {
      switch (operation) {
        case 'CREATE':
          return add(operation);
        case 'UPDATE':
          return change(operation);
        case 'DELETE':
          return remove(operation);
        default:
          return operation;
      }
    },
  };
}

/** Plain text: every role is the identity. The default of every renderer. */
export const noColours: Colours = colours(false);
