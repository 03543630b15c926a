// One informer layer for everything the server watches (Locks; later the objects it confirms changes against):
// @kubernetes/client-node's ListWatch keeps the cache and follows the watch; this adds what it leaves to the
// caller. After an error (the API server gone, a 403, a list that failed) the ListWatch stops; we start it again
// with exponential back-off until the API server answers, and it resumes from its last resourceVersion (or lists
// again when that is too old). Every resync period each cached object is delivered again as an update, so
// handlers that depend on time (a Lock's expiry) are re-evaluated. health() says whether the cache is current.
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

export type InformerState = 'starting' | 'synced' | 'failing' | 'stopped';

export interface InformerHealth {
  /** synced: listed and watching; failing: the last attempt failed and a restart is scheduled. */
  state: InformerState;
  /** Has the cache been filled from a list at least once (objects may be stale while failing)? */
  hasSynced: boolean;
  /** When the watch was last (re)established, RFC 3339. */
  lastSyncTime?: string;
  /** The last error, for /readyz and logs. */
  lastError?: string;
  /** Restarts after errors since start(). */
  restarts: number;
  objects: number;
}

export interface InformerHandlers<T> {
  add?(object: T): void;
  update?(object: T): void;
  delete?(object: T): void;
  /** The watch is (re)established: the cache holds what the API server has. */
  synced?(): void;
}

/** pino-compatible. */
export interface InformerLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface InformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** What the watch reads, e.g. /apis/logistis.io/v1alpha1/locks. */
  path: string;
  /** The list call for `path`. */
  list: () => Promise<KubernetesListObject<T>>;
  /** Name for logs and health, e.g. "locks". */
  name: string;
  /** Deliver every cached object again as an update this often; default 30 s, 0 for never. */
  resyncMs?: number;
  /** Back-off of restarts after errors; defaults 500 ms doubling to 30 s. */
  backoff?: { initialMs: number; maxMs: number };
  log?: InformerLog;
  /**
   * What the cache keeps of each object, from the object as listed or watched (origin says which). Provenance
   * keeps a hash instead of the whole object, so a cluster's worth of objects stays small.
   */
  reduce?: (object: T, origin: 'list' | 'watch') => T;
}

const DEFAULT_RESYNC_MS = 30_000;
const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 };

function describe(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { statusCode?: number; code?: number }).statusCode ?? (error as { code?: number | string }).code;
    return status !== undefined ? `${error.message} (${String(status)})` : error.message;
  }
  return String(error);
}

