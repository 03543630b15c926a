// git blame for a Kubernetes object: each line of its YAML attributed to the recorded change that last
// set that field, falling back to the field's owner in metadata.managedFields for fields no recorded
// change explains (history that starts after the field was set).
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { BlameAuthor, BlameResult } from '../api/field-blame.ts';
import { isObject, type ChangeEvent, type JsonObject, type PatchOperation } from '../event.ts';
import { copyJson } from '../exact-json.ts';
import { toYaml, YAML_OPTIONS } from '../format/yaml.ts';
import { arrayIndex, formatPointer, parsePointer } from '../history/pointer.ts';
import { changedState, chronologicalOrder } from '../history/walk.ts';
import { fieldOwner, managedFieldsOf } from './managed-fields.ts';

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

function nodeAt(root: BNode, tokens: readonly string[]): BNode | undefined {
  let cur: BNode | undefined = root;
  for (const token of tokens) {
    if (cur === undefined) return undefined;
    if (cur.t === 'object') cur = cur.children.get(token);
    else if (cur.t === 'array') {
      const i = arrayIndex(token, cur.items.length, false);
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
    const i = arrayIndex(last, parent.items.length, mode === 'add');
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
    const i = arrayIndex(last, parent.items.length, false);
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
  const copy = copyJson(obj);
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
  // The text comes from a JSON object, whose keys are unique: checking them again costs time quadratic in the
  // number of keys of a map (seconds for a ConfigMap of 20,000 keys), so the parser is told not to.
  visit(parseDocument(text, { ...YAML_OPTIONS, uniqueKeys: false }).contents, []);
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
export function blameObject(recorded: readonly ChangeEvent[], current?: JsonObject, options: BlameOptions = {}): BlameResult {
  const history = recorded.filter(changedState);
  const hidden = options.hidden ?? BLAME_HIDDEN_PATHS;
  const order = chronologicalOrder(history);
  const newest = order.length > 0 ? history[order[order.length - 1]!] : undefined;
  const source = current ?? newest?.object;
  if (source === undefined) return { lines: [] };
  const shown = withoutHidden(source, hidden);
  // Reconcile with what is shown: a difference from the last recorded state was made outside the history.
  return blameLines(reconcile(blameTree(history) ?? build({}, null), shown, null), shown, current);
}

/**
 * `blameObject(history, current)` from what the server answers instead of the history: the recorded blame (the
 * lines of `blameObject(history)`) and the newest recorded object. Each field keeps the author its line names
 * while `current` still holds the recorded value; what differs was changed outside the history, and its owner
 * comes from `current`'s managedFields. Without `current`, the recorded blame is the answer.
 */
export function blameAgainst(recorded: BlameResult, newest: JsonObject | undefined, current: JsonObject | undefined, options: BlameOptions = {}): BlameResult {
  if (current === undefined) return recorded;
  const hidden = options.hidden ?? BLAME_HIDDEN_PATHS;
  const tree = build(newest === undefined ? {} : withoutHidden(newest, hidden), null);
  for (const line of recorded.lines) {
    const node = nodeAt(tree, parsePointer(line.path));
    if (node !== undefined && line.path !== '') node.author = line.author;
  }
  const shown = withoutHidden(current, hidden);
  return blameLines(reconcile(tree, shown, null), shown, current);
}

/** The YAML lines of `shown`, each with its author from the tree, or from `current`'s managedFields. */
function blameLines(tree: BNode, shown: JsonObject, current: JsonObject | undefined): BlameResult {
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
