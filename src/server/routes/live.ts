// `GET /api/v1/events/live`: new changes as server-sent events, with the filters and the access check of
// `/api/v1/events`. One poller per server reads the newest events while anyone listens, so a change recorded by
// any replica of a shared store shows up, and listeners cost no store reads of their own. A stream holds its
// connection for as long as it lasts, so streams are capped per server and per user (429 beyond), and they
// end when the server starts closing. Each event goes out as the reader serialised it, never parsed here.
import type { FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { EventFilter } from '../../store/types.ts';
import { matchesFilter } from '../../store/event-filter.ts';
import type { LiveEvent, LiveFields, Reads } from '../../read/requests.ts';
import { liveFilter, LiveQuery } from '../query-params.ts';
import type { Static } from 'typebox';
import type { ReadRoutesOptions } from './read-plugin.ts';
import type { LiveStreamLimits } from '../../config/serve-config.ts';
import type { Metrics } from '../metrics.ts';
import { HttpError } from '../errors.ts';

const POLL_MS = 1000;
const HEARTBEAT_MS = 15_000;
const POLL_PAGE = 200;

export type LiveFilter = Omit<EventFilter, 'sinceMs' | 'untilMs'>;

/** Pure: does the event pass the filter, as the store's list would decide (the one filter table, store/event-filter.ts). */
export function matchesLiveFilter(event: LiveFields, filter: LiveFilter): boolean {
  return matchesFilter(event, filter);
}

/** Which cap a new stream would pass: null when neither. */
export type LiveStreamCap = 'server' | 'user' | null;

/** Open streams, per server and per caller (pure bookkeeping). */
export class LiveStreamSlots {
  private total = 0;
  private readonly perCaller = new Map<string, number>();
  private readonly limits: LiveStreamLimits;

  constructor(limits: LiveStreamLimits) {
    this.limits = limits;
  }

  /** Takes a slot for `caller`, or answers which cap is full (and takes nothing). */
  take(caller: string): LiveStreamCap {
    if (this.total >= this.limits.perServer) return 'server';
    const held = this.perCaller.get(caller) ?? 0;
    if (held >= this.limits.perUser) return 'user';
    this.total++;
    this.perCaller.set(caller, held + 1);
    return null;
  }

  release(caller: string): void {
    const held = this.perCaller.get(caller) ?? 0;
    if (held === 0) return;
    this.total--;
    if (held === 1) this.perCaller.delete(caller);
    else this.perCaller.set(caller, held - 1);
  }

  get open(): number {
    return this.total;
  }
}

interface Listener {
  filter: LiveFilter;
  response: ServerResponse;
}

/** `json` is one line: JSON.stringify's text, as the reader made it. */
function sendText(response: ServerResponse, event: string, json: string): void {
  response.write(`event: ${event}\ndata: ${json}\n\n`);
}

function send(response: ServerResponse, event: string, data: unknown): void {
  sendText(response, event, JSON.stringify(data));
}

class LivePoller {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private lastId: string | undefined;
  private polling = false;
  private closed = false;

  private readonly reads: Reads;
  private readonly onError: (error: Error) => void;

  constructor(reads: Reads, onError: (error: Error) => void) {
    this.reads = reads;
    this.onError = onError;
  }

  /** Of the newest `limit` events, those after `afterId`, newest first. */
  private async newest(limit: number, afterId?: string): Promise<LiveEvent[]> {
    const answer = await this.reads.answer({ kind: 'live', limit, ...(afterId === undefined ? {} : { afterId }) });
    return answer.events ?? [];
  }

  /** False when the server began closing meanwhile: the listener is not added. */
  async add(listener: Listener): Promise<boolean> {
    if (this.lastId === undefined) this.lastId = (await this.newest(1))[0]?.id ?? '0';
    if (this.closed) return false;
    this.listeners.add(listener);
    this.timer ??= setInterval(() => void this.poll(), POLL_MS);
    return true;
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
      const fresh = (await this.newest(POLL_PAGE, this.lastId)).reverse();
      if (fresh.length === 0) return;
      this.lastId = fresh[fresh.length - 1]!.id;
      // More than a page arrived within one poll: listeners reload their list instead of missing some.
      const gap = fresh.length === POLL_PAGE;
      for (const listener of this.listeners) {
        if (gap) send(listener.response, 'gap', {});
        else for (const event of fresh) if (matchesLiveFilter(event.fields, listener.filter)) sendText(listener.response, 'change', event.json);
      }
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.polling = false;
    }
  }

  get closing(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const listener of this.listeners) listener.response.end();
    this.listeners.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export interface LiveRoutesOptions extends ReadRoutesOptions {
  limits: LiveStreamLimits;
  metrics: Metrics;
}

export const liveRoutes: FastifyPluginAsync<LiveRoutesOptions> = async (app, { reads, access, limits, metrics }) => {
  const poller = new LivePoller(reads, (error) => app.log.error({ err: error }, 'live updates: reading the newest events failed'));
  const slots = new LiveStreamSlots(limits);
  // preClose, before the server waits for its connections: an open stream would hold the shutdown forever.
  app.addHook('preClose', async () => poller.close());

  app.get('/api/v1/events/live', { schema: { querystring: LiveQuery } }, async (request, reply) => {
    if (poller.closing) throw new HttpError(503, 'the server is shutting down; reconnect in a moment');
    const filter: LiveFilter = liveFilter(request.query as Static<typeof LiveQuery>);
    const user = await access.check(request, { verb: 'list', namespace: filter.namespace ?? '' });
    const caller = user ? `user ${user.username}` : `address ${request.ip}`;
    const full = slots.take(caller);
    if (full) {
      metrics.liveStreamsRefused.inc({ limit: full });
      throw new HttpError(429, full === 'server'
        ? `too many live-update streams on this server (--max-live-streams ${limits.perServer}); try again later`
        : `${user ? `user "${user.username}"` : `client ${request.ip}`} already has ${limits.perUser} live-update streams open (--max-live-streams-per-user); close one (a dashboard tab) first`);
    }
    metrics.liveStreams.inc();
    const response = reply.raw;
    const listener: Listener = { filter, response };
    let open = true;
    const end = () => {
      if (!open) return;
      open = false;
      poller.remove(listener);
      slots.release(caller);
      metrics.liveStreams.dec();
    };
    // The response closes when the stream ends, from either side; registered before the first await so that a
    // client gone during it still frees its slot.
    response.once('close', end);
    let added: boolean;
    try {
      added = await poller.add(listener);
    } catch (error) {
      end();
      throw error;
    }
    if (!added) {
      end();
      throw new HttpError(503, 'the server is shutting down; reconnect in a moment');
    }
    if (!open) {
      // The client left while the poller started: end() ran before add().
      poller.remove(listener);
      reply.hijack();
      return;
    }
    reply.hijack();
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    response.write(': connected\n\n');
    send(response, 'ready', { filter });
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), HEARTBEAT_MS);
    response.once('close', () => clearInterval(heartbeat));
  });
};