/** An error answer of the API server, with its status code for logs and health. */
export class KubeListError extends Error {
  override name = 'KubeListError';
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

const LIST_TIMEOUT_MS = 60_000;

/**
 * GET a list as the API server sends it. The typed clients turn timestamps into Dates and drop fields their
 * models do not know, so a listed object would not read as the same content as the watch's raw JSON of it.
 */
export async function listRaw<T extends KubernetesObject>(kubeConfig: KubeConfig, path: string): Promise<KubernetesListObject<T>> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(server.replace(/\/+$/, '') + path);
  const options: RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
  await kubeConfig.applyToHTTPSOptions(options);
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = send(url, options, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.setTimeout(LIST_TIMEOUT_MS, () => request.destroy(new Error(`no answer to GET ${path} within ${LIST_TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
    request.end();
  });
  if (status !== 200) {
    let message = text.slice(0, 200);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch { /* not a Status: keep the text */ }
    throw new KubeListError(status, `GET ${path}: ${message}`);
  }
  return JSON.parse(text) as KubernetesListObject<T>;
}

/** A Watch that tells us when the watch request was accepted: by then the ListWatch has applied its list. */
class ObservedWatch extends Watch {
  readonly #established: () => void;
  readonly #reduce: ((object: never) => unknown) | undefined;

  constructor(config: KubeConfig, established: () => void, reduce?: (object: never) => unknown) {
    super(config);
    this.#established = established;
    this.#reduce = reduce;
  }

  override async watch(
    path: string, query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void, done: (err: unknown) => void,
  ): Promise<AbortController> {
    let failed = false;
    const reduce = this.#reduce;
    const deliver = reduce
      ? (phase: string, apiObj: unknown, watchObj?: unknown) => {
        // ERROR and BOOKMARK carry no object to reduce.
        const object = phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? reduce(apiObj as never) : apiObj;
        callback(phase, object, watchObj);
      }
      : callback;
    const controller = await super.watch(path, query, deliver, (error: unknown) => {
      if (error) failed = true;
      done(error);
    });
    if (!failed) this.#established();
    return controller;
  }
}

export class Informer<T extends KubernetesObject> {
  readonly name: string;
  readonly #options: InformerOptions<T>;
  readonly #listWatch: ListWatch<T>;
  readonly #handlers: InformerHandlers<T>[] = [];
  #health: InformerHealth = { state: 'stopped', hasSynced: false, restarts: 0, objects: 0 };
  #backoffMs: number;
  #restartTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: InformerOptions<T>) {
    this.name = options.name;
    this.#options = options;
    this.#backoffMs = (options.backoff ?? DEFAULT_BACKOFF).initialMs;
    const reduce = options.reduce;
    const watch = new ObservedWatch(options.kubeConfig, () => this.#onEstablished(), reduce && ((object: T) => reduce(object, 'watch')));
    const list = reduce
      ? async () => {
        const listed = await options.list();
        return { ...listed, items: listed.items.map((object) => reduce(object, 'list')) };
      }
      : options.list;
    this.#listWatch = new ListWatch<T>(options.path, watch, list, false);
    this.#listWatch.on('add', (object) => this.#emit('add', object));
    this.#listWatch.on('update', (object) => this.#emit('update', object));
    this.#listWatch.on('delete', (object) => this.#emit('delete', object));
    this.#listWatch.on('error', (error: unknown) => this.#onError(error));
  }

  on(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
  }

  list(): readonly T[] {
    return this.#listWatch.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#listWatch.get(name, namespace);
  }

  health(): InformerHealth {
    return { ...this.#health, objects: this.#listWatch.list().length };
  }

  /** Starts listing and watching; returns at once (see health() for progress). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#health = { ...this.#health, state: 'starting', restarts: 0 };
    this.#run();
    const resyncMs = this.#options.resyncMs ?? DEFAULT_RESYNC_MS;
    if (resyncMs > 0) {
      this.#resyncTimer = setInterval(() => this.#resync(), resyncMs);
      this.#resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#restartTimer);
    clearInterval(this.#resyncTimer);
    this.#health = { ...this.#health, state: 'stopped' };
    await this.#listWatch.stop();
  }

  #run(): void {
    this.#listWatch.start().catch((error: unknown) => this.#onError(error));
  }

  #emit(event: 'add' | 'update' | 'delete', object: T): void {
    for (const handlers of this.#handlers) {
      try {
        handlers[event]?.(object);
      } catch (error) {
        // One handler's bug must not stop the watch or the other handlers.
        this.#options.log?.warn({ informer: this.name, event, err: { message: describe(error) } }, 'informer handler failed');
      }
    }
  }

  #onEstablished(): void {
    if (!this.#running) return;
    const recovered = this.#health.state === 'failing';
    this.#backoffMs = (this.#options.backoff ?? DEFAULT_BACKOFF).initialMs;
    const { lastError: _previous, ...rest } = this.#health;
    this.#health = { ...rest, state: 'synced', hasSynced: true, lastSyncTime: new Date().toISOString() };
    if (recovered) this.#options.log?.info({ informer: this.name }, 'watch re-established');
    for (const handlers of this.#handlers) {
      try {
        handlers.synced?.();
      } catch (error) {
        this.#options.log?.warn({ informer: this.name, event: 'synced', err: { message: describe(error) } }, 'informer handler failed');
      }
    }
  }

  #onError(error: unknown): void {
    if (!this.#running) return;
    const message = describe(error);
    const delay = this.#backoffMs;
    const maxMs = (this.#options.backoff ?? DEFAULT_BACKOFF).maxMs;
    this.#backoffMs = Math.min(delay * 2, maxMs);
    this.#health = { ...this.#health, state: 'failing', lastError: message, restarts: this.#health.restarts + 1 };
    this.#options.log?.warn({ informer: this.name, err: { message }, retryInMs: delay }, 'watch failed; restarting');
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      if (this.#running) this.#run();
    }, delay);
    this.#restartTimer.unref();
  }

  #resync(): void {
    for (const object of this.#listWatch.list()) this.#emit('update', object);
  }
}
