// A `__proto__` key, which Kubernetes allows in specs and data, shows in every view: YAML and JSON text, the diff,
// blame and --revert's manifest, at the top level and nested.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import { computePatch } from '../../../src/history/patch.ts';
import { toJson, toYaml } from '../../../src/format/yaml.ts';
import { renderDiff } from '../../../src/format/diff.ts';
import { blameObject } from '../../../src/field-blame/field-blame.ts';
import { revertTo } from '../../../src/history/past.ts';

// Parsed, as the API server's JSON is: JSON.parse defines `__proto__` as an own key.
const before = JSON.parse('{"apiVersion":"e2e.example.com/v1","kind":"Odd","metadata":{"name":"o","namespace":"n"},"__proto__":{"top":"1","__proto__":"nested-1"},"spec":{"__proto__":{"deep":"a"}}}') as JsonObject;
const after = JSON.parse('{"apiVersion":"e2e.example.com/v1","kind":"Odd","metadata":{"name":"o","namespace":"n"},"__proto__":{"top":"2","__proto__":"nested-2"},"spec":{"__proto__":{"deep":"b"}}}') as JsonObject;

const base = { requestUid: 'u', subresource: '', group: 'e2e.example.com', version: 'v1', kind: 'Odd', resource: 'odds', namespace: 'n', name: 'o', objectUid: 'x', fieldManager: '' };
const user = (username: string) => ({ username, uid: '', groups: [], extra: {} });
const history: ChangeEvent[] = [
  { ...base, id: '1', time: '2026-01-01T00:00:00Z', operation: 'CREATE', user: user('alice'), patch: computePatch({}, before), object: before },
  { ...base, id: '2', time: '2026-01-01T00:01:00Z', operation: 'UPDATE', user: user('bob'), patch: computePatch(before, after), object: after },
];

const BEFORE_YAML = [
  'apiVersion: e2e.example.com/v1',
  'kind: Odd',
  'metadata:',
  '  name: o',
  '  namespace: n',
  'spec:',
  '  __proto__:',
  '    deep: a',
  '__proto__:',
  '  top: "1"',
  '  __proto__: nested-1',
  '',
].join('\n');

describe('__proto__ keys in the views', () => {
  it('YAML and JSON keep the top-level and nested keys', () => {
    assert.equal(toYaml(before), BEFORE_YAML);
    assert.deepEqual(Object.keys(JSON.parse(toJson(before)) as object), ['apiVersion', 'kind', 'metadata', 'spec', '__proto__']);
    assert.ok(toJson(before).includes('"__proto__": {\n    "top": "1",\n    "__proto__": "nested-1"\n  }'), toJson(before));
  });
  it('the diff shows changes under both', () => {
    assert.deepEqual(renderDiff(before, after, { context: 0 }), [
      '[...]', '-     deep: a', '+     deep: b', '[...]', '-   top: "1"', '-   __proto__: nested-1', '+   top: "2"', '+   __proto__: nested-2',
    ]);
  });
  it('blame shows and attributes them', () => {
    const lines = blameObject(history).lines;
    const at = (path: string) => lines.find((l) => l.path === path);
    assert.equal(at('/__proto__')?.text, '__proto__:');
    assert.equal(at('/__proto__/top')?.author?.username, 'bob');
    assert.equal(at('/__proto__/__proto__')?.text, '  __proto__: nested-2');
    assert.equal(at('/spec/__proto__/deep')?.author?.username, 'bob');
    assert.equal(at('/kind')?.author?.username, 'alice');
  });
  it('--revert\'s manifest restores them', () => {
    const { manifest } = revertTo(history, '2');
    assert.ok(Object.hasOwn(manifest, '__proto__'));
    assert.ok(toYaml(manifest).includes('__proto__:\n  top: "1"\n  __proto__: nested-1\n'), toYaml(manifest));
  });
});
