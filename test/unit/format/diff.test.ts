import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colours } from '../../../src/format/colour.ts';
import { eventKey, renderChangeDiff, renderDiff } from '../../../src/format/diff.ts';
import { describeChange } from '../../../src/format/patch.ts';
import { renderHistoryTable } from '../../../src/format/views.ts';
import { changeTable } from '../../../src/format/change-table.ts';
import { toChange } from '../../../src/api/change.ts';
import { deploymentHistory, miscHistory, NOW, secretHistory, stripAnsi } from './golden.ts';
import { assertGolden, FORMAT_GOLDEN } from '../../support/golden.ts';

const before = { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7', h: '8' } };
const after = { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1', b: 'two', c: '3', d: '4', e: '5', f: '6', g: '7', h: 'eight' } };

describe('renderDiff', () => {
  it('shows context lines around changes and [...] where lines were skipped', () => {
    assert.deepEqual(renderDiff(before, after, { context: 1 }), [
      '[...]',
      '    a: "1"',
      '-   b: "2"',
      '+   b: two',
      '    c: "3"',
      '[...]',
      '    g: "7"',
      '-   h: "8"',
      '+   h: eight',
    ]);
  });
  it('with context 0 shows only the changes', () => {
    assert.deepEqual(renderDiff(before, after, { context: 0 }), ['[...]', '-   b: "2"', '+   b: two', '[...]', '-   h: "8"', '+   h: eight']);
  });
  it('joins hunks whose context touches, like diff -U', () => {
    const lines = renderDiff(before, after, { context: 2 });
    assert.equal(lines.filter((l) => l === '[...]').length, 2);
    assert.deepEqual(renderDiff(before, after, { context: 3 }).filter((l) => l === '[...]'), ['[...]']);
  });
  it('shows everything with a negative context', () => {
    const lines = renderDiff(before, after, { context: -1 });
    assert.ok(!lines.includes('[...]'));
    assert.equal(lines.length, 13);
  });
  it('is empty for equal objects', () => {
    assert.deepEqual(renderDiff(before, structuredClone(before)), []);
  });
  it('diffs JSON text too', () => {
    assert.deepEqual(renderDiff({ spec: { replicas: 2 } }, { spec: { replicas: 3 } }, { format: 'json' }), [
      '  {',
      '    "spec": {',
      '-     "replicas": 2',
      '+     "replicas": 3',
      '    }',
      '  }',
    ]);
  });
  it('diffs a creation against nothing', () => {
    assert.deepEqual(renderDiff({}, { kind: 'ConfigMap', data: { a: '1' } }), ['+ kind: ConfigMap', '+ data:', '+   a: "1"']);
  });
  it('colours added lines green, removed red, [...] dim', () => {
    const c = colours(true);
    const lines = renderDiff(before, after, { context: 0, colours: c });
    assert.deepEqual(lines.map(stripAnsi), renderDiff(before, after, { context: 0 }));
    assert.equal(lines[0], c.marker('[...]'));
    assert.equal(lines[1], c.remove('-   b: "2"'));
    assert.equal(lines[2], c.add('+   b: two'));
  });
  it('cuts long lines when asked', () => {
    const lines = renderDiff({ data: { k: 'x'.repeat(100) } }, { data: { k: 'y'.repeat(100) } }, { maxLineWidth: 20 });
    assert.deepEqual(lines, ['  data:', '-   k: xxxxxxxxxxxx…', '+   k: yyyyyyyyyyyy…']);
  });
});

describe('renderChangeDiff', () => {
  const history = deploymentHistory();
  it('bob scaling 2 → 3', () => {
    assertGolden(FORMAT_GOLDEN, 'change-diff-scale.txt', renderChangeDiff(history[1]!, history[0]!.object, { now: NOW, context: 3 }));
  });
  it('CI rolling out a new image, in JSON', () => {
    assertGolden(FORMAT_GOLDEN, 'change-diff-image.json.txt', renderChangeDiff(history[3]!, history[2]!.object, { now: NOW, context: 2, format: 'json' }));
  });
  it('a creation diffs against nothing', () => {
    const [create] = secretHistory();
    assertGolden(FORMAT_GOLDEN, 'change-diff-create-secret.txt', renderChangeDiff(create!, {}, { now: NOW }));
  });
  it('a deletion diffs the deleted object against nothing', () => {
    const [, del] = miscHistory();
    assertGolden(FORMAT_GOLDEN, 'change-diff-delete.txt', renderChangeDiff(del!, undefined, { now: NOW }));
  });
  it('an update without the object before it shows its patch', () => {
    const lines = renderChangeDiff(history[2]!, undefined, { now: NOW });
    assert.deepEqual(lines.slice(-3), [
      '  (the object before this change is not in the history; its patch:)',
      '  remove /metadata/labels/owner',
      '  add /metadata/labels/tier: "web"',
    ]);
  });
  it('the header names age, key, operation, user, groups and manager', () => {
    const lines = renderChangeDiff(history[1]!, history[0]!.object, { now: NOW, colours: colours(true) });
    assert.deepEqual(lines.slice(0, 4).map(stripAnsi), [
      '5h  shop/Deployment/web  UPDATE  bob',
      '  groups: ops, system:authenticated',
      '  manager: kubectl-edit',
      '  time: 2025-06-12T06:30:11.404Z',
    ]);
  });
  it('keys cluster-scoped objects without a namespace', () => {
    assert.equal(eventKey(miscHistory()[2]!), 'ClusterRole/pod-reader');
  });
});

describe('an oversized change', () => {
  const history = deploymentHistory();
  const oversized = {
    ...history[2]!,
    object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: history[2]!.object['metadata'] },
    oversized: { reviewBytes: 7 * 1024 * 1024 + 300_000, maxBodyBytes: 3 * 1024 * 1024 },
  };
  it('says so where the diff would be, with the sizes, and shows the metadata it changed', () => {
    const lines = renderChangeDiff(oversized, history[1]!.object, { now: NOW });
    const body = lines.slice(lines.indexOf('') + 1);
    assert.deepEqual(body, [
      '  too large to record: review of 7.3 MiB over --max-body-bytes 3.0 MiB, metadata only',
      '  remove /metadata/labels/owner (was "team-a")',
      '  add /metadata/labels/tier: "web"',
    ]);
  });
  it('is never "(no change)" when its metadata did not change', () => {
    const unchanged = { ...oversized, patch: [] };
    const lines = describeChange(unchanged, history[1]!.object);
    assert.deepEqual(lines, ['too large to record: review of 7.3 MiB over --max-body-bytes 3.0 MiB, metadata only']);
  });
  it('the history table and kubectl get changes say so where the patch would be', () => {
    const events = [history[0]!, history[1]!, oversized];
    const text = renderHistoryTable(events, { now: NOW, width: 300 }).join('\n');
    assert.match(text, /too large to record: review of 7\.3 MiB over --max-body-bytes 3\.0 MiB, metadata only/);
    const table = changeTable(events.map(toChange), undefined, 'None', Date.parse(NOW));
    const patch = table.columnDefinitions.findIndex((column) => column.name === 'Patch');
    assert.ok(patch > 0);
    assert.match(String(table.rows[2]!.cells[patch]), /^too large to record: .*metadata only; remove \/metadata\/labels\/owner/);
  });
});
