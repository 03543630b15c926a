// git blame for a Kubernetes object: each line of its YAML attributed to the recorded change that last
// set that field, falling back to the field's owner in metadata.managedFields for fields no recorded
// change explains (history that starts after the field was set).
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { isObject, type ChangeEvent, type ChangeOperation, type JsonObject, type PatchOperation } from '../event.ts';
import { noColours, type Colours } from '../format/colour.ts';
import { relativeTime } from '../format/diff.ts';
import { chronologicalOrder } from '../format/patch.ts';
import { formatPointer, parsePointer } from '../format/pointer.ts';
import { displayWidth, padEnd, padStart, printable, truncate, truncateMiddle, wrap } from '../format/text.ts';
import { toYaml, YAML_OPTIONS } from '../format/yaml.ts';
import { fieldOwner, managedFieldsOf } from './managed-fields.ts';

export interface BlameAuthor {
  /** The user of the recorded change, or the field manager for `source: 'managedFields'`. */
  username: string;
  /** RFC 3339; for managedFields, the manager's last write to the object (not necessarily to this field). */
  time: string;
  /** The recorded change, for `source: 'logistis'`. */
  eventId?: string;
  source: 'logistis' | 'managedFields';
  /** The change's operation (CREATE/UPDATE), or the managedFields operation (Apply/Update). */
  operation?: ChangeOperation | string;
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

/** Fields never shown in a blame: noise no human changed, as normalising removes it from events. */
export const BLAME_HIDDEN_PATHS: readonly string[] = [
  '/metadata/managedFields',
  '/metadata/resourceVersion',
  '/metadata/generation',
  '/metadata/selfLink',
  '/status',
];

export interface BlameOptions {
  /** JSON Pointers left out of the displayed object. Default `BLAME_HIDDEN_PATHS`. */
  hidden?: readonly string[];
}

// ---------------------------------------------------------------------------------------------------
// The blame tree: the object's shape, each node carrying the author that last set it.

type Author = BlameAuthor | null;
type BNode =
  | { t: 'scalar'; author: Author; value: unknown }
  | { t: 'object'; author: Author; children: Map<string, BNode> }
  | { t: 'array'; author: Author; items: BNode[] };

function build(value: unknown, author: Author): BNode {
  if (Array.isArray(value)) return { t: 'array', author, items: value.map((v) => build(v, author)) };
  if (isObject(value)) {
    return { t: 'object', author, children: new Map(Object.entries(value).map(([k, v]) => [k, build(v, author)])) };
  }
  return { t: 'scalar', author, value };
}

function valueOf(node: BNode): unknown {
  if (node.t === 'scalar') return node.value;
  if (node.t === 'array') return node.items.map(valueOf);
  return Object.fromEntries([...node.children].map(([k, v]) => [k, valueOf(v)]));
}

function indexOf(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i < length || (allowEnd && i === length) ? i : undefined;
}

function nodeAt(root: BNode, tokens: readonly string[]): BNode | undefined {
  let cur: BNode | undefined = root;
  for (const token of tokens) {
    if (cur === undefined) return undefined;
    if (cur.t === 'object') cur = cur.children.get(token);
    else if (cur.t === 'array') {
      const i = indexOf(token, cur.items.length, false);
      cur = i === undefined ? undefined : cur.items[i];
    } else return undefined;
  }
  return cur;
}

class DoesNotFit extends Error {}

function parentAt(root: BNode, tokens: readonly string[]): BNode {
  const parent = nodeAt(root, tokens.slice(0, -1));
  if (parent === undefined || parent.t === 'scalar') throw new DoesNotFit(formatPointer(tokens));
  return parent;
}

function put(root: BNode, tokens: readonly string[], node: BNode, mode: 'add' | 'replace'): BNode {
  if (tokens.length === 0) return node;
  const parent = parentAt(root, tokens);
  const last = tokens[tokens.length - 1]!;
  if (parent.t === 'array') {
    const i = indexOf(last, parent.items.length, mode === 'add');
    if (i === undefined) throw new DoesNotFit(formatPointer(tokens));
    if (mode === 'add') parent.items.splice(i, 0, node);
    else parent.items[i] = node;
  } else if (parent.t === 'object') {
    if (mode === 'replace' && !parent.children.has(last)) throw new DoesNotFit(formatPointer(tokens));
    parent.children.set(last, node);
  }
  return root;
}

function take(root: BNode, tokens: readonly string[]): BNode {
  if (tokens.length === 0) throw new DoesNotFit('cannot remove the whole object');
  const parent = parentAt(root, tokens);
  const last = tokens[tokens.length - 1]!;
  if (parent.t === 'array') {
    const i = indexOf(last, parent.items.length, false);
    if (i === undefined) throw new DoesNotFit(formatPointer(tokens));
    return parent.items.splice(i, 1)[0]!;
  }
  if (parent.t === 'object') {
    const node = parent.children.get(last);
    if (node === undefined) throw new DoesNotFit(formatPointer(tokens));
    parent.children.delete(last);
    return node;
  }
  throw new DoesNotFit(formatPointer(tokens));
}

/** Applies one operation to the blame tree: what it sets (and everything under it) gets `author`. */
function applyOp(root: BNode, op: PatchOperation, author: Author): BNode {
  const tokens = parsePointer(op.path);
  switch (op.op) {
    case 'add':
      return put(root, tokens, build(op.value, author), 'add');
    case 'replace':
      return put(root, tokens, build(op.value, author), 'replace');
    case 'remove':
      take(root, tokens);
      return root;
    case 'move': {
      const moved = take(root, parsePointer(op.from));
      return put(root, tokens, build(valueOf(moved), author), 'add');
    }
    case 'copy': {
      const from = nodeAt(root, parsePointer(op.from));
      if (from === undefined) throw new DoesNotFit(op.from);
      return put(root, tokens, build(valueOf(from), author), 'add');
    }
    default:
      return root;
  }
}

/** Attributes `node` and everything under it to `author`. */
function mark(node: BNode, author: Author): void {
  node.author = author;
  if (node.t === 'object') for (const child of node.children.values()) mark(child, author);
  else if (node.t === 'array') for (const item of node.items) mark(item, author);
}

/**
 * Makes the tree match `value`: nodes that agree keep their author; what differs or is new gets
 * `author`; what is gone is dropped.
 */
function reconcile(node: BNode, value: unknown, author: Author): BNode {
  if (Array.isArray(value) && node.t === 'array') {
    node.items = value.map((v, i) => (i < node.items.length ? reconcile(node.items[i]!, v, author) : build(v, author)));
    return node;
  }
  if (isObject(value) && node.t === 'object') {
    const children = new Map<string, BNode>();
    for (const [k, v] of Object.entries(value)) {
      const child = node.children.get(k);
      children.set(k, child === undefined ? build(v, author) : reconcile(child, v, author));
    }
    node.children = children;
    return node;
  }
  if (node.t === 'scalar' && !isObject(value) && !Array.isArray(value) && isDeepStrictEqual(node.value, value)) return node;
  return build(value, author);
}

function authorOf(event: ChangeEvent): BlameAuthor {
  const author: BlameAuthor = {
    username: event.user.username,
    time: event.time,
    eventId: event.id,
    source: 'logistis',
    operation: event.operation,
  };
  if (event.fieldManager) author.manager = event.fieldManager;
  return author;
}

/** Marks the subtrees that the given operations set, found in the tree after them (best effort). */
function markOps(root: BNode, ops: readonly PatchOperation[], author: Author): void {
  for (const op of ops) {
    if (op.op !== 'add' && op.op !== 'replace' && op.op !== 'move' && op.op !== 'copy') continue;
    const node = nodeAt(root, parsePointer(op.path));
    if (node !== undefined) mark(node, author);
  }
}

/** Walks the history (oldest first) into a blame tree of the last state. */
function blameTree(history: readonly ChangeEvent[]): BNode | undefined {
  let root: BNode | undefined;
  for (const i of chronologicalOrder(history)) {
    const event = history[i]!;
    const author = authorOf(event);
    if (event.operation === 'CREATE') {
      root = build(event.object, author);
      continue;
    }
    if (root === undefined) {
      // The history starts after the object was created: what this event's patch set is known,
      // everything else is not (yet).
      root = build(event.object, null);
      if (event.operation !== 'DELETE') markOps(root, event.patch, author);
      continue;
    }
    if (event.operation === 'DELETE') continue;
    let failedAt = -1;
    for (let k = 0; k < event.patch.length; k++) {
      try {
        root = applyOp(root, event.patch[k]!, author);
      } catch (err) {
        if (!(err instanceof DoesNotFit)) throw err;
        failedAt = k;
        break;
      }
    }
    // Whatever the patch does not explain (a change missing from the history) is unknown.
    root = reconcile(root, event.object, null);
    if (failedAt >= 0) markOps(root, event.patch.slice(failedAt), author);
  }
  return root;
}

// ---------------------------------------------------------------------------------------------------
// The YAML text, one path per line.

function withoutHidden(obj: JsonObject, hidden: readonly string[]): JsonObject {
  const copy = structuredClone(obj);
  for (const pointer of hidden) {
    const tokens = parsePointer(pointer);
    if (tokens.length === 0) continue;
    let parent: unknown = copy;
    for (const t of tokens.slice(0, -1)) parent = isObject(parent) ? parent[t] : undefined;
    if (isObject(parent)) delete parent[tokens[tokens.length - 1]!];
  }
  return copy;
}

/** For each line of `text` (YAML as `toYaml` writes it), the reference tokens of the field it shows. */
export function linePaths(text: string): string[][] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  if (text.endsWith('\n')) starts.pop();
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const paths: string[][] = starts.map(() => []);
  const assign = (from: number, to: number, path: string[]): void => {
    for (let l = lineOf(from); l <= lineOf(Math.max(from, to - 1)); l++) paths[l] = path;
  };
  const visit = (node: unknown, path: string[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as YamlNode | null;
        const name = isScalar(key) ? String(key.value) : String(key);
        const childPath = [...path, name];
        const value = pair.value as YamlNode | null;
        if (key?.range) assign(key.range[0], key.range[1], childPath);
        if (value?.range) {
          if (isMap(value) || isSeq(value)) {
            if (value.flow) assign(value.range[0], value.range[1], childPath);
            else visit(value, childPath);
          } else {
            assign(value.range[0], value.range[1], childPath);
          }
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const childPath = [...path, String(i)];
        const n = item as YamlNode | null;
        if (!n?.range) return;
        if ((isMap(n) || isSeq(n)) && !n.flow) {
          // The `- ` line belongs to the item; the first key on it then claims it (the deeper path).
          assign(n.range[0], n.range[0] + 1, childPath);
          visit(n, childPath);
        } else {
          assign(n.range[0], n.range[1], childPath);
        }
      });
    }
  };
  visit(parseDocument(text, YAML_OPTIONS).contents, []);
  return paths;
}

