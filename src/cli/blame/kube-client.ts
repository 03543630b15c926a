// GET requests to the Kubernetes API server with the user's own kubeconfig credentials (token, client
// certificate, exec plugin, CA, TLS server name, proxy): a plain kubeconfig (one file, token or certificate) is read
// by plain-kubeconfig.ts, any other by @kubernetes/client-node's KubeConfig, loaded only then; either fills in the
// request options; we make the request and turn failures into ApiError / UnreachableError.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseJson } from '../../exact-json.ts';
import { BlameError } from './errors.ts';
import type { Connection } from './options.ts';
import { readPlainKubeConfig, type PlainKubeConfig } from './plain-kubeconfig.ts';

/** A Kubernetes `Status`, as the API server (and logistis behind it) answers errors. */
export interface KubeStatus {
  kind: 'Status';
  code?: number;
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string };
}

/** The API server answered, with an error status. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly path: string;
  readonly kubeStatus: KubeStatus | undefined;

  constructor(status: number, path: string, kubeStatus: KubeStatus | undefined, text: string) {
    super(kubeStatus?.message ?? (text.trim().slice(0, 300) || `HTTP ${status}`));
    this.status = status;
    this.path = path;
    this.kubeStatus = kubeStatus;
  }
}

/** No answer from the API server at all (refused, DNS, TLS, timeout). */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
  readonly server: string;

  constructor(server: string, message: string) {
    super(message);
    this.server = server;
  }
}

export interface GetOptions {
  query?: Record<string, string | undefined>;
  accept?: string;
}

/** What kubectl-blame needs from the API server: JSON by GET. Tests give a fake. */
export interface KubeApi {
  /** The API server's URL, for messages. */
  readonly server: string;
  getJson(path: string, options?: GetOptions): Promise<unknown>;
}

export interface KubeSession {
  api: KubeApi;
  /** The context's namespace, or `default`. */
  defaultNamespace: string;
  /** The context's name, for messages. */
  contextName: string;
}

/** Largest response we read: a full page of 1000 changes of big objects fits; a runaway answer does not. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 60_000;
/** 502/503/504 are retried this many times (an aggregated API restarting); 401/403/404 never are. */
const RETRIES = 2;
const RETRY_DELAY_MS = 400;
const RETRIABLE = new Set([502, 503, 504]);

const USER_AGENT = 'kubectl-blame (logistis)';

/** Loads the kubeconfig the kubectl way: --kubeconfig, then KUBECONFIG, then ~/.kube/config, then in-cluster. */
export async function openSession(connection: Connection): Promise<KubeSession> {
  const what = connection.kubeconfig ? `--kubeconfig ${connection.kubeconfig}` : 'the kubeconfig';
  let plain: PlainKubeConfig | null;
  try {
    plain = readPlainKubeConfig(connection);
  } catch (error) {
    throw new BlameError(`cannot load ${what}: ${(error as Error).message}`);
  }
  if (plain) {
    const { tls, headers } = plain;
    return {
      api: new KubeConfigApi(plain.server, plain.contextName, (options) => {
        Object.assign(options, tls);
        options.headers = { ...(options.headers as Record<string, string>), ...headers };
      }),
      defaultNamespace: plain.namespace?.trim() || 'default',
      contextName: plain.contextName,
    };
  }
  const { loadKubeConfig } = await import('../../kube/config.ts');
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(connection);
  } catch (error) {
    throw new BlameError(`cannot load ${what}: ${(error as Error).message}`);
  }
  const context = kc.getContextObject(kc.getCurrentContext());
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new BlameError(`the kubeconfig context "${kc.getCurrentContext()}" names no cluster; check it with kubectl config view`);
  return {
    api: new KubeConfigApi(cluster.server, kc.getCurrentContext(), (options) => kc.applyToHTTPSOptions(options)),
    defaultNamespace: context?.namespace?.trim() || 'default',
    contextName: kc.getCurrentContext(),
  };
}

function isStatus(body: unknown): body is KubeStatus {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Fills a request's options with what authenticates it: credentials, CA, client certificate, TLS server name, agent. */
type ApplyCredentials = (options: RequestOptions) => Promise<void> | void;

class KubeConfigApi implements KubeApi {
  readonly server: string;
  readonly #contextName: string;
  readonly #apply: ApplyCredentials;

  constructor(server: string, contextName: string, apply: ApplyCredentials) {
    this.server = server;
    this.#contextName = contextName;
    this.#apply = apply;
  }

  async getJson(path: string, options: GetOptions = {}): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#get(path, options);
      } catch (error) {
        if (error instanceof ApiError && RETRIABLE.has(error.status) && attempt < RETRIES) {
          await sleep(RETRY_DELAY_MS * 2 ** attempt);
          continue;
        }
        throw error;
      }
    }
  }

  async #get(path: string, options: GetOptions): Promise<unknown> {
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const requestOptions: RequestOptions = {
      method: 'GET',
      headers: { accept: options.accept ?? 'application/json', 'user-agent': USER_AGENT },
    };
    try {
      // Credentials, CA, client certificate, TLS server name, proxy agent: exactly what the kubeconfig says.
      await this.#apply(requestOptions);
    } catch (error) {
      throw new BlameError(`cannot get credentials for context "${this.#contextName}": ${(error as Error).message}`);
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const { status, text, contentType } = await new Promise<{ status: number; text: string; contentType: string }>((resolve, reject) => {
      const req = send(url, requestOptions, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new UnreachableError(this.server, `the answer to GET ${path} is larger than ${MAX_RESPONSE_BYTES >> 20} MiB`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new UnreachableError(this.server, `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        reject(error instanceof UnreachableError ? error : new UnreachableError(this.server, error.code ? `${error.code}: ${error.message}` : error.message));
      });
      req.end();
    });
    let body: unknown;
    if (contentType.includes('json') || text.startsWith('{')) {
      try {
        body = parseJson(text);
      } catch {
        body = undefined;
      }
    }
    if (status < 200 || status > 299) throw new ApiError(status, path, isStatus(body) ? body : undefined, text);
    if (body === undefined) throw new ApiError(status, path, undefined, `GET ${path}: the answer is not JSON: ${text.slice(0, 200)}`);
    return body;
  }
}
