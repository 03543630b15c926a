import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_FIELD_COLUMNS, EVENT_ROW_COLUMNS, EVENT_ROW_FIELDS, INSERT_COLUMNS, POSTGRES_EVENT_SELECT } from '../../../src/store/event-columns.ts';
import { toEventRow } from '../../../src/store/event-codec.ts';
import { fromChange, toChange } from '../../../src/api/change.ts';
import { everyFieldEvent } from '../../support/every-field-event.ts';

describe('the event column table', () => {
  const event = everyFieldEvent(Date.parse('2026-06-12T10:00:00.000Z'));

  it('places every field of the event, and the fixture sets every field', () => {
    assert.deepEqual(Object.keys(EVENT_FIELD_COLUMNS).sort(), Object.keys(event).sort());
    const placed = new Set<string>(Object.values(EVENT_FIELD_COLUMNS).flat());
    for (const field of [...EVENT_ROW_FIELDS, 'body']) assert.ok(placed.has(field), `row field ${field} holds no event field`);
  });

  it('writes each field into a column of its own: no two row values alike', () => {
    const { id: _id, ...newEvent } = event;
    const row = toEventRow(newEvent);
    assert.deepEqual(Object.keys(row).sort(), [...EVENT_ROW_FIELDS, 'body'].sort());
    const values = EVENT_ROW_FIELDS.map((field) => String(row[field]));
    assert.equal(new Set(values).size, values.length, `values repeat: ${JSON.stringify(values)}`);
    assert.equal(row.stateChangedMs, Date.parse(event.stateChangedAt));
    assert.equal(toEventRow({ ...newEvent, stateChangedAt: undefined }).stateChangedMs, row.timeMs, 'a captured event changed state when recorded');
    assert.equal(toEventRow({ ...newEvent, state: undefined }).stateChangedMs, 0);
  });

  it('names each column once in the INSERT and the SELECT', () => {
    assert.equal(new Set(INSERT_COLUMNS).size, INSERT_COLUMNS.length);
    for (const column of EVENT_ROW_COLUMNS) assert.match(POSTGRES_EVENT_SELECT, new RegExp(`\\b${column.column}\\b`));
  });

  it('crosses the wire as a Change with every field', () => {
    assert.deepEqual(fromChange(toChange(event)), event);
  });
});
