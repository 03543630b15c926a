// A Kubernetes API server with logistis behind it, for the kubectl-blame tests. The logistis part is real: the
// real app (buildApp, its routes, schemas and read handlers) over a real SQLite store in a temp dir, seeded with
// the format fixtures' events, reached through Fastify inject. The API server's own part is recorded: discovery
// documents, live objects, and answers it gives by itself (403, 404 when logistis is not installed). As a
// KubeApi for run() tests, or over HTTPS for the real entry point.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { API_GROUP } from '../../../src/api/change.ts';
import { ApiError, type GetOptions, type KubeApi, type KubeSession, type KubeStatus } from '../../../src/cli/blame/kube-client.ts';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import { createTestApp, type TestApp } from '../../support/app.ts';

export const FIXTURES = new URL('./fixtures/', import.meta.url);
export const CHANGES = `/apis/${API_GROUP}/v1alpha1`;

export function cliFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

export interface Answer {
  status: number;
  body: unknown;
}

export interface Request {
  path: string;
  query: Record<string, string>;
  accept: string;
}

export function status(code: number, reason: string, message: string, details?: KubeStatus['details']): Answer {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...(details ? { details } : {}) } };
}

export interface ClusterOptions {
  /** Live objects by URL path. */
  objects?: Record<string, JsonObject>;
  /** Answers the API server gives itself, before logistis is asked, by path prefix. */
  failures?: Record<string, Answer>;
  /** Serve legacy discovery only (a server before aggregated discovery). */
  legacyDiscovery?: boolean;
  /** Ask logistis for at most this many changes a page, as a page cut short at its byte cap does, to exercise `continue`. */
  pageSize?: number;
}

const AGGREGATED = 'as=APIGroupDiscoveryList';

export interface Logistis {
  app: TestApp;
  /** The ID the store gave each fixture event, by the fixture's own ID. */
  ids: ReadonlyMap<string, string>;
}

/**
 * The real logistis app over a temp SQLite store holding `events`. They are recorded oldest first, as a running
 * server records them (the store numbers events in the order it records them, and lists them in that order).
 */
export async function startLogistis(events: readonly ChangeEvent[]): Promise<Logistis> {
  const app = await createTestApp();
  const oldestFirst = [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  if (oldestFirst.length > 0) await app.store.append(oldestFirst.map(({ id: _id, ...event }) => event));
  const stored = await app.store.listEvents({}, 1000, undefined, 'asc');
  const idOf = new Map(stored.items.map((event) => [event.requestUid, event.id]));
  return { app, ids: new Map(events.map((event) => [event.id, idOf.get(event.requestUid)!])) };
}

/** Answers a request to the changes API: a running logistis reached some other way than Fastify inject. */
export type ChangesBackend = (path: string, query: Record<string, string>, accept: string) => Promise<Answer>;

export class TestCluster {
  readonly requests: Request[] = [];
  readonly options: ClusterOptions;
  private readonly logistis: TestApp | ChangesBackend | undefined;

  /** Without `logistis`, the cluster has no logistis installed: its API is not found. */
  constructor(options: ClusterOptions = {}, logistis?: TestApp | ChangesBackend) {
    this.options = options;
    this.logistis = logistis;
  }

  async answer(path: string, query: Record<string, string>, accept: string): Promise<Answer> {
    this.requests.push({ path, query, accept });
    for (const [prefix, answer] of Object.entries(this.options.failures ?? {})) if (path.startsWith(prefix)) return answer;
    if (path.startsWith(`${CHANGES}/`) && this.logistis) return this.askLogistis(this.logistis, path, query, accept);
    const aggregated = accept.includes(AGGREGATED) && !this.options.legacyDiscovery;
    if (path === '/api') return { status: 200, body: aggregated ? cliFixture('discovery-api.aggregated.json') : { kind: 'APIVersions', versions: ['v1'] } };
    if (path === '/apis') return { status: 200, body: cliFixture(aggregated ? 'discovery-apis.aggregated.json' : 'discovery-apis.json') };
    if (path === '/api/v1') return { status: 200, body: cliFixture('discovery-api-v1.json') };
    if (path === '/apis/apps/v1') return { status: 200, body: cliFixture('discovery-apis-apps-v1.json') };
    if (path === '/apis/example.com/v1') return { status: 200, body: cliFixture('discovery-apis-example.com-v1.json') };
    const object = this.options.objects?.[path];
    if (object) return { status: 200, body: object };
    return status(404, 'NotFound', 'the server could not find the requested resource');
  }

  private async askLogistis(logistis: TestApp | ChangesBackend, path: string, query: Record<string, string>, accept: string): Promise<Answer> {
    const forwarded = { ...query };
    const { pageSize } = this.options;
    if (pageSize !== undefined && forwarded.limit !== undefined) forwarded.limit = String(Math.min(Number(forwarded.limit), pageSize));
    if (typeof logistis === 'function') return logistis(path, forwarded, accept);
    const response = await logistis.app.inject({ method: 'GET', url: path, query: forwarded, headers: { accept } });
    return { status: response.statusCode, body: response.json() };
  }

  api(): KubeApi {
    return {
      server: 'https://cluster.example:6443',
      getJson: async (path: string, options: GetOptions = {}) => {
        const query: Record<string, string> = {};
        for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) query[k] = v;
        const { status: code, body } = await this.answer(path, query, options.accept ?? 'application/json');
        if (code < 200 || code > 299) {
          const s = body as KubeStatus;
          throw new ApiError(code, path, s?.kind === 'Status' ? s : undefined, JSON.stringify(body));
        }
        return body;
      },
    };
  }

  session(defaultNamespace = 'shop'): KubeSession {
    return { api: this.api(), defaultNamespace, contextName: 'test' };
  }

  /** Serves the cluster over HTTPS on 127.0.0.1, checking the bearer token, as the real entry point talks to it. */
  async listen(tls: { cert: string; key: string }, token: string): Promise<{ server: Server; url: string }> {
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const answered = req.headers.authorization !== `Bearer ${token}`
        ? Promise.resolve(status(401, 'Unauthorized', 'Unauthorized'))
        : this.answer(url.pathname, Object.fromEntries(url.searchParams), String(req.headers.accept ?? ''));
      void answered.then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
}
