// The read API's one set of handlers: every read both /api/v1 and the aggregated API serve, from the store's
// read methods to the text sent. History is materialised here and nowhere else on the server.
import { GROUP_VERSION, API_GROUP, toChange, type ChangeList } from '../api/change.ts';
import { HttpError } from '../api/errors.ts';
import type { HistoryAnswer, HistoryPatchEntry, Refusal, RevertAnswer, StateAnswer } from '../api/history.ts';
import type { BlameAnswer } from '../api/blame.ts';
import { summariseActivity } from './activity.ts';
import type { Overview, OverviewResource } from '../api/overview.ts';
import { blameObject } from '../blame/field-blame.ts';
import type { ChangeEvent, ObjectKey } from '../event.ts';
import { changeTable } from '../format/change-table.ts';
import { renderHistoryUnifiedDiff, renderHistoryYaml } from '../format/history-text.ts';
import { changedState, materializeHistory } from '../history/walk.ts';
import { absenceAt, changeOf, findChange, HistoryRefusal, objectAt, pastStates, previousStateIds, revertTo, summarise } from '../history/past.ts';
import type { EventStore } from '../store/types.ts';
import type { ObjectQuery, ReadAnswer, ReadRequest } from './requests.ts';

/** The store's read methods: all a reader needs. */
export type EventReader = Pick<EventStore, 'listEvents' | 'getEvent' | 'objectGroups' | 'history' | 'overview'>;

const JSON_TYPE = 'application/json; charset=utf-8';

function json(value: unknown): ReadAnswer {
  return { body: JSON.stringify(value), contentType: JSON_TYPE };
}

/** Finds the API group of an object's events when the caller named only its kind. */
async function resolveObjectKey(reader: EventReader, query: ObjectQuery): Promise<ObjectKey> {
  const { namespace, kind, name, group } = query;
  if (group !== undefined) return { group, kind, namespace, name };
  const groups = await reader.objectGroups(kind, namespace, name);
  if (groups.length > 1) throw new HttpError(400, `group: kind ${kind} exists in several API groups (${groups.join(', ')}); name one`);
  return { group: groups[0] ?? '', kind, namespace, name };
}

function refusal(error: HistoryRefusal): Refusal {
  return { reason: error.reason, message: error.message, ...(error.command !== undefined ? { command: error.command } : {}) };
}

/** One object's whole history, materialised; empty when nothing was recorded. */
async function wholeHistory(reader: EventReader, request: { object: ObjectQuery }): Promise<{ key: ObjectKey; events: ChangeEvent[] }> {
  const key = await resolveObjectKey(reader, request.object);
  return { key, events: materializeHistory(await reader.history(key)) };
}

