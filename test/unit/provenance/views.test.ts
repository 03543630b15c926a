// The provenance marks in kubectl blame's history table and kubectl get changes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeEvent } from '../../../src/event.ts';
import { renderHistoryTable } from '../../../src/format/views.ts';
import { changeTable } from '../../../src/format/change-table.ts';
import { toChange } from '../../../src/api/change.ts';
import { deploymentHistory, NOW } from '../format/golden.ts';

function withStates(): ChangeEvent[] {
  const history = deploymentHistory();
  const last = history[history.length - 1]!;
  const states: ChangeEvent['state'][] = ['confirmed', 'not-applied', 'pending'];
  return [
    ...history.map((event, index) => ({ ...event, state: states[index % states.length]! })),
    {
      ...last, id: 'watch-1', requestUid: 'watch:x:1:modified', time: new Date(Date.parse(last.time) + 1000).toISOString(), user: { username: '', uid: '', groups: [], extra: {} },
      operation: 'UPDATE', subresource: '', state: 'unattributed', authorGuess: { manager: 'helm', operation: 'Update', time: last.time },
    },
  ];
}

describe('provenance in the views', () => {
  it('marks every row the watch has not confirmed, and shows an unattributed change\'s manager as a guess', () => {
    const text = renderHistoryTable(withStates(), { now: NOW, width: 200 }).join('\n');
    assert.match(text, /not applied/);
    assert.match(text, /pending/);
    assert.match(text, /unattributed/);
    assert.match(text, /helm\? \(guess\)/);
    assert.doesNotMatch(text, /confirmed/, 'confirmed rows carry no mark');
  });

  it('kubectl get changes has a State column and the guessed manager for an unattributed change', () => {
    const table = changeTable(withStates().map(toChange), undefined, 'None', Date.parse(NOW));
    const state = table.columnDefinitions.findIndex((column) => column.name === 'State');
    const user = table.columnDefinitions.findIndex((column) => column.name === 'User');
    assert.ok(state > 0);
    const rows = table.rows.map((row) => row.cells);
    assert.equal(rows[rows.length - 1]![state], 'unattributed');
    assert.equal(rows[rows.length - 1]![user], 'helm? (guess)');
    assert.equal(rows[0]![state], 'confirmed');
  });
});

describe('a not-applied change in history', () => {
  it('never becomes the object\'s state: the next change is compared with the state before it', async () => {
    const { previousObjects } = await import('../../../src/history/walk.ts');
    const base = deploymentHistory()[0]!;
    const at = (seconds: number) => new Date(Date.parse(base.time) + seconds * 1000).toISOString();
    const history: ChangeEvent[] = [
      { ...base, id: '1', time: at(0), operation: 'CREATE', object: { data: { a: '1' } }, state: 'confirmed' },
      { ...base, id: '2', time: at(1), operation: 'UPDATE', object: { data: { a: 'over-quota' } }, state: 'not-applied' },
      { ...base, id: '3', time: at(2), operation: 'UPDATE', object: { data: { a: '3' } }, state: 'confirmed' },
    ];
    assert.deepEqual(previousObjects(history)[2]!.previous, { data: { a: '1' } });
  });
});
