// Numbers a double would change are kept exactly from the parse to every view: patches, normalising, redaction,
// the depth limit, copies, YAML/JSON text, diffs, blame and the provenance hash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { copyJson, holdsExactNumber, isExactNumber, parseJson } from '../../../src/exact-json.ts';
import { isObject, type ChangeEvent, type JsonObject } from '../../../src/event.ts';
import { applyPatch, computePatch, walkPatch } from '../../../src/history/patch.ts';
import { materialiseHistory } from '../../../src/history/walk.ts';
import { normaliseObject, DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';
import { redactSecret, LAST_APPLIED_ANNOTATION } from '../../../src/admission/redact.ts';
import { limitDepth } from '../../../src/admission/depth.ts';
import { toJson, toYaml } from '../../../src/format/yaml.ts';
import { renderDiff } from '../../../src/format/diff.ts';
import { describePatch } from '../../../src/format/patch.ts';
import { blameObject } from '../../../src/field-blame/field-blame.ts';
import { contentHash } from '../../../src/provenance/content.ts';
import { compileCel } from '../../../src/rules/cel.ts';

/** Numbers JSON.parse changes: each must come back with these very digits. */
const INEXACT = ['9007199254740993', '-9007199254740993', '1e400', '123456789012345678901234567890', '0.1000000000000000055511151231257827'];
/** Numbers a double keeps: they stay plain numbers. */
const ORDINARY = ['0', '-1', '42', '1.5', '0.1', '-0.25', '9007199254740991', '9007199254740992', '1e21', '1.5e-7', '3.14159', '100000000000000000000'];

const parse = (text: string): JsonObject => parseJson(text) as JsonObject;

describe('parseJson', () => {
  for (const number of INEXACT) {
    it(`keeps ${number} as sent, in an object, a list and alone`, () => {
      const text = `{"spec":{"n":${number},"list":[1,${number},"x"]}}`;
      const parsed = parse(text);
      assert.equal(JSON.stringify(parsed), text);
      assert.ok(isExactNumber((parsed['spec'] as JsonObject)['n']));
      assert.equal(JSON.stringify(parseJson(number)), number);
      assert.equal(JSON.stringify(parseJson(` [ ${number} ] `)), `[${number}]`);
    });
  }
  it('leaves numbers a double keeps as plain numbers, equal to JSON.parse', () => {
    for (const number of ORDINARY) {
      const text = `{"n":${number},"list":[${number}]}`;
      assert.deepEqual(parseJson(text), JSON.parse(text), number);
      assert.equal(typeof (parse(text)['n']), 'number', number);
    }
  });
  it('reads digits inside strings as strings', () => {
    const text = '{"uid":"6f1e2d3c-1e5a-4b6c-9007-199254740993","note":"x:9007199254740993","s":"1e400"}';
    assert.deepEqual(parseJson(text), JSON.parse(text));
  });
  it('keeps __proto__ as an own key on the exact path too', () => {
    const parsed = parse('{"__proto__":{"n":9007199254740993},"a":{"__proto__":1e400}}');
    assert.deepEqual(Object.keys(parsed), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.equal(JSON.stringify(parsed), '{"__proto__":{"n":9007199254740993},"a":{"__proto__":1e400}}');
  });
  it('throws JSON.parse\'s SyntaxError for bad JSON', () => {
    assert.throws(() => parseJson('{"n":9007199254740993,}'), SyntaxError);
    assert.throws(() => parseJson('{"n":1,}'), SyntaxError);
  });
});

describe('an exact number is a value, never an object', () => {
  const n = parse('{"n":9007199254740993}')['n'];
  it('isObject says no; a plain object with a rawJSON key is an object and no exact number', () => {
    assert.equal(isObject(n), false);
    assert.equal(isExactNumber({ rawJSON: '9007199254740993' }), false);
    assert.equal(isObject({ rawJSON: '9007199254740993' }), true);
  });
  it('copyJson shares it and keeps __proto__ keys; holdsExactNumber finds it at any depth', () => {
    const source = parse('{"__proto__":{"deep":[{"n":9007199254740993}]}}');
    const copy = copyJson(source);
    assert.equal(JSON.stringify(copy), JSON.stringify(source));
    assert.notEqual(copy['__proto__'], source['__proto__']);
    assert.ok(holdsExactNumber(source));
    assert.ok(!holdsExactNumber(JSON.parse('{"a":[{"b":1}]}')));
    assert.throws(() => structuredClone(source), /could not be cloned/, 'structuredClone is why copyJson exists');
  });
});

describe('patches between objects holding exact numbers', () => {
  const before = parse('{"spec":{"count":9007199254740993,"ratio":0.1000000000000000055511151231257827,"free":{"big":123456789012345678901234567890}}}');
  it('equal numbers give no operation', () => {
    assert.deepEqual(computePatch(before, parse(JSON.stringify(before))), []);
  });
  it('a changed number gives a replace of the field with the exact new value', () => {
    const after = parse('{"spec":{"count":9007199254740995,"ratio":0.1000000000000000055511151231257827,"free":{"big":123456789012345678901234567890}}}');
    const patch = computePatch(before, after);
    assert.equal(JSON.stringify(patch), '[{"op":"replace","path":"/spec/count","value":9007199254740995}]');
  });
  it('numbers that differ only beyond a double\'s precision still differ', () => {
    const after = parse('{"spec":{"count":9007199254740992,"ratio":0.1,"free":{"big":123456789012345678901234567891}}}');
    const paths = computePatch(before, after).map((op) => `${op.op} ${op.path}`).sort();
    assert.deepEqual(paths, ['replace /spec/count', 'replace /spec/free/big', 'replace /spec/ratio']);
  });
  it('a plain object {"rawJSON": digits} in place of the number is a change', () => {
    const after = parse('{"spec":{"count":{"rawJSON":"9007199254740993"},"ratio":0.1000000000000000055511151231257827,"free":{"big":123456789012345678901234567890}}}');
    const patch = computePatch(before, after);
    assert.equal(JSON.stringify(patch), '[{"op":"replace","path":"/spec/count","value":{"rawJSON":"9007199254740993"}}]');
  });
  it('added subtrees and list items keep their exact numbers, and applying the patch gives the object back', () => {
    const after = parse('{"spec":{"count":1,"ratio":0.1000000000000000055511151231257827,"free":{"big":123456789012345678901234567890,"list":[1e400,{"x":-9007199254740993}]}},"__proto__":{"n":9007199254740993}}');
    const patch = computePatch(before, after);
    assert.equal(JSON.stringify(applyPatch(before, patch)), JSON.stringify(after));
    assert.ok(JSON.stringify(patch).includes('[1e400,{"x":-9007199254740993}]'), JSON.stringify(patch));
    let visited = 0;
    assert.ok(walkPatch(before, patch, () => visited++));
    assert.equal(visited, patch.length);
  });
  it('materialising a subresource change keeps the parent\'s exact numbers', () => {
    const base = { id: '1', time: '2026-01-01T00:00:00Z', requestUid: 'u', user: { username: 'a', uid: '', groups: [], extra: {} }, group: 'e2e.example.com', version: 'v1', kind: 'Gauge', resource: 'gauges', namespace: 'n', name: 'g', objectUid: 'x', fieldManager: '' };
    const created: ChangeEvent = { ...base, operation: 'CREATE', subresource: '', patch: [], object: parse('{"spec":{"count":9007199254740993,"replicas":1}}') };
    const scaled: ChangeEvent = { ...base, id: '2', time: '2026-01-01T00:01:00Z', operation: 'UPDATE', subresource: 'scale', patch: [{ op: 'replace', path: '/spec/replicas', value: 2 }], object: { spec: { replicas: 2 } } };
    assert.equal(JSON.stringify(materialiseHistory([created, scaled])[1]!.object), '{"spec":{"count":9007199254740993,"replicas":2}}');
  });
});

describe('normalising, redacting and the depth limit keep exact numbers', () => {
  it('normaliseObject', () => {
    const object = parse('{"apiVersion":"v1","kind":"X","metadata":{"name":"a","generation":9007199254740993},"spec":{"n":1e400},"status":{"n":1}}');
    assert.equal(JSON.stringify(normaliseObject(object, { ...DEFAULT_NORMALISE_OPTIONS, dropGeneration: false })),
      '{"apiVersion":"v1","kind":"X","metadata":{"name":"a","generation":9007199254740993},"spec":{"n":1e400}}');
  });
  it('redactSecret fingerprints a last-applied annotation holding exact numbers without error', () => {
    const lastApplied = '{"apiVersion":"v1","kind":"Secret","data":{"k":"dg=="},"metadata":{"annotations":{"n":"1"}},"extra":9007199254740993}';
    const secret = parse(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","annotations":{${JSON.stringify(LAST_APPLIED_ANNOTATION)}:${JSON.stringify(lastApplied)}}},"data":{"k":"dg=="}}`);
    const redacted = redactSecret(secret, Buffer.alloc(32, 1), { namespace: 'n', name: 's' });
    const annotation = ((redacted['metadata'] as JsonObject)['annotations'] as JsonObject)[LAST_APPLIED_ANNOTATION] as string;
    assert.ok(annotation.includes('"extra":9007199254740993'), annotation);
    assert.ok(!annotation.includes('dg=='), annotation);
  });
  it('limitDepth keeps an exact number at the last kept level as a number', () => {
    const object = parse('{"a":{"b":{"c":9007199254740993}}}');
    assert.equal(JSON.stringify(limitDepth(object, 3)), '{"a":{"b":{"c":9007199254740993}}}');
    assert.equal(JSON.stringify(limitDepth(parse('{"a":{"b":{"c":{"d":1}},"n":9007199254740993}}'), 2)), '{"a":{"b":"redacted:nested-deeper-than-1000-levels","n":9007199254740993}}');
  });
});

describe('views write the exact digits', () => {
  const before = parse('{"apiVersion":"e2e.example.com/v1","kind":"Gauge","spec":{"count":9007199254740993,"list":[1e400,0.1000000000000000055511151231257827]}}');
  const after = parse('{"apiVersion":"e2e.example.com/v1","kind":"Gauge","spec":{"count":9007199254740995,"list":[1e400,0.1000000000000000055511151231257827]}}');
  it('YAML and JSON', () => {
    assert.equal(toYaml(before), 'apiVersion: e2e.example.com/v1\nkind: Gauge\nspec:\n  count: 9007199254740993\n  list:\n  - 1e400\n  - 0.1000000000000000055511151231257827\n');
    assert.ok(toJson(before).includes('"count": 9007199254740993'));
    assert.ok(toYaml({ n: '9007199254740993' }).includes('"9007199254740993"'), 'a string of digits stays a quoted string');
  });
  it('diff', () => {
    assert.deepEqual(renderDiff(before, after, { context: 0 }), ['[...]', '-   count: 9007199254740993', '+   count: 9007199254740995', '[...]']);
  });
  it('patch text', () => {
    assert.deepEqual(describePatch(computePatch(before, after), before, { operation: 'UPDATE' }), ['replace /spec/count: 9007199254740993 → 9007199254740995']);
  });
  it('blame', () => {
    const base = { requestUid: 'u', subresource: '', group: 'e2e.example.com', version: 'v1', kind: 'Gauge', resource: 'gauges', namespace: 'n', name: 'g', objectUid: 'x', fieldManager: '' };
    const user = (username: string) => ({ username, uid: '', groups: [], extra: {} });
    const history: ChangeEvent[] = [
      { ...base, id: '1', time: '2026-01-01T00:00:00Z', operation: 'CREATE', user: user('alice'), patch: computePatch({}, before), object: before },
      { ...base, id: '2', time: '2026-01-01T00:01:00Z', operation: 'UPDATE', user: user('bob'), patch: computePatch(before, after), object: after },
    ];
    const lines = blameObject(history).lines;
    const count = lines.find((l) => l.path === '/spec/count')!;
    assert.equal(count.text, '  count: 9007199254740995');
    assert.equal(count.author?.username, 'bob');
    assert.equal(lines.find((l) => l.path === '/spec/list/0')!.author?.username, 'alice');
  });
});

describe('the provenance hash compares exact numbers as the watch reads them', () => {
  it('a recorded exact number hashes like the double @kubernetes/client-node parses', () => {
    const text = '{"apiVersion":"v1","kind":"X","spec":{"n":9007199254740993,"f":1e400}}';
    assert.equal(contentHash(parse(text)), contentHash(JSON.parse(text) as JsonObject));
    assert.ok(isDeepStrictEqual(parse(text), parse(text)));
  });
});

describe('capture rules\' CEL reads exact numbers as numbers', () => {
  it('an int64 beyond 2^53 is an exact CEL int; other kept numbers are doubles', () => {
    const object = parse('{"spec":{"count":9007199254740993,"huge":1e400,"free":{"__proto__":123456789012345678901234567890}}}');
    const holds = (source: string) => compileCel(source, 'test')({ request: { object }, object, oldObject: null });
    assert.equal(holds('object.spec.count > 5'), true);
    assert.equal(holds('object.spec.count == 9007199254740993'), true);
    assert.equal(holds('object.spec.count == 9007199254740992'), false);
    assert.equal(holds('request.object.spec.count + 2 == 9007199254740995'), true);
    assert.equal(holds('object.spec.huge > 1e300'), true);
    assert.equal(holds('object.spec.free["__proto__"] > 1e29'), true);
  });
});
