import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeEvent } from '../../../src/event.ts';
import { colours } from '../../../src/format/colour.ts';
import { displayWidth } from '../../../src/format/text.ts';
import type { Overview } from '../../../src/api/overview.ts';
import { renderChangeDiff } from '../../../src/format/diff.ts';
import { previousObjects } from '../../../src/history/walk.ts';
import { renderHistoryTable, renderOverview, timestamp } from '../../../src/format/views.ts';
import { deploymentHistory, fixture, miscHistory, NOW, secretHistory, stripAnsi } from './golden.ts';
import { assertGolden, FORMAT_GOLDEN } from '../../support/golden.ts';

// Everything in namespace shop and the cluster, oldest first per object but mixed, as the API may return it.
const events = (): ChangeEvent[] => [...deploymentHistory(), ...secretHistory(), ...miscHistory()];
const overview = (): Overview => fixture<Overview>('overview.json');

describe('renderHistoryTable', () => {
  it('golden: 200 columns', () => {
    assertGolden(FORMAT_GOLDEN, 'history-table-200.txt', renderHistoryTable(events(), { now: NOW, width: 200 }));
  });
  it('golden: 120 columns, PATCH wrapped', () => {
    const lines = renderHistoryTable(events(), { now: NOW, width: 120 });
    for (const line of lines) assert.ok(displayWidth(line) <= 120, line);
    assertGolden(FORMAT_GOLDEN, 'history-table-120.txt', lines);
  });
  it('golden: 80 columns, PATCH under each row', () => {
    const lines = renderHistoryTable(events(), { now: NOW, width: 80 });
    for (const line of lines) assert.ok(displayWidth(line) <= 80, line);
    assertGolden(FORMAT_GOLDEN, 'history-table-80.txt', lines);
  });
  it('golden: -o wide at 200 columns', () => {
    assertGolden(FORMAT_GOLDEN, 'history-table-wide-200.txt', renderHistoryTable(events(), { now: NOW, width: 200, wide: true }));
  });
  it('is newest first, whatever the input order, each patch old → new', () => {
    const lines = renderHistoryTable([...deploymentHistory()].reverse(), { now: NOW, width: 200 });
    assert.deepEqual(lines, renderHistoryTable(deploymentHistory(), { now: NOW, width: 200 }));
    assert.match(lines.find((l) => l.includes(' bob '))!, /replace \/spec\/replicas: 2 → 3$/);
    assert.deepEqual(
      lines.map((l) => /(\d+[smhd]) /.exec(l)?.[1]).filter(Boolean),
      ['12s', '35m', '5h', '3d'],
    );
  });
  it('shows no managedFields noise', () => {
    for (const line of renderHistoryTable(events(), { now: NOW })) assert.ok(!line.includes('managedFields'), line);
  });
  it('is the same text with colour on, once escapes are removed', () => {
    for (const width of [80, 120, 200]) {
      const coloured = renderHistoryTable(events(), { now: NOW, width, colours: colours(true) });
      assert.deepEqual(coloured.map(stripAnsi), renderHistoryTable(events(), { now: NOW, width }));
    }
  });
  it('is empty for no events', () => {
    assert.deepEqual(renderHistoryTable([], { now: NOW }), []);
  });
});

describe('renderOverview', () => {
  it('golden: 200 columns', () => {
    assertGolden(FORMAT_GOLDEN, 'overview-200.txt', renderOverview(overview(), { now: NOW, width: 200 }));
  });
  it('golden: 80 columns', () => {
    const lines = renderOverview(overview(), { now: NOW, width: 80 });
    assertGolden(FORMAT_GOLDEN, 'overview-80.txt', lines);
  });
  it('golden: -o wide', () => {
    assertGolden(FORMAT_GOLDEN, 'overview-wide-200.txt', renderOverview(overview(), { now: NOW, width: 200, wide: true }));
  });
  it('shows cluster-scoped changes as (cluster), and takes the entries alone', () => {
    const lines = renderOverview(overview().namespaces, { now: NOW, width: 200 });
    assert.deepEqual(lines, renderOverview(overview(), { now: NOW, width: 200 }));
    assert.ok(lines.some((l) => l.startsWith('(cluster)  ')));
  });
  it('is empty for no namespaces', () => {
    assert.deepEqual(renderOverview({ since: NOW, namespaces: [] }, { now: NOW }), []);
  });
});

describe('timestamp', () => {
  it('drops milliseconds', () => {
    assert.equal(timestamp('2025-06-12T11:59:48.123Z'), '2025-06-12T11:59:48Z');
    assert.equal(timestamp('not a time'), 'not a time');
  });
});

describe('recorded text reaching the terminal', () => {
  const hostile = (): ChangeEvent[] => {
    const [create, scale] = deploymentHistory() as [ChangeEvent, ChangeEvent];
    const evil = '\u001b]0;pwned\u0007\u001b[2J';
    const update: ChangeEvent = {
      ...scale,
      user: { ...scale.user, username: `mallory${evil}`, groups: [`g${evil}`] },
      fieldManager: `m${evil}`,
      subresource: 'scale',
      patch: [{ op: 'add', path: `/metadata/labels/x${evil}`, value: `v${evil}\u202e` }],
      object: { ...scale.object, metadata: { ...(scale.object.metadata as object), labels: { [`x${evil}`]: `v${evil}\u202e` } } },
    };
    return [create, update];
  };
  it('carries no control characters in any view', () => {
    const events = hostile();
    const outputs = [
      renderHistoryTable(events, { now: NOW, width: 120 }),
      renderHistoryTable(events, { now: NOW, width: 200, wide: true }),
      previousObjects(events).flatMap(({ event, previous, known }) => renderChangeDiff(event, known ? previous : undefined, { now: NOW })),
    ];
    for (const lines of outputs) {
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      for (const line of lines) assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u202e]/, JSON.stringify(line));
    }
    assert.ok(outputs[0]!.some((l) => l.includes('mallory\\u001b]0;pwned\\u0007\\u001b[2J')));
  });
  it('shows a subresource beside the operation', () => {
    const lines = renderHistoryTable(hostile(), { now: NOW, width: 200 });
    assert.match(lines[1]!, / UPDATE scale /);
  });
});
