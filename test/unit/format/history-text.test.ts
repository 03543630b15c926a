import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import { MAX_DIFF_EDITS, renderChangeDiff, renderDiff } from '../../../src/format/diff.ts';
import { renderHistoryUnifiedDiff, renderHistoryYaml } from '../../../src/format/history-text.ts';

function configMap(keys: number, value: (k: number) => string): JsonObject {
  const data: Record<string, string> = {};
  for (let k = 0; k < keys; k++) data[`k${k}`] = value(k);
  return { apiVersion: 'v1', kind: 'ConfigMap', data };
}

function change(id: number, operation: ChangeEvent['operation'], object: JsonObject, patch: ChangeEvent['patch'] = []): ChangeEvent {
  return {
    id: String(id), time: `2026-01-01T00:00:0${id}.000Z`, requestUid: `u${id}`, operation, user: { username: 'bob', uid: '', groups: [], extra: {} },
    group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', subresource: '', namespace: 'ns', name: 'cm', objectUid: 'o',
    fieldManager: '', patch, object,
  };
}

const wholeChange = (keys: number) => [configMap(keys, (k) => `a${k}`), configMap(keys, (k) => `b${k}`)] as const;

describe('history as a unified diff', () => {
  it('is a correct diff of each version against the one before, within the bound', () => {
    const v1 = configMap(6, (k) => `v${k}`);
    const v2 = { ...v1, data: { ...(v1['data'] as object), k3: 'changed' } };
    assert.equal(renderHistoryUnifiedDiff([change(1, 'CREATE', v1), change(2, 'UPDATE', v2)]), [
      '===================================================================',
      '--- (nothing)',
      '+++ 2026-01-01T00:00:01.000Z CREATE by bob (event 1)',
      '@@ -0,0 +1,9 @@',
      '+apiVersion: v1', '+kind: ConfigMap', '+data:', '+  k0: v0', '+  k1: v1', '+  k2: v2', '+  k3: v3', '+  k4: v4', '+  k5: v5',
      '===================================================================',
      '--- 2026-01-01T00:00:01.000Z CREATE by bob (event 1)',
      '+++ 2026-01-01T00:00:02.000Z UPDATE by bob (event 2)',
      '@@ -4,6 +4,6 @@',
      '   k0: v0', '   k1: v1', '   k2: v2', '-  k3: v3', '+  k3: changed', '   k4: v4', '   k5: v5',
      '',
    ].join('\n'));
  });

  it('says a change of more lines than the bound is too large, at once, and diffs a creation of any size', () => {
    const [before, after] = wholeChange(4000);
    const started = performance.now();
    const text = renderHistoryUnifiedDiff([change(1, 'CREATE', before), change(2, 'UPDATE', after), change(3, 'DELETE', after)]);
    assert.ok(performance.now() - started < 2000, `took ${(performance.now() - started).toFixed(0)} ms`);
    assert.match(text, /^@@ -0,0 \+1,4003 @@$/m);
    assert.match(text, new RegExp(`^# diff too large: more than ${MAX_DIFF_EDITS} lines changed: from 2026-01-01T00:00:01.000Z CREATE by bob \\(event 1\\)\n#   to 2026-01-01T00:00:02.000Z UPDATE by bob \\(event 2\\); use format=patch for this change$`, 'm'));
    assert.match(text, /^@@ -1,4003 \+0,0 @@$/m);
  });

  it('goes on from the event before a page', () => {
    const v1 = configMap(2, (k) => `v${k}`);
    const v2 = configMap(2, (k) => `w${k}`);
    const text = renderHistoryUnifiedDiff([change(2, 'UPDATE', v2)], change(1, 'CREATE', v1));
    assert.match(text, /^--- 2026-01-01T00:00:01.000Z CREATE by bob \(event 1\)\n/m);
    assert.match(text, /^- {2}k0: v0\n- {2}k1: v1\n\+ {2}k0: w0\n\+ {2}k1: w1$/m);
  });

  it('stops between versions when the checkpoint throws', () => {
    const events = [change(1, 'CREATE', configMap(2, String)), change(2, 'UPDATE', configMap(2, (k) => `x${k}`))];
    let checks = 0;
    const stop = () => { if (++checks === 2) throw new Error('stopped'); };
    assert.throws(() => renderHistoryUnifiedDiff(events, undefined, stop), /stopped/);
    checks = 0;
    assert.throws(() => renderHistoryYaml(events, stop), /stopped/);
  });
});

describe('a view diff over the bound', () => {
  it('is one marker line in renderDiff, and the change\'s patch in renderChangeDiff', () => {
    const [before, after] = wholeChange(2000);
    assert.deepEqual(renderDiff(before, after), [`[diff too large: more than ${MAX_DIFF_EDITS} lines changed]`]);
    const lines = renderChangeDiff(change(2, 'UPDATE', after, [{ op: 'replace', path: '/data/k0', value: 'b0' }]), before, { now: '2026-01-01T00:01:00Z' });
    assert.ok(lines.includes(`  (diff too large: more than ${MAX_DIFF_EDITS} lines changed; its patch:)`), lines.join('\n'));
    assert.ok(lines.some((line) => line.includes('/data/k0') || line.includes('data.k0')), lines.join('\n'));
    // Within the bound, the diff itself.
    const small = configMap(2000, (k) => (k < 100 ? `b${k}` : `a${k}`));
    assert.equal(renderDiff(before, small, { context: 0 }).filter((line) => line.startsWith('-') || line.startsWith('+')).length, 200);
  });
});