function noHistory(object: ObjectQuery): HttpError {
  const { namespace, kind, name } = object;
  return new HttpError(404, `no recorded changes of ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
}

/** Refusals are answers (200): a client shows the message, or acts on the reason (a live object to fall back to). */
function refused<T>(answer: T, error: unknown): T & { refused: Refusal } {
  if (!(error instanceof HistoryRefusal)) throw error;
  return { ...answer, refused: refusal(error) };
}

/**
 * One object's events up to `untilMs` (exclusive), oldest first, from the newest back to the last one that made
 * a whole state (not a subresource's partial object): all the state at a time needs, read newest first a page at
 * a time instead of the whole history.
 */
async function recentPast(reader: EventReader, key: ObjectKey, untilMs: number): Promise<ChangeEvent[]> {
  const filter = { namespace: key.namespace, group: key.group, kind: key.kind, name: key.name, untilMs };
  const newestFirst: ChangeEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await reader.listEvents(filter, STATE_PAGE, cursor, 'desc');
    newestFirst.push(...page.items);
    if (page.items.some((event) => changedState(event) && !(event.subresource && event.operation === 'UPDATE'))) break;
    cursor = page.nextCursor;
  } while (cursor);
  return materializeHistory(newestFirst.reverse());
}

const STATE_PAGE = 50;

/** The object as it was at `atMs`: the newest events up to then, or the first ones when it did not exist yet. */
async function stateAnswer(reader: EventReader, key: ObjectKey, atMs: number): Promise<StateAnswer> {
  const answer: StateAnswer = { kind: 'ObjectState', object: key, at: new Date(atMs).toISOString() };
  try {
    let events = await recentPast(reader, key, atMs + 1);
    if (!events.some(changedState)) {
      // Nothing before then: what came first says whether it was created later or recorded only later.
      const filter = { namespace: key.namespace, group: key.group, kind: key.kind, name: key.name };
      events = (await reader.listEvents(filter, STATE_PAGE, undefined, 'asc')).items;
    }
    const state = objectAt(events, atMs);
    const change = summarise(changeOf(state));
    if (state.state === 'exists') return { ...answer, state: state.object, change };
    return refused({ ...answer, change }, absenceAt(state, atMs));
  } catch (error) {
    return refused(answer, error);
  }
}

function revertAnswer(key: ObjectKey, events: readonly ChangeEvent[], changeId: string): RevertAnswer {
  const answer: RevertAnswer = { kind: 'Revert', object: key, later: [] };
  if (events.length === 0) return refused(answer, new HistoryRefusal('no-history', 'logistis has recorded no change to this object'));
  try {
    const { past, at } = findChange(events, changeId);
    answer.change = summarise(past[at]!);
    answer.later = past.slice(at + 1).map(summarise);
    return { ...answer, manifest: revertTo(events, changeId).manifest };
  } catch (error) {
    return refused(answer, error);
  }
}

function notFound(id: string): HttpError {
  return new HttpError(404, `changes.${API_GROUP} "${id}" not found`);
}

export async function answerRead(reader: EventReader, request: ReadRequest): Promise<ReadAnswer> {
  switch (request.kind) {
    case 'events': {
      const { filter, limit, order } = request.list;
      return json(await reader.listEvents(filter, limit, request.list.continue, order));
    }
    case 'changes': {
      const { filter, limit, order } = request.list;
      const page = await reader.listEvents(filter, limit, request.list.continue, order);
      const changes = page.items.map(toChange);
      if (request.table) return json(changeTable(changes, page.nextCursor, request.table, request.now));
      const list: ChangeList = { apiVersion: GROUP_VERSION, kind: 'ChangeList', metadata: page.nextCursor ? { continue: page.nextCursor } : {}, items: changes };
      return json(list);
    }
    case 'change': {
      if (!/^\d+$/.test(request.id)) throw notFound(request.id);
      const event = await reader.getEvent(request.id);
      if (!event || (request.namespace !== undefined && event.namespace !== request.namespace)) throw notFound(request.id);
      const change = toChange(event);
      return json(request.table ? changeTable([change], undefined, 'Metadata', request.now) : change);
    }
    case 'history': {
      const key = await resolveObjectKey(reader, request.object);
      const events = materializeHistory(await reader.history(key, { sinceMs: request.sinceMs, untilMs: request.untilMs }));
      switch (request.format) {
        case 'json': {
          const previous = previousStateIds(events);
          const items = events.map((event, i) => ({ ...event, madeState: changedState(event), ...(previous[i] === undefined ? {} : { previousId: previous[i] }) }));
          return json({ object: key, items } satisfies HistoryAnswer);
        }
        case 'patch':
          return json(events.map((event): HistoryPatchEntry => ({
            id: event.id, time: event.time, operation: event.operation, user: event.user.username, patch: event.patch,
          })));
        case 'yaml':
          return { body: renderHistoryYaml(events), contentType: 'application/yaml; charset=utf-8' };
        case 'diff':
          return { body: renderHistoryUnifiedDiff(events), contentType: 'text/x-diff; charset=utf-8' };
      }
      break;
    }
    case 'blame': {
      const { key, events } = await wholeHistory(reader, request);
      // /api/v1/blame says 404 for an object without history; the aggregated view answers no lines, so that
      // kubectl blame can tell it from a server without logistis and blame the live object alone.
      if (events.length === 0 && !request.emptyWithoutHistory) throw noHistory(request.object);
      const newest = pastStates(events).at(-1);
      const answer: BlameAnswer = { object: key, ...blameObject(events), ...(newest ? { newest: summarise(newest), state: newest.object } : {}) };
      return json(answer);
    }
    case 'state':
      return json(await stateAnswer(reader, await resolveObjectKey(reader, request.object), request.atMs));
    case 'revert': {
      const { key, events } = await wholeHistory(reader, request);
      return json(revertAnswer(key, events, request.changeId));
    }
    case 'overview': {
      const overview: Overview = { since: new Date(request.sinceMs).toISOString(), namespaces: await reader.overview(request.sinceMs, request.topUsers) };
      return json(request.resource ? ({ apiVersion: GROUP_VERSION, kind: 'Overview', ...overview } satisfies OverviewResource) : overview);
    }
    case 'activity':
      return json(await summariseActivity(reader, request));
  }
  throw new HttpError(400, 'unknown read');
}

/** Reads answered on the calling thread: for stores without a file a reader thread could open. */
export function localReads(reader: EventReader) {
  return {
    answer: (request: ReadRequest) => answerRead(reader, request),
    close: async () => undefined,
  };
}
