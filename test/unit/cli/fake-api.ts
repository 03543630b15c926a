// A stand-in for the Kubernetes API server with logistis behind it: recorded discovery documents, the format
// fixtures' events served as the aggregated `changes` API (filters, order, paging as the server does them),
// live objects, and injected failures. As a KubeApi for run() tests, or over HTTPS for the real entry point.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { toChange, type Change } from '../../../src/api/change.ts';
import { ApiError, type GetOptions, type KubeApi, type KubeSession, type KubeStatus } from '../../../src/cli/blame/kube-client.ts';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import type { Overview } from '../../../src/api/overview.ts';

export const FIXTURES = new URL('./fixtures/', import.meta.url);
export const CHANGES = '/apis/audit.logistis.io/v1alpha1';

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

export interface FakeOptions {
  events?: ChangeEvent[];
  /** Live objects by URL path. */
  objects?: Record<string, JsonObject>;
  overview?: Overview;
  /** Answers that win over everything else, by path prefix. */
  failures?: Record<string, Answer>;
  /** Serve legacy discovery only (a server before aggregated discovery). */
  legacyDiscovery?: boolean;
  /** Largest page the fake serves, to exercise `continue`. */
  pageSize?: number;
}

const AGGREGATED = 'as=APIGroupDiscoveryList';

export class FakeCluster {
  readonly requests: Request[] = [];
  readonly options: FakeOptions;

  constructor(options: FakeOptions = {}) {
    this.options = options;
  }

  answer(path: string, query: Record<string, string>, accept: string): Answer {
    this.requests.push({ path, query, accept });
    for (const [prefix, answer] of Object.entries(this.options.failures ?? {})) if (path.startsWith(prefix)) return answer;
    const aggregated = accept.includes(AGGREGATED) && !this.options.legacyDiscovery;
    if (path === '/api') return { status: 200, body: aggregated ? cliFixture('discovery-api.aggregated.json') : { kind: 'APIVersions', versions: ['v1'] } };
    if (path === '/apis') return { status: 200, body: cliFixture(aggregated ? 'discovery-apis.aggregated.json' : 'discovery-apis.json') };
    if (path === '/api/v1') return { status: 200, body: cliFixture('discovery-api-v1.json') };
    if (path === '/apis/apps/v1') return { status: 200, body: cliFixture('discovery-apis-apps-v1.json') };
    if (path === '/apis/example.com/v1') return { status: 200, body: cliFixture('discovery-apis-example.com-v1.json') };
    if (path === `${CHANGES}/overview`) {
      return this.options.overview ? { status: 200, body: this.options.overview } : status(404, 'NotFound', 'the server could not find the requested resource');
    }
    const one = new RegExp(`^${CHANGES}/namespaces/([^/]+)/changes/([^/]+)$`).exec(path);
    if (one) {
      const change = this.changes().find((c) => c.metadata.name === decodeURIComponent(one[2]!) && c.target.namespace === one[1]);
      return change
        ? { status: 200, body: change }
        : status(404, 'NotFound', `changes.audit.logistis.io "${one[2]}" not found`, { name: one[2]!, group: 'audit.logistis.io', kind: 'changes' });
    }
    const list = new RegExp(`^${CHANGES}(?:/namespaces/([^/]+))?/changes$`).exec(path);
    if (list) return { status: 200, body: this.list(list[1], query) };
    const object = this.options.objects?.[path];
    if (object) return { status: 200, body: object };
    return status(404, 'NotFound', 'the server could not find the requested resource');
  }

  changes(): Change[] {
    return (this.options.events ?? []).map(toChange);
  }

  /** The list as the aggregated API answers it: filters, order (desc by default), limit and continue. */
  list(namespace: string | undefined, query: Record<string, string>): unknown {
    const known = ['limit', 'continue', 'group', 'kind', 'name', 'user', 'userGroup', 'operation', 'since', 'until', 'order', 'clusterScoped'];
    for (const key of Object.keys(query)) if (!known.includes(key)) throw new Error(`fake: unknown query parameter ${key}`);
    let items = this.changes().filter((c) => {
      const t = c.target;
      if (namespace !== undefined && t.namespace !== namespace) return false;
      if (query.clusterScoped === 'true' && t.namespace !== '') return false;
      if (query.group !== undefined && t.group !== query.group) return false;
      if (query.kind !== undefined && t.kind !== query.kind) return false;
      if (query.name !== undefined && t.name !== query.name) return false;
      if (query.user !== undefined && c.user.username !== query.user) return false;
      if (query.userGroup !== undefined && !c.user.groups.includes(query.userGroup)) return false;
      if (query.operation !== undefined && c.operation !== query.operation) return false;
      if (query.since !== undefined && Date.parse(c.time) < Date.parse(query.since)) return false;
      if (query.until !== undefined && Date.parse(c.time) >= Date.parse(query.until)) return false;
      return true;
    });
    items.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    if (query.order !== 'asc') items.reverse();
    const start = query.continue ? Number(query.continue) : 0;
    const limit = Math.min(Number(query.limit ?? 500), this.options.pageSize ?? Infinity);
    const page = items.slice(start, start + limit);
    const next = start + limit < items.length ? String(start + limit) : undefined;
    items = page;
    return { apiVersion: 'audit.logistis.io/v1alpha1', kind: 'ChangeList', metadata: next ? { continue: next } : {}, items };
  }

  api(): KubeApi {
    return {
      server: 'https://fake.example:6443',
      getJson: async (path: string, options: GetOptions = {}) => {
        const query: Record<string, string> = {};
        for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) query[k] = v;
        const { status: code, body } = this.answer(path, query, options.accept ?? 'application/json');
        if (code < 200 || code > 299) {
          const s = body as KubeStatus;
          throw new ApiError(code, path, s?.kind === 'Status' ? s : undefined, JSON.stringify(body));
        }
        return structuredClone(body);
      },
    };
  }

  session(defaultNamespace = 'shop'): KubeSession {
    return { api: this.api(), defaultNamespace, contextName: 'fake' };
  }

  /** Serves the fake over HTTPS on 127.0.0.1, checking the bearer token, as the real entry point talks to it. */
  async listen(tls: { cert: string; key: string }, token: string): Promise<{ server: Server; url: string }> {
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      let answer: Answer;
      if (req.headers.authorization !== `Bearer ${token}`) answer = status(401, 'Unauthorized', 'Unauthorized');
      else answer = this.answer(url.pathname, Object.fromEntries(url.searchParams), String(req.headers.accept ?? ''));
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
}