/**
 * Blames each line of the object's YAML on the change that last set it. `history` is one object's
 * events (oldest first; newest first is accepted). `current` is the live object, if known: it is what is
 * shown, and its `metadata.managedFields` name the owners of fields that no recorded change explains
 * (`source: 'managedFields'`). Without `current`, the last event's object is shown. Hidden fields
 * (managedFields, resourceVersion, generation, selfLink, status) are never shown.
 *
 * `current` must be normalised and redacted like the recorded objects (a Secret's data as
 * fingerprints), or every value that differs from the history counts as changed outside it.
 */
export function blameObject(history: readonly ChangeEvent[], current?: JsonObject, options: BlameOptions = {}): BlameResult {
  const hidden = options.hidden ?? BLAME_HIDDEN_PATHS;
  const order = chronologicalOrder(history);
  const newest = order.length > 0 ? history[order[order.length - 1]!] : undefined;
  const source = current ?? newest?.object;
  if (source === undefined) return { lines: [] };
  const shown = withoutHidden(source, hidden);
  // Reconcile with what is shown: a difference from the last recorded state was made outside the history.
  const tree = reconcile(blameTree(history) ?? build({}, null), shown, null);
  const entries = managedFieldsOf(current);
  const text = toYaml(shown);
  const paths = linePaths(text);
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return {
    lines: lines.map((line, i) => {
      const tokens = paths[i] ?? [];
      let author = nodeAt(tree, tokens)?.author ?? null;
      if (author === null && current !== undefined) {
        const owner = fieldOwner(current, tokens, entries);
        if (owner) {
          author = {
            username: owner.manager,
            time: owner.time,
            source: 'managedFields',
            operation: owner.operation,
            manager: owner.manager,
          };
        }
      }
      return { text: line, path: formatPointer(tokens), author };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Rendering.

export interface RenderBlameOptions {
  now: Date | number | string;
  colours?: Colours;
  /** Terminal width: longer lines are cut with `…`. Default: never cut. */
  width?: number;
  /**
   * Widest the author column gets; longer names lose their middle to `…`. Default 40; with a `width`,
   * 35% of it (at least 12, at most 32).
   */
  maxAuthorWidth?: number;
}

export const MANAGED_FIELDS_MARK = '*';
export const UNKNOWN_AUTHOR = '?';

/**
 * git-blame style lines: `alice          35m │ replicas: 3`. Authors taken from managedFields are marked
 * `kubectl-edit*`, unknown ones `?`; a footnote below explains the marks that were used.
 */
export function renderBlame(result: BlameResult, options: RenderBlameOptions): string[] {
  const c = options.colours ?? noColours;
  const maxAuthor = Math.max(
    4,
    options.maxAuthorWidth ?? (options.width === undefined ? 40 : Math.min(32, Math.max(12, Math.floor(options.width * 0.35)))),
  );
  const names = result.lines.map((l) =>
    l.author === null ? UNKNOWN_AUTHOR : printable(l.author.username) + (l.author.source === 'managedFields' ? MANAGED_FIELDS_MARK : ''),
  );
  const authorWidth = Math.min(maxAuthor, Math.max(1, ...names.map(displayWidth)));
  const ages = result.lines.map((l) => (l.author && l.author.time ? relativeTime(l.author.time, options.now) : ''));
  const ageWidth = Math.max(3, ...ages.map(displayWidth));
  let anyManaged = false;
  let anyUnknown = false;
  const out = result.lines.map((l, i) => {
    let who: string;
    if (l.author === null) {
      anyUnknown = true;
      who = c.dim(UNKNOWN_AUTHOR);
    } else if (l.author.source === 'managedFields') {
      anyManaged = true;
      who = c.user(truncateMiddle(printable(l.author.username), authorWidth - 1)) + c.marker(MANAGED_FIELDS_MARK);
    } else {
      who = c.user(truncateMiddle(printable(l.author.username), authorWidth));
    }
    const line = `${padEnd(who, authorWidth)} ${padStart(c.time(ages[i]!), ageWidth)} ${c.marker('│')} ${printable(l.text)}`;
    return options.width === undefined ? line.trimEnd() : truncate(line.trimEnd(), options.width);
  });
  const note = (text: string): string[] =>
    (options.width === undefined ? [text] : wrap(text, options.width)).map((l) => c.dim(l));
  if (anyManaged || anyUnknown) out.push('');
  if (anyManaged) {
    out.push(
      ...note(
        `${MANAGED_FIELDS_MARK} from metadata.managedFields, as no recorded change set the field: its field manager, ` +
          'and when that manager last wrote to the object',
      ),
    );
  }
  if (anyUnknown) out.push(...note(`${UNKNOWN_AUTHOR} not set by a recorded change, and owned by no field manager`));
  return out;
}
