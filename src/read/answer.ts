// The read API's one set of handlers: every read both /api/v1 and the aggregated API serve, from the store's
// read methods to the text sent. History is materialised here and nowhere else on the server.
import { GROUP_VERSION, API_GROUP, toChange, type ChangeList } from '../api/change.ts';
import { HttpError } from '../api/errors.ts';
import type { HistoryAnswer, HistoryPatchEntry } from '../api/history.ts';
import type { BlameAnswer } from '../api/blame.ts';
import { summariseActivity } from './activity.ts';
import type { Overview, OverviewResource } from '../api/overview.ts';
import { blameObject } from '../blame/field-blame.ts';
import type { ObjectKey } from '../event.ts';
import { changeTable } from '../format/change-table.ts';
import { renderHistoryUnifiedDiff, renderHistoryYaml } from '../format/history-text.ts';
import { materializeHistory } from '../history/walk.ts';
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
        case 'json':
          return json({ object: key, items: events } satisfies HistoryAnswer);
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
      const key = await resolveObjectKey(reader, request.object);
      const history = materializeHistory(await reader.history(key));
      if (history.length === 0) {
        const { namespace, kind, name } = request.object;
        throw new HttpError(404, `no recorded changes of ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
      }
      return json({ object: key, ...blameObject(history) } satisfies BlameAnswer);
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
