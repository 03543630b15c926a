// The read API's one set of handlers: every read both /api/v1 and the aggregated API serve, from the store's
// read methods to the text sent. History is materialised here and nowhere else on the server. Every answer is
// bounded: a history page ends at its item limit or its byte cap (with a token to go on), a blame reads the newest
// events up to its byte cap, and a read checks between rows and versions whether it should stop.
import { GROUP_VERSION, API_GROUP, toChange, type ChangeList } from '../api/change.ts';
import { HttpError } from '../api/errors.ts';
import type { ChangeSummary, HistoryAnswer, HistoryPatchEntry, Refusal, RevertAnswer, StateAnswer } from '../api/history.ts';
import { InvalidQueryError, MAX_PAGE_BYTES, type EventFilter, type HistoryRow } from '../store/types.ts';
import type { BlameAnswer } from '../api/field-blame.ts';
import { summariseActivity } from './activity.ts';
import type { Overview, OverviewResource } from '../api/overview.ts';
import { blameObject } from '../field-blame/field-blame.ts';
import type { ChangeEvent, ObjectKey } from '../event.ts';
import { changeTable } from '../format/change-table.ts';
import { renderHistoryUnifiedDiff, renderHistoryYaml } from '../format/history-text.ts';
import { changedState, materialiseHistory } from '../history/walk.ts';
import {
  absenceAt, changeOf, HistoryRefusal, objectAt, pastStates, previousStateIds, revertTo, summarise,
} from '../history/past.ts';
import type { EventStore } from '../store/types.ts';
import { UNSTOPPABLE, type LiveEvent, type ObjectQuery, type ReadAnswer, type ReadControl, type ReadRequest } from './requests.ts';

type HistoryFilter = Pick<EventFilter, 'sinceMs' | 'untilMs'>;

/**
 * The store's read methods: all a reader needs. `historyRows` (the SQLite and PostgreSQL readers) walks a history
 * one event at a time; without it the whole history is read at once.
 */
export type EventReader = Pick<EventStore, 'listEvents' | 'getEvent' | 'objectGroups' | 'history' | 'overview' | 'activity'> & {
  historyRows?(key: ObjectKey, filter: HistoryFilter, order: 'asc' | 'desc'): AsyncIterable<HistoryRow>;
};

/** The most event bytes (uncompressed JSON, as in a list's page) one page of a history holds, after its first event. */
export const HISTORY_PAGE_BYTES = MAX_PAGE_BYTES;
/** The most event bytes a blame reads, newest first; the blame of a larger history leaves the oldest events out. */
export const BLAME_HISTORY_BYTES = MAX_PAGE_BYTES;

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

async function* rowsOf(reader: EventReader, key: ObjectKey, filter: HistoryFilter, order: 'asc' | 'desc'): AsyncIterable<HistoryRow> {
  if (reader.historyRows) {
    yield* reader.historyRows(key, filter, order);
    return;
  }
  const events = await reader.history(key, filter);
  if (order === 'desc') events.reverse();
  for (const event of events) {
    yield {
      ...event, bytes: () => (event.operation === 'CREATE' ? 2 : 1) * JSON.stringify({ patch: event.patch, object: event.object }).length, event: () => event,
    };
  }
}

/**
 * Materialises one event at a time, as materialiseHistory does a whole list, holding only the object's state: the
 * last event that set it, carried as a main-resource event (a materialised scale is the whole parent object).
 */
function materialiser(): (event: ChangeEvent) => ChangeEvent {
  let state: ChangeEvent | undefined;
  return (event) => {
    const materialised = materialiseHistory(state ? [state, event] : [event]).at(-1)!;
    if (changedState(event) && !(event.subresource && materialised === event)) {
      state = event.operation === 'DELETE' ? undefined : { ...materialised, subresource: '', operation: 'UPDATE' };
    }
    return materialised;
  };
}

const HISTORY_TOKEN = /^h1:(\d{1,19})$/;

function historyToken(id: string): string {
  return Buffer.from(`h1:${id}`).toString('base64url');
}

function tokenId(token: string): bigint {
  const match = HISTORY_TOKEN.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) throw new InvalidQueryError('continue', 'continue is not a token this server issued; start again without it');
  return BigInt(match[1]!);
}

interface HistoryPage {
  items: ChangeEvent[];
  /** The event just before the page (the last of the page before), materialised, when the page continues a history. */
  before?: ChangeEvent;
  continue?: string;
}

/** Whether an event sets the object's whole state by itself: a main-resource change that took effect. */
function setsWholeState(row: HistoryRow): boolean {
  return changedState(row) && row.subresource === '';
}

