// The read API under /api/v1: events with filters and cursor paging, one object's history, the overview.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createTwoFilesPatch } from 'diff';
import { stringify as toYaml } from 'yaml';
import type { ChangeEvent, JsonObject, ObjectKey } from '../../event.ts';
import type { EventStore } from '../../store/types.ts';
import { HttpError } from '../errors.ts';
import { QueryReader } from '../query-params.ts';
import type { ReadAccess } from '../auth/read-access.ts';
import { blameObject } from '../../blame/field-blame.ts';
import { materializeHistory } from '../../api/history.ts';

const HISTORY_FORMATS = ['json', 'patch', 'diff', 'yaml'] as const;
type HistoryFormat = (typeof HISTORY_FORMATS)[number];
const DAY_MS = 86_400_000;

function yamlOf(object: JsonObject): string {
  return Object.keys(object).length === 0 ? '' : toYaml(object, { lineWidth: 0, sortMapEntries: false });
}

function versionLabel(event: ChangeEvent): string {
  return `${event.time} ${event.operation} by ${event.user.username || '(unknown)'} (event ${event.id})`;
}

function renderHistory(events: ChangeEvent[], format: Exclude<HistoryFormat, 'json'>): string | object {
  switch (format) {
    case 'patch':
      return events.map((event) => ({
        id: event.id, time: event.time, operation: event.operation, user: event.user.username, patch: event.patch,
      }));
    case 'yaml':
      return events
        .map((event) => `# ${versionLabel(event)}\n${event.operation === 'DELETE' ? '# (deleted; last state below)\n' : ''}${yamlOf(event.object)}`)
        .join('---\n');
    case 'diff': {
      let previous: JsonObject = {};
      let previousLabel = '(nothing)';
      return events.map((event) => {
        const after = event.operation === 'DELETE' ? {} : event.object;
        const label = event.operation === 'DELETE' ? `(deleted) ${versionLabel(event)}` : versionLabel(event);
        const text = createTwoFilesPatch(previousLabel, label, yamlOf(previous), yamlOf(after), undefined, undefined, { context: 3 });
        previous = after;
        previousLabel = label;
        return text;
      }).join('');
    }
  }
}

/** Finds the API group of an object's events when the caller named only its kind. */
export async function resolveObjectKey(store: EventStore, namespace: string, kind: string, name: string, group: string | undefined): Promise<ObjectKey> {
  if (group !== undefined) return { group, kind, namespace, name };
  const groups = await store.objectGroups(kind, namespace, name);
  if (groups.length > 1) throw new HttpError(400, `group: kind ${kind} exists in several API groups (${groups.join(', ')}); name one`);
  return { group: groups[0] ?? '', kind, namespace, name };
}

export function registerApiRoutes(app: FastifyInstance, store: EventStore, access: ReadAccess): void {
  app.get('/api/v1/events', async (request) => {
    const query = new QueryReader(request.query, Date.now());
    const filter = query.eventFilter();
    const limit = query.integer('limit', 100, 1, 1000);
    const cursor = query.string('cursor');
    const order = query.choice('order', ['desc', 'asc'], 'desc');
    query.rejectUnknown();
    await access.check(request, { verb: 'list', namespace: filter.namespace ?? '' });
    return store.listEvents(filter, limit, cursor || undefined, order);
  });

  app.get('/api/v1/blame', async (request) => {
    const query = new QueryReader(request.query, Date.now());
    const namespace = query.string('namespace') ?? '';
    const kind = query.required('kind');
    const name = query.required('name');
    const group = query.string('group');
    query.rejectUnknown();
    await access.check(request, { verb: 'list', namespace });
    const key = await resolveObjectKey(store, namespace, kind, name, group);
    const history = materializeHistory(await store.history(key));
    if (history.length === 0) throw new HttpError(404, `no recorded changes of ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
    return { object: key, ...blameObject(history) };
  });

  app.get('/api/v1/history', async (request, reply) => {
    const query = new QueryReader(request.query, Date.now());
    const namespace = query.string('namespace') ?? '';
    const kind = query.required('kind');
    const name = query.required('name');
    const group = query.string('group');
    const sinceMs = query.time('since');
    const untilMs = query.time('until');
    const format = query.choice('format', HISTORY_FORMATS, 'json');
    query.rejectUnknown();
    await access.check(request, { verb: 'list', namespace });
    const key = await resolveObjectKey(store, namespace, kind, name, group);
    const events = materializeHistory(await store.history(key, { sinceMs, untilMs }));
    if (format === 'json') return { object: key, items: events };
    const rendered = renderHistory(events, format);
    if (typeof rendered === 'string') {
      void reply.type(format === 'yaml' ? 'application/yaml; charset=utf-8' : 'text/x-diff; charset=utf-8');
    }
    return rendered;
  });

  app.get('/api/v1/overview', (request) => readOverview(request, store, access));
}

/** The cluster overview (`since`, default 24h; `topUsers`): needs read access across all namespaces. */
export async function readOverview(request: FastifyRequest, store: EventStore, access: ReadAccess) {
  const now = Date.now();
  const query = new QueryReader(request.query, now);
  const sinceMs = query.time('since') ?? now - DAY_MS;
  const topUsers = query.integer('topUsers', 3, 1, 20);
  query.rejectUnknown();
  await access.check(request, { verb: 'list', namespace: '' });
  return { since: new Date(sinceMs).toISOString(), namespaces: await store.overview(sinceMs, topUsers) };
}
