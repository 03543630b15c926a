// A Kubernetes API server played back from recorded answers, over real HTTP on 127.0.0.1: lists, watch streams
// (one JSON watch event a line, as kube-apiserver sends them, held open until the test ends them) and discovery.
// For the tests of what talks to the API server through @kubernetes/client-node (src/kube/informers.ts,
// src/provenance/watcher.ts) below the end-to-end level; the answers are in the API server's own shapes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/** One line of a watch stream, as kube-apiserver sends it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: object;
}

/** How one watch request is answered: a status other than 200 (with a Status body), or a stream of events. */
export interface WatchAnswer {
  status?: number;
  events?: WatchEvent[];
  /** Keep the stream open after its events (the default), or end it as the API server does at its timeout. */
  end?: boolean;
}

export interface RecordedRequest {
  path: string;
  watch: boolean;
  resourceVersion?: string;
  atMs: number;
}

/** The API server's Status answer, e.g. the watch event of a resourceVersion too old (410 Expired). */
export function statusObject(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export class RecordedApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #lists = new Map<string, { status: number; body: object }[]>();
  readonly #watches = new Map<string, WatchAnswer[]>();
  readonly #documents = new Map<string, object>();
  readonly #open = new Map<string, Set<ServerResponse>>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<RecordedApiServer> {
    const server = createServer();
    const api = new RecordedApiServer(server);
    server.on('request', (request, response) => api.#answer(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig with this server as its cluster, as `kubectl config view --minify` would write it. */
  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'recorded', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'tester', token: 'recorded-token' }],
      contexts: [{ name: 'recorded', cluster: 'recorded', user: 'tester' }],
      currentContext: 'recorded',
    });
    return config;
  }

  /** A document answered as it is (discovery), by path. */
  document(path: string, body: object): void {
    this.#documents.set(path, body);
  }

  /** The answers to the next lists of `path`, in order; the last one answers every list after it. */
  lists(path: string, ...answers: ({ status: number; body: object } | object)[]): void {
    this.#lists.set(path, answers.map((answer) => ('status' in answer && 'body' in answer ? answer : { status: 200, body: answer })));
  }

  /** The answers to the next watches of `path`, in order; past the last, a watch is held open with no events. */
  watches(path: string, ...answers: WatchAnswer[]): void {
    this.#watches.set(path, answers);
  }

  /** Sends an event down every open watch of `path`. */
  push(path: string, event: WatchEvent): void {
    for (const response of this.#open.get(path) ?? []) response.write(`${JSON.stringify(event)}\n`);
  }

  /** Ends every open watch of `path`, as the API server does when its watch timeout passes. */
  endWatches(path: string): void {
    for (const response of this.#open.get(path) ?? []) response.end();
  }

  openWatches(path: string): number {
    return this.#open.get(path)?.size ?? 0;
  }

  requestsOf(path: string, watch: boolean): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path && request.watch === watch);
  }

  async close(): Promise<void> {
    for (const responses of this.#open.values()) for (const response of responses) response.end();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answer(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const watch = url.searchParams.get('watch') === 'true';
    const resourceVersion = url.searchParams.get('resourceVersion') ?? undefined;
    this.requests.push({ path, watch, ...(resourceVersion === undefined ? {} : { resourceVersion }), atMs: Date.now() });
    const json = (status: number, body: object) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const document = this.#documents.get(path);
    if (document) return json(200, document);
    if (watch) {
      const queue = this.#watches.get(path) ?? [];
      const answer = queue.length > 0 ? queue.shift()! : {};
      if (answer.status && answer.status !== 200) return json(answer.status, statusObject(answer.status, 'InternalError', `recorded answer ${answer.status}`));
      response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      // The API server answers a watch's headers at once; the client counts the watch as established then.
      response.flushHeaders();
      for (const event of answer.events ?? []) response.write(`${JSON.stringify(event)}\n`);
      if (answer.end) return void response.end();
      const open = this.#open.get(path) ?? new Set();
      this.#open.set(path, open);
      open.add(response);
      response.on('close', () => open.delete(response));
      return;
    }
    const lists = this.#lists.get(path);
    if (!lists || lists.length === 0) return json(404, statusObject(404, 'NotFound', `the server could not find the requested resource (get ${path})`));
    const answer = lists.length > 1 ? lists.shift()! : lists[0]!;
    json(answer.status, answer.body);
  }
}

/** Waits until `check` returns a value (not undefined), polling; fails with `message` after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, message: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