/**
 * A page of one object's history, materialised, oldest first: up to `limit` events, ending early once they hold
 * HISTORY_PAGE_BYTES (never before the first). A page that continues re-walks the events before it without their
 * bodies, and materialises those from the last that set the whole state, so its events are exactly those of the
 * whole history.
 */
async function historyPage(
  reader: EventReader, key: ObjectKey, request: ReadRequest & { kind: 'history' }, control: ReadControl,
): Promise<HistoryPage> {
  const after = request.continue === undefined ? undefined : tokenId(request.continue);
  const materialise = materialiser();
  const page: HistoryPage = { items: [] };
  /** The events before the page since the last that set the whole state (the state at the page needs only these). */
  let since: HistoryRow[] = [];
  let bytes = 0;
  for await (const row of rowsOf(reader, key, { sinceMs: request.sinceMs, untilMs: request.untilMs }, 'asc')) {
    control.check();
    if (after !== undefined && BigInt(row.id) <= after) {
      if (setsWholeState(row)) since = [];
      since.push(row);
      continue;
    }
    for (const before of since.splice(0)) page.before = materialise(before.event());
    const size = row.bytes();
    if (page.items.length === request.limit || (page.items.length > 0 && bytes + size > HISTORY_PAGE_BYTES)) {
      page.continue = historyToken(page.items.at(-1)!.id);
      break;
    }
    bytes += size;
    page.items.push(materialise(row.event()));
  }
  return page;
}

/** The line a text page ends with when the history goes on: a comment in YAML, and outside any diff for patch. */
function continueLine(token: string | undefined): string {
  return token === undefined ? '' : `# the history goes on: ask again with continue=${token}\n`;
}

/**
 * The newest events of an object, oldest first, up to BLAME_HISTORY_BYTES (never fewer than one), and the id of the
 * oldest one read when older events were left out.
 */
async function blameHistory(reader: EventReader, key: ObjectKey, control: ReadControl): Promise<{ events: ChangeEvent[]; partialFrom?: string }> {
  const events: ChangeEvent[] = [];
  let bytes = 0;
  for await (const row of rowsOf(reader, key, {}, 'desc')) {
    control.check();
    const size = row.bytes();
    if (events.length > 0 && bytes + size > BLAME_HISTORY_BYTES) return { events: materialiseHistory(events.reverse()), partialFrom: events[0]!.id };
    bytes += size;
    events.push(row.event());
  }
  return { events: materialiseHistory(events.reverse()) };
}

function refusal(error: HistoryRefusal): Refusal {
  return { reason: error.reason, message: error.message, ...(error.command !== undefined ? { command: error.command } : {}) };
}

/** Refusals are answers (200): a client shows the message, or acts on the reason (a live object to fall back to). */
function refused<T>(answer: T, error: unknown): T & { refused: Refusal } {
  if (!(error instanceof HistoryRefusal)) throw error;
  return { ...answer, refused: refusal(error) };
}

const STATE_PAGE = 50;

/**
 * One object's events up to `untilMs` (exclusive), oldest first, from the newest back to the last one that made a
 * whole state (not a subresource's partial object): all the state at a time needs, read newest first a page at a
 * time instead of the whole history.
 */
async function recentPast(reader: EventReader, key: ObjectKey, untilMs: number, control: ReadControl): Promise<ChangeEvent[]> {
  const filter = { namespace: key.namespace, group: key.group, kind: key.kind, name: key.name, untilMs };
  const newestFirst: ChangeEvent[] = [];
  let cursor: string | undefined;
  do {
    control.check();
    const page = await reader.listEvents(filter, STATE_PAGE, cursor, 'desc');
    newestFirst.push(...page.items);
    if (page.items.some((event) => changedState(event) && !(event.subresource && event.operation === 'UPDATE'))) break;
    cursor = page.nextCursor;
  } while (cursor);
  return materialiseHistory(newestFirst.reverse());
}

