// Colour roles for every renderer. Callers decide whether colour is on (NO_COLOR, --no-color, a TTY);
// the renderers only ask for a role, never for a concrete colour, and never read the environment.
import pc from 'picocolors';
import { noColours, type Colours, type Paint } from './colour-roles.ts';

/** The colour roles, painted with ANSI escapes when `enabled`, plain otherwise. */
export function colours(enabled: boolean): Colours {
  if (!enabled) return noColours;
  const c = pc.createColors(enabled);
  const paint = (f: (s: string) => string): Paint => (text) => (text === '' ? '' : f(text));
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
