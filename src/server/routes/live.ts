// `GET /api/v1/events/live`: new changes as server-sent events, with the filters and the access check of
// `/api/v1/events`. One poller per server reads the newest events while anyone listens, so a change recorded by
// any replica of a shared store shows up, and listeners cost no store reads of their own.
import type { FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { ChangeEvent } from '../../event.ts';
import { parseJson } from '../../exact-json.ts';
import type { EventPage, EventFilter } from '../../store/types.ts';
import type { Reads } from '../../read/requests.ts';
import { liveFilter, LiveQuery } from '../query-params.ts';
import type { Static } from 'typebox';
import type { ReadRoutesOptions } from './read-plugin.ts';

const POLL_MS = 1000;
const HEARTBEAT_MS = 15_000;
const POLL_PAGE = 200;

export type LiveFilter = Omit<EventFilter, 'sinceMs' | 'untilMs'>;

/** Pure: does the event pass the filter, as the store's list would decide. */
export function matchesLiveFilter(event: ChangeEvent, filter: LiveFilter): boolean {
  return (filter.namespace === undefined || event.namespace === filter.namespace)
    && (filter.group === undefined || event.group === filter.group)
    && (filter.kind === undefined || event.kind === filter.kind)
    && (filter.name === undefined || event.name === filter.name)
    && (filter.user === undefined || event.user.username === filter.user)
    && (filter.userGroup === undefined || event.user.groups.includes(filter.userGroup))
    && (filter.operation === undefined || event.operation === filter.operation);
}

interface Listener {
  filter: LiveFilter;
  response: ServerResponse;
}

function send(response: ServerResponse, event: string, data: unknown): void {
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

class LivePoller {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private lastId: number | undefined;
  private polling = false;

  private readonly reads: Reads;
  private readonly onError: (error: Error) => void;

  constructor(reads: Reads, onError: (error: Error) => void) {
    this.reads = reads;
    this.onError = onError;
  }

  private async newest(): Promise<EventPage> {
    const answer = await this.reads.answer({ kind: 'events', list: { filter: {}, limit: POLL_PAGE, order: 'desc' } });
    return parseJson(answer.body) as EventPage;
  }

  async add(listener: Listener): Promise<void> {
    if (this.lastId === undefined) this.lastId = Number((await this.newest()).items[0]?.id ?? 0);
    this.listeners.add(listener);
    this.timer ??= setInterval(() => void this.poll(), POLL_MS);
  }

  remove(listener: Listener): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.lastId = undefined;
    }
  }

  private async poll(): Promise<void> {
    if (this.polling || this.lastId === undefined) return;
    this.polling = true;
    try {
      const page = await this.newest();
      const last = this.lastId;
      const fresh = page.items.filter((event) => Number(event.id) > last).reverse();
      if (fresh.length === 0) return;
      this.lastId = Number(fresh[fresh.length - 1]!.id);
      // More than a page arrived within one poll: listeners reload their list instead of missing some.
      const gap = fresh.length === POLL_PAGE;
      for (const listener of this.listeners) {
        if (gap) send(listener.response, 'gap', {});
        else for (const event of fresh) if (matchesLiveFilter(event, listener.filter)) send(listener.response, 'change', event);
      }
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.polling = false;
    }
  }

  close(): void {
    for (const listener of this.listeners) listener.response.end();
    this.listeners.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export const liveRoutes: FastifyPluginAsync<ReadRoutesOptions> = async (app, { reads, access }) => {
  const poller = new LivePoller(reads, (error) => app.log.error({ err: error }, 'live updates: reading the newest events failed'));
  app.addHook('onClose', async () => poller.close());

  app.get('/api/v1/events/live', { schema: { querystring: LiveQuery } }, async (request, reply) => {
    const filter: LiveFilter = liveFilter(request.query as Static<typeof LiveQuery>);
    await access.check(request, { verb: 'list', namespace: filter.namespace ?? '' });
    const response = reply.raw;
    const listener: Listener = { filter, response };
    await poller.add(listener);
    reply.hijack();
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    response.write(': connected\n\n');
    send(response, 'ready', { filter });
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), HEARTBEAT_MS);
    request.raw.socket.once('close', () => {
      clearInterval(heartbeat);
      poller.remove(listener);
    });
  });
};