/** The object as it was at `atMs`: the newest events up to then, or the first ones when it did not exist yet. */
async function stateAnswer(reader: EventReader, key: ObjectKey, atMs: number, control: ReadControl): Promise<StateAnswer> {
  const answer: StateAnswer = { kind: 'ObjectState', object: key, at: new Date(atMs).toISOString() };
  try {
    let events = await recentPast(reader, key, atMs + 1, control);
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

/**
 * The manifest from before change `changeId`: one walk of the history, oldest first, holding only the state
 * before the change (materialised), the change, and the summaries of the changes after it.
 */
async function revertAnswer(reader: EventReader, key: ObjectKey, changeId: string, control: ReadControl): Promise<RevertAnswer> {
  const answer: RevertAnswer = { kind: 'Revert', object: key, later: [] };
  const materialise = materialiser();
  let before: ChangeEvent | undefined;
  let change: ChangeEvent | undefined;
  let first: ChangeEvent | undefined;
  const later: ChangeSummary[] = [];
  for await (const row of rowsOf(reader, key, {}, 'asc')) {
    control.check();
    if (change) {
      if (changedState(row)) later.push(summarise(row.event()));
      continue;
    }
    const event = materialise(row.event());
    first ??= event;
    if (event.id === changeId && changedState(event)) change = event;
    else if (changedState(event)) before = event;
  }
  try {
    if (!first) throw new HistoryRefusal('no-history', 'logistis has recorded no change to this object');
    // The rules see the change with the state before it (or the first event, which names the object).
    const { manifest } = revertTo([...(before ? [before] : []), ...(change ? [change] : [first])], changeId);
    return { ...answer, change: summarise(change!), later, manifest };
  } catch (error) {
    return refused({ ...answer, later, ...(change ? { change: summarise(change) } : {}) }, error);
  }
}

function notFound(id: string): HttpError {
  return new HttpError(404, `changes.${API_GROUP} "${id}" not found`);
}

export async function answerRead(reader: EventReader, request: ReadRequest, control: ReadControl = UNSTOPPABLE): Promise<ReadAnswer> {
  switch (request.kind) {
    case 'events': {
      const { filter, limit, order } = request.list;
      return json(await reader.listEvents(filter, limit, request.list.continue, order));
    }
    case 'live': {
      const page = await reader.listEvents({}, request.limit, undefined, 'desc');
      const after = request.afterId === undefined ? undefined : BigInt(request.afterId);
      const fresh = after === undefined ? page.items : page.items.filter((event) => BigInt(event.id) > after);
      return {
        body: '', contentType: JSON_TYPE,
        events: fresh.map((event): LiveEvent => ({
          id: event.id, json: JSON.stringify(event),
          fields: {
            namespace: event.namespace, group: event.group, kind: event.kind, name: event.name, operation: event.operation,
            user: { username: event.user.username, groups: event.user.groups },
          },
        })),
      };
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
      const page = await historyPage(reader, key, request, control);
      const events = page.items;
      const token = page.continue === undefined ? {} : { continue: page.continue };
      switch (request.format) {
        case 'json': {
          // The state before each event, by the rules of the past (the first may name the page before's event).
          const previous = previousStateIds(page.before ? [page.before, ...events] : events).slice(page.before ? 1 : 0);
          const items = events.map((event, i) => ({ ...event, madeState: changedState(event), ...(previous[i] === undefined ? {} : { previousId: previous[i] }) }));
          return { ...json({ object: key, items, ...token } satisfies HistoryAnswer), ...token };
        }
        case 'patch':
          return { ...json(events.map((event): HistoryPatchEntry => ({
            id: event.id, time: event.time, operation: event.operation, user: event.user.username, patch: event.patch,
          }))), ...token };
        case 'yaml':
          return { body: renderHistoryYaml(events, control.check) + continueLine(page.continue), contentType: 'application/yaml; charset=utf-8', ...token };
        case 'diff':
          return { body: renderHistoryUnifiedDiff(events, page.before, control.check) + continueLine(page.continue), contentType: 'text/x-diff; charset=utf-8', ...token };
      }
      break;
    }
    case 'blame': {
      const key = await resolveObjectKey(reader, request.object);
      const { events: history, partialFrom } = await blameHistory(reader, key, control);
      // /api/v1/blame says 404 for an object without history; the aggregated view answers no lines, so that
      // kubectl blame can tell it from a server without logistis and blame the live object alone.
      if (history.length === 0 && !request.emptyWithoutHistory) {
        const { namespace, kind, name } = request.object;
        throw new HttpError(404, `no recorded changes of ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
      }
      const newest = pastStates(history).at(-1);
      return json({
        object: key, ...blameObject(history), ...(partialFrom === undefined ? {} : { partialFrom }),
        ...(newest ? { newest: summarise(newest), state: newest.object } : {}),
      } satisfies BlameAnswer);
    }
    case 'state':
      return json(await stateAnswer(reader, await resolveObjectKey(reader, request.object), request.atMs, control));
    case 'revert':
      return json(await revertAnswer(reader, await resolveObjectKey(reader, request.object), request.changeId, control));
    case 'overview': {
      const overview: Overview = { since: new Date(request.sinceMs).toISOString(), namespaces: await reader.overview(request.sinceMs, request.topUsers) };
      return json(request.resource ? ({ apiVersion: GROUP_VERSION, kind: 'Overview', ...overview } satisfies OverviewResource) : overview);
    }
    case 'activity':
      return json(await summariseActivity(reader, request, control));
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
