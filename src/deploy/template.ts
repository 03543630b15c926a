// The templates of deploy/ (webhook registration, APIService) rendered as YAML documents: each
// `{{ .Values.<path> | toJson }}` placeholder, which YAML reads as a nested flow map, replaced by its value's node.
// The Helm chart renders the same files with `tpl`; any other `{{ }}` is refused, so both renderers agree.
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document, type YAMLMap } from 'yaml';

const PLACEHOLDER = /^\.Values\.([A-Za-z0-9_.]+)\s*\|\s*toJson$/;
const ONLY_PLACEHOLDERS = 'only "{{ .Values.<path> | toJson }}" placeholders are supported';

/** The text between `{{` and `}}` when `node` is what YAML makes of `{{ text }}`, else null. */
function placeholderText(node: YAMLMap): string | null {
  if (!node.flow || node.items.length !== 1) return null;
  const [pair] = node.items;
  if (!pair || pair.value !== null || !isMap(pair.key) || !pair.key.flow || pair.key.items.length !== 1) return null;
  const [inner] = pair.key.items;
  if (!inner || inner.value !== null || !isScalar(inner.key)) return null;
  return String(inner.key.value);
}

function valueAt(values: object, path: string): unknown {
  let value: unknown = values;
  for (const key of path.split('.')) {
    value = value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/**
 * Parses `template` and puts each placeholder's value from `values` in its place, keeping the comments.
 * `what` names the template in errors, e.g. "webhook template".
 */
export function renderTemplate(template: string, values: object, what = 'template'): Document {
  const lines = new LineCounter();
  const document = parseDocument(template, { lineCounter: lines });
  const [error] = document.errors;
  if (error) throw new Error(`${what} line ${error.linePos?.[0].line ?? '?'}: not YAML (${ONLY_PLACEHOLDERS}): ${error.message.split('\n')[0]}`);
  const filled = new WeakSet<object>();
  visit(document, {
    // A value put in is not template text: its strings may hold anything.
    Seq: (_key, node) => (filled.has(node) ? visit.SKIP : undefined),
    Scalar(_key, node) {
      if (filled.has(node)) return undefined;
      if (typeof node.value === 'string' && node.value.includes('{{')) {
        throw new Error(`${what} line ${lines.linePos(node.range?.[0] ?? 0).line}: a placeholder must be a whole value (${ONLY_PLACEHOLDERS})`);
      }
      return undefined;
    },
    Map(_key, node) {
      if (filled.has(node)) return visit.SKIP;
      const text = placeholderText(node);
      if (text === null) return undefined;
      const line = lines.linePos(node.range?.[0] ?? 0).line;
      const path = PLACEHOLDER.exec(text.trim())?.[1];
      if (path === undefined) throw new Error(`${what} line ${line}: ${ONLY_PLACEHOLDERS}, not "{{ ${text.trim()} }}"`);
      const value = valueAt(values, path);
      if (value === undefined) throw new Error(`${what} line ${line}: no value for .Values.${path}`);
      const filling = document.createNode(value);
      filled.add(filling);
      return filling;
    },
  });
  return document;
}
