// Stable YAML (and JSON) text of a Kubernetes object, as kubectl prints it.
import { stringify, type ToStringOptions, type CreateNodeOptions, type DocumentOptions, type SchemaOptions, type ScalarTag } from 'yaml';
import { setOwn, type JsonObject } from '../event.ts';
import { isExactNumber } from '../exact-json.ts';

/** Top-level keys in the order kubectl users expect; other keys follow in their own order. */
export const TOP_LEVEL_ORDER: readonly string[] = [
  'apiVersion',
  'kind',
  'metadata',
  'spec',
  'data',
  'stringData',
  'binaryData',
  'type',
];

/**
 * A number kept exactly (exact-json.ts) is written as its digits, a plain YAML number; without this tag it would
 * be written as a map with a `rawJSON` key. Default and without `test`: never written as a tag, never used to read.
 */
const exactNumberTag: ScalarTag = {
  tag: 'tag:logistis.io,2026:exact-number',
  default: true,
  identify: isExactNumber,
  // Never asked: without `test`, no plain scalar is read with this tag.
  resolve: (source) => source,
  stringify: (item) => (isExactNumber(item.value) ? item.value.rawJSON : String(item.value)),
};

/** The options every YAML text in logistis is written with. Exported so blame parses the same text. */
export const YAML_OPTIONS: DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions = {
  version: '1.2',
  // kubectl style: list items at the indentation of their parent key.
  indentSeq: false,
  indent: 2,
  // Never fold long strings (a last-applied-configuration stays on one line).
  lineWidth: 0,
  minContentWidth: 0,
  // The same object twice must be written twice, never as an anchor and an alias.
  aliasDuplicateObjects: false,
  sortMapEntries: false,
  customTags: [exactNumberTag],
};

/**
 * A shallow copy of `obj` with its top-level keys in `TOP_LEVEL_ORDER`, the rest in their original order. Keys are
 * defined (setOwn), so a top-level `__proto__` stays a key.
 */
export function orderKeys(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of TOP_LEVEL_ORDER) {
    if (Object.hasOwn(obj, key)) setOwn(out, key, obj[key]);
  }
  for (const [key, value] of Object.entries(obj)) {
    if (!Object.hasOwn(out, key)) setOwn(out, key, value);
  }
  return out;
}

/** YAML of a Kubernetes object, ending with a newline. */
export function toYaml(obj: JsonObject): string {
  return stringify(orderKeys(obj), YAML_OPTIONS);
}

/** Indented JSON of a Kubernetes object with the same key order as `toYaml`, ending with a newline. */
export function toJson(obj: JsonObject): string {
  return `${JSON.stringify(orderKeys(obj), null, 2)}\n`;
}
