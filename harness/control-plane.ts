// A real Kubernetes control plane for tests and the demo: etcd and kube-apiserver built from Go modules by
// scripts/build-control-plane.sh, run on free 127.0.0.1 ports from a temp dir. No controller-manager, no
// scheduler, no kubelet: objects are stored and admitted, nothing reconciles them. See docs/control-plane.md.
//
//   const cp = await startControlPlane();
//   const ns = await cp.createNamespace('blame');
//   await cp.grant('alice', 'edit', ns);
//   await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'c', '--from-literal=k=v']);
//   await cp.stop();
//
// Users authenticate with static tokens: admin (system:masters), alice (dev), bob (ops). Only admin has rights
// until a test calls grant(). Everything is stopped on stop(), on process exit, SIGINT, SIGTERM and uncaught
// errors; a watchdog process also kills the cluster if this process dies without running any handler
// (SIGKILL). LOGISTIS_KEEP_CLUSTER=1 keeps the temp dir (logs, kubeconfig, etcd data) after stop.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { renderWebhookConfiguration, type RenderedWebhookConfiguration, type WebhookConfigOptions } from '../src/deploy/webhook-config.ts';
import { createCa, createClientCert, createServingCert, type CertificateAuthority, type CertFiles } from './certs.ts';

const BUILD_SCRIPT = fileURLToPath(new URL('../scripts/build-control-plane.sh', import.meta.url));
const SERVICE_CIDR = '10.0.0.0/24';
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const CLUSTER_NAME = 'logistis-test';
const FRONT_PROXY_CLIENT = 'front-proxy-client';
/** The common name of the client certificate kube-apiserver presents to webhooks. */
export const WEBHOOK_CLIENT_NAME = 'kube-apiserver-webhook-client';

export interface UserSpec {
  name: string;
  groups: string[];
  /** Defaults to `uid-<name>`. */
  uid?: string;
}

/** The users every control plane has. Tokens are random per cluster. */
export const DEFAULT_USERS: readonly UserSpec[] = [
  { name: 'admin', groups: ['system:masters'], uid: 'uid-admin' },
  { name: 'alice', groups: ['dev'], uid: 'uid-alice' },
  { name: 'bob', groups: ['ops'], uid: 'uid-bob' },
];

export interface StartOptions {
  /** More token users besides admin, alice and bob. */
  users?: UserSpec[];
  /** Extra kube-apiserver flags, appended last. */
  apiserverArgs?: string[];
  /** kube-apiserver log verbosity (--v); default 1. */
  verbosity?: number;
  /** Bound on the wait for /readyz; default 60 s. */
  startTimeoutMs?: number;
  /** Keep the temp dir after stop; default: LOGISTIS_KEEP_CLUSTER=1. */
  keep?: boolean;
  /** Directory with etcd, kube-apiserver, kubectl; default: the output of scripts/build-control-plane.sh. */
  binDir?: string;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `apply -f -`). */
  input?: string;
  /** Resolve with the non-zero exit code instead of throwing. */
  allowFailure?: boolean;
  /** Kill kubectl after this long; default 60 s. */
  timeoutMs?: number;
  /** Extra environment (e.g. PATH for plugins, NO_COLOR). */
  env?: Record<string, string>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON when the response is JSON, else undefined. */
  body: unknown;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface ControlPlane {
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  readonly port: number;
  /** PEM of the CA that signed the API server's certificate (also the client-certificate CA). */
  readonly caCertPem: string;
  readonly caCertPath: string;
  /** The cluster CA with its key, to issue more serving or client certificates. */
  readonly clusterCa: CertificateAuthority;
  /** The aggregation layer's front-proxy CA (--requestheader-client-ca-file). */
  readonly frontProxyCaPath: string;
  readonly frontProxyCaPem: string;
  /** The certificate kube-apiserver presents when it proxies to an APIService (CN front-proxy-client). */
  readonly frontProxyClient: CertFiles;
  /** The CA of the client certificate kube-apiserver presents to every webhook (for --capture-client-ca-file). */
  readonly webhookClientCaPath: string;
  readonly webhookClientCa: CertificateAuthority;
  /** Contexts admin (current), alice, bob (and any extra users); cluster `logistis-test`. */
  readonly kubeconfigPath: string;
  readonly binDir: string;
  /** Temp dir with logs, PKI, kubeconfigs and etcd data. */
  readonly dir: string;
  readonly apiserverLogPath: string;
  readonly etcdLogPath: string;
  readonly etcdUrl: string;
  readonly users: readonly UserSpec[];
  /** Process ids (each one leads its own process group). */
  readonly pids: { etcd: number; apiserver: number; watchdog: number };
  /** Every port the cluster listens on. */
  readonly ports: { apiserver: number; etcdClient: number; etcdPeer: number };
  /** Milliseconds from startControlPlane() to ready, and the parts. */
  readonly timings: { total: number; binaries: number; pki: number; etcd: number; apiserver: number; rbac: number };

  token(user: string): string;
  /** A kubeconfig whose current context is `user`. */
  kubeconfigFor(user: string): string;
  /** Runs kubectl as `user` (KUBECONFIG set, so plugins work); throws with stderr on a non-zero exit. */
  kubectl(user: string, args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** A raw API request as `user` with its bearer token. */
  request(user: string, method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Creates a namespace `<prefix>-<random>` as admin and returns its name. */
  createNamespace(prefix: string): Promise<string>;
  /**
   * Binds a ClusterRole (`edit`, `view`, `admin`, or your own) to a user, or to a group written `group:<name>`:
   * a RoleBinding in `namespace`, or a ClusterRoleBinding without it. Returns once the authorizer honours it.
   */
  grant(subject: string, clusterRole: string, namespace?: string): Promise<void>;
  /** Fills the rules of aggregated ClusterRoles (admin/edit/view); call after adding `aggregate-to-*` roles. */
  aggregateClusterRoles(): Promise<void>;
  /**
   * Stops kube-apiserver (SIGTERM, then SIGKILL after 5 s) and leaves etcd running: the API is unreachable, as
   * when a control-plane node restarts, until startApiserver(). `pids.apiserver` is 0 meanwhile.
   */
  stopApiserver(): Promise<void>;
  /**
   * Starts kube-apiserver again with the same flags: same port, same etcd, same certificates and tokens, so
   * clients and kubeconfigs keep working. Resolves when /readyz answers 200 (bound by startTimeoutMs).
   */
  startApiserver(): Promise<void>;
  /** stopApiserver(), `downMs` (default 0) with no API server, then startApiserver(). */
  restartApiserver(opts?: { downMs?: number }): Promise<void>;
  /** Stops everything; idempotent. Removes `dir` unless kept. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// process bookkeeping: every live cluster, so exit and signal handlers can kill them synchronously

interface Live {
  dir: string;
  keep: boolean;
  pgids: number[];
}

const live = new Set<Live>();
let handlersInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function killAllSync(): void {
  for (const l of live) {
    for (const pgid of l.pgids) killGroup(pgid, 'SIGKILL');
    if (!l.keep) rmSync(l.dir, { recursive: true, force: true });
    else console.error(`control-plane: kept ${l.dir}`);
  }
  live.clear();
}

function onExit(): void {
  killAllSync();
}

function onUncaught(): void {
  killAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllSync();
  uninstallHandlers();
  // Behave as if we had not been listening: the default action ends the process.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', onExit);
  process.on('uncaughtExceptionMonitor', onUncaught);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function uninstallHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.off('exit', onExit);
  process.off('uncaughtExceptionMonitor', onUncaught);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

// ---------------------------------------------------------------------------------------------------------
// small helpers

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value; throws `message` (or the last error) after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T> | T, opts: { timeoutMs?: number; intervalMs?: number; message?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`${opts.message ?? 'condition not met'} within ${opts.timeoutMs ?? 10_000} ms${why}`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Distinct free TCP ports on 127.0.0.1 (free now; a retry covers the race until they are bound). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** True when something accepts connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'HEAD', path: '/', timeout: 1000 });
    req.on('response', (res) => { res.resume(); resolve(true); });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED'));
    req.on('timeout', () => { req.destroy(); resolve(true); });
    req.end();
  });
}

/** True while a process with this pid runs (a zombie, dead but not yet reaped, does not count). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!existsSync('/proc/self/stat')) return true; // no procfs: trust kill(0)
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false; // reaped meanwhile
  }
}

function tail(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Environment for the children: no proxies (the API server would send webhook calls through them). */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(k)) delete env[k];
  return { ...env, NO_PROXY: '127.0.0.1,localhost,.svc', ...extra };
}

function dnsLabel(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'test';
  return `${clean}-${randomBytes(3).toString('hex')}`;
}

const WATCHDOG = `
parent="$1"; dir="$2"; keep="$3"
alive() { # running, and not a zombie that nobody reaped yet
  local stat
  kill -0 "$parent" 2>/dev/null || return 1
  stat="$(cat "/proc/$parent/stat" 2>/dev/null)" || return 0
  stat="\${stat##*) }"
  [ "\${stat%% *}" != Z ]
}
while alive; do sleep 1; done
for pid in $(cat "$dir/pids" 2>/dev/null); do kill -KILL -- "-$pid" 2>/dev/null; done
[ "$keep" = 1 ] || rm -rf "$dir"
`;

interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  logPath: string;
  exited: Promise<void>;
  exitCode: number | null | undefined;
}

async function startProcess(name: string, bin: string, args: string[], logPath: string, pidFile: string, live: Live): Promise<Proc> {
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    // detached: its own process group, so a group kill takes any children with it and a Ctrl-C on the
    // terminal reaches only us (our handlers then kill it).
    child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd], env: childEnv() });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`control-plane: could not start ${bin}: ${err.message}`);
  }
  const pid = child.pid;
  const proc: Proc = { name, child, pid, logPath, exitCode: undefined, exited: Promise.resolve() };
  proc.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    proc.exitCode = code ?? (signal ? -1 : null);
    resolve();
  }));
  child.unref(); // a forgotten stop() must not keep the process alive; the exit handler kills it
  live.pgids.push(pid);
  await appendFile(pidFile, `${pid}\n`);
  return proc;
}

/** Resolves true when `promise` settles within `ms`, false otherwise; leaves no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(resolve, ms, false); });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function stopProcess(proc: Proc, graceMs: number): Promise<void> {
  if (proc.exitCode === undefined) {
    killGroup(proc.pid, 'SIGTERM');
    if (!(await within(proc.exited, graceMs))) {
      killGroup(proc.pid, 'SIGKILL');
      await within(proc.exited, 5000);
    }
  }
  killGroup(proc.pid, 'SIGKILL'); // anything left in its group
}

// ---------------------------------------------------------------------------------------------------------
// RBAC aggregation (the controller-manager's job; no controller-manager runs here)

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

interface ClusterRole {
  metadata: { name: string; labels?: Record<string, string>; resourceVersion?: string };
  rules?: unknown[];
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
}

function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key] ?? '';
    const ok = e.operator === 'In' ? has && (e.values ?? []).includes(value)
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(value)
        : e.operator === 'Exists' ? has
          : e.operator === 'DoesNotExist' ? !has
            : false;
    if (!ok) return false;
  }
  return true;
}

/** The rules each aggregated role should have, computed like the clusterrole-aggregation controller. */
export function aggregateRules(roles: ClusterRole[]): Map<string, unknown[]> {
  const rules = new Map(roles.map((r) => [r.metadata.name, r.rules ?? []]));
  const sorted = [...roles].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  // Aggregated roles can select other aggregated roles (admin selects edit, edit selects view): iterate.
  for (let round = 0; round < 10; round++) {
    let changed = false;
    for (const role of roles) {
      const selectors = role.aggregationRule?.clusterRoleSelectors;
      if (!selectors) continue;
      const next: unknown[] = [];
      const seen = new Set<string>();
      for (const sel of selectors) {
        for (const other of sorted) {
          if (other.metadata.name === role.metadata.name || !selectorMatches(sel, other.metadata.labels ?? {})) continue;
          for (const rule of rules.get(other.metadata.name) ?? []) {
            const key = JSON.stringify(rule);
            if (!seen.has(key)) {
              seen.add(key);
              next.push(rule);
            }
          }
        }
      }
      if (JSON.stringify(next) !== JSON.stringify(rules.get(role.metadata.name))) {
        rules.set(role.metadata.name, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return new Map([...rules].filter(([name]) => roles.find((r) => r.metadata.name === name)?.aggregationRule));
}

// ---------------------------------------------------------------------------------------------------------

class RunningControlPlane implements ControlPlane {
  server = '';
  port = 0;
  caCertPem = '';
  caCertPath = '';
  clusterCa!: CertificateAuthority;
  frontProxyCaPath = '';
  frontProxyCaPem = '';
  frontProxyClient!: CertFiles;
  webhookClientCaPath = '';
  webhookClientCa!: CertificateAuthority;
  kubeconfigPath = '';
  binDir = '';
  dir = '';
  apiserverLogPath = '';
  etcdLogPath = '';
  etcdUrl = '';
  users: UserSpec[] = [];
  pids = { etcd: 0, apiserver: 0, watchdog: 0 };
  ports = { apiserver: 0, etcdClient: 0, etcdPeer: 0 };
  timings = { total: 0, binaries: 0, pki: 0, etcd: 0, apiserver: 0, rbac: 0 };

  #tokens = new Map<string, string>();
  #agent = new Agent({ keepAlive: true, maxSockets: 16 });
  #procs: Proc[] = [];
  #watchdog: ChildProcess | undefined;
  #live: Live = { dir: '', keep: false, pgids: [] };
  #stopping: Promise<void> | undefined;
  /** kube-apiserver's flags as first started, for startApiserver(). */
  #apiserverArgs: string[] = [];
  #startTimeoutMs = 60_000;

  token(user: string): string {
    const t = this.#tokens.get(user);
    if (!t) throw new Error(`control-plane: no user ${JSON.stringify(user)}; users are ${this.users.map((u) => u.name).join(', ')}`);
    return t;
  }

  kubeconfigFor(user: string): string {
    this.token(user);
    return join(this.dir, `kubeconfig-${user}`);
  }

  async kubectl(user: string, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
    const env = childEnv({ KUBECONFIG: this.kubeconfigFor(user), KUBECACHEDIR: join(this.dir, 'kube-cache'), ...opts.env });
    const child = spawn(join(this.binDir, 'kubectl'), args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // kubectl may exit before reading its input
    child.stdin.end(opts.input ?? '');
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
    }).finally(() => clearTimeout(timer));
    const result = { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
    if (code !== 0 && !opts.allowFailure) {
      const e = new Error(`kubectl ${args.join(' ')} (as ${user}) exited ${code}: ${result.stderr.trim() || result.stdout.trim()}`);
      Object.assign(e, result);
      throw e;
    }
    return result;
  }

  request(user: string, method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${this.server}${path}`, {
        method,
        agent: this.#agent,
        ca: this.caCertPem,
        timeout: 30_000,
        headers: {
          authorization: `Bearer ${this.token(user)}`,
          accept: 'application/json',
          'user-agent': 'logistis-test-harness',
          ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          if ((res.headers['content-type'] ?? '').includes('json')) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text, headers: res.headers });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async #must(user: string, method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<ApiResponse> {
    const res = await this.request(user, method, path, body);
    if ((res.status < 200 || res.status > 299) && !okStatuses.includes(res.status)) {
      throw new Error(`control-plane: ${method} ${path} as ${user}: HTTP ${res.status}: ${res.text.slice(0, 500)}`);
    }
    return res;
  }

  async createNamespace(prefix: string): Promise<string> {
    const name = dnsLabel(prefix);
    await this.#must('admin', 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'logistis.io/test': 'true' } },
    });
    return name;
  }

  async grant(subject: string, clusterRole: string, namespace?: string): Promise<void> {
    const isGroup = subject.startsWith('group:');
    const subjectName = isGroup ? subject.slice('group:'.length) : subject;
    const name = `logistis-test:${isGroup ? 'group-' : ''}${subjectName}:${clusterRole}`;
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
      metadata: { name, ...(namespace ? { namespace } : {}) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: isGroup ? 'Group' : 'User', name: subjectName }],
    };
    const path = namespace
      ? `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`
      : '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
    await this.#must('admin', 'POST', path, binding, [409]);
    await this.#waitUntilAuthorized(subject, clusterRole, namespace);
  }

  /** RBAC reads bindings through an informer: wait until a SubjectAccessReview sees the grant. */
  async #waitUntilAuthorized(subject: string, clusterRole: string, namespace?: string): Promise<void> {
    const role = (await this.#must('admin', 'GET', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${clusterRole}`, undefined, [404])).body as
      { rules?: Array<{ verbs?: string[]; apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[] }> } | undefined;
    const rule = role?.rules?.find((r) => r.resources?.length && r.verbs?.length && !r.resources[0]?.includes('/'));
    if (!rule) return; // nothing checkable (missing role, or no resource rules)
    const pick = (xs: string[] | undefined, wildcard: string) => (xs?.[0] === '*' || xs?.[0] === undefined ? wildcard : xs[0]);
    const isGroup = subject.startsWith('group:');
    const user = isGroup ? 'logistis-test:probe' : subject;
    const groups = isGroup ? [subject.slice('group:'.length)] : (this.users.find((u) => u.name === subject)?.groups ?? []);
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user, groups,
        resourceAttributes: {
          verb: pick(rule.verbs, 'get'), group: pick(rule.apiGroups, ''), resource: pick(rule.resources, 'configmaps'),
          ...(namespace ? { namespace } : {}),
        },
      },
    };
    await waitFor(async () => {
      const res = await this.#must('admin', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', review);
      return (res.body as { status?: { allowed?: boolean } }).status?.allowed === true;
    }, { timeoutMs: 10_000, intervalMs: 50, message: `RBAC did not honour ${clusterRole} for ${subject}` });
  }

  async aggregateClusterRoles(): Promise<void> {
    const list = (await this.#must('admin', 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles')).body as { items: ClusterRole[] };
    const wanted = aggregateRules(list.items);
    await Promise.all([...wanted].map(async ([name, rules]) => {
      const current = list.items.find((r) => r.metadata.name === name) as ClusterRole;
      if (JSON.stringify(current.rules ?? []) === JSON.stringify(rules)) return;
      await this.#must('admin', 'PUT', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`, { ...current, rules });
    }));
  }

  async stopApiserver(): Promise<void> {
    const apiserver = this.#procs.find((proc) => proc.name === 'kube-apiserver');
    if (!apiserver) return;
    await stopProcess(apiserver, 5000);
    this.#procs = this.#procs.filter((proc) => proc !== apiserver);
    this.#live.pgids = this.#live.pgids.filter((pgid) => pgid !== apiserver.pid);
    this.pids.apiserver = 0;
    this.#agent.destroy(); // its keep-alive sockets lead to the old process
    this.#agent = new Agent({ keepAlive: true, maxSockets: 16 });
  }

  async startApiserver(): Promise<void> {
    if (this.#stopping) throw new Error('control-plane: stopped');
    if (this.#procs.some((proc) => proc.name === 'kube-apiserver')) throw new Error('control-plane: kube-apiserver is already running');
    const deadline = Date.now() + this.#startTimeoutMs;
    // The old process's port can linger for a moment after it exits: retry the bind until the deadline.
    for (;;) {
      const apiserver = await this.#spawnApiserver();
      try {
        await this.#waitReady(apiserver, async () => (await this.request('admin', 'GET', '/readyz')).status === 200, Math.max(1000, deadline - Date.now()));
        return;
      } catch (err) {
        await stopProcess(apiserver, 1000);
        this.#procs = this.#procs.filter((proc) => proc !== apiserver);
        this.pids.apiserver = 0;
        if (Date.now() < deadline && tail(this.apiserverLogPath, 10).includes('address already in use')) {
          await sleep(250);
          continue;
        }
        throw err;
      }
    }
  }

  async restartApiserver(opts: { downMs?: number } = {}): Promise<void> {
    await this.stopApiserver();
    if (opts.downMs) await sleep(opts.downMs);
    await this.startApiserver();
  }

  async #spawnApiserver(): Promise<Proc> {
    const apiserver = await startProcess('kube-apiserver', join(this.binDir, 'kube-apiserver'), this.#apiserverArgs,
      this.apiserverLogPath, join(this.dir, 'pids'), this.#live);
    this.#procs = [...this.#procs, apiserver];
    this.pids.apiserver = apiserver.pid;
    return apiserver;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#agent.destroy();
    // API server first (it would log etcd errors otherwise), then etcd, then the watchdog.
    for (const proc of [...this.#procs].reverse()) await stopProcess(proc, 5000);
    const watchdog = this.#watchdog;
    if (watchdog?.pid) {
      const gone = watchdog.exitCode !== null || watchdog.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => watchdog.once('exit', () => resolve()));
      killGroup(watchdog.pid, 'SIGKILL');
      await within(gone, 2000);
    }
    live.delete(this.#live);
    if (live.size === 0) uninstallHandlers();
    if (this.#live.keep) console.error(`control-plane: kept ${this.dir} (LOGISTIS_KEEP_CLUSTER=1)`);
    else if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  async start(opts: StartOptions): Promise<void> {
    const t0 = performance.now();
    const say = opts.log ?? (() => {});
    this.#live.keep = opts.keep ?? process.env.LOGISTIS_KEEP_CLUSTER === '1';

    this.binDir = opts.binDir ?? process.env.LOGISTIS_CONTROL_PLANE_BIN ?? await buildBinaries();
    for (const bin of ['etcd', 'kube-apiserver', 'kubectl']) {
      if (!existsSync(join(this.binDir, bin))) throw new Error(`control-plane: ${join(this.binDir, bin)} is missing; run bash scripts/build-control-plane.sh`);
    }
    const t1 = performance.now();
    this.timings.binaries = Math.round(t1 - t0);

    this.dir = await mkdtemp(join(tmpdir(), 'logistis-cp-'));
    this.#live.dir = this.dir;
    live.add(this.#live);
    installHandlers();
    await writeFile(join(this.dir, 'pids'), '');
    this.#watchdog = spawn('bash', ['-c', WATCHDOG, 'watchdog', String(process.pid), this.dir, this.#live.keep ? '1' : '0'],
      { detached: true, stdio: 'ignore' });
    this.#watchdog.unref();
    this.#live.pgids.push(this.#watchdog.pid as number);
    this.pids.watchdog = this.#watchdog.pid as number;
    say(`control-plane: dir ${this.dir}`);

    // PKI and tokens
    const pki = join(this.dir, 'pki');
    await mkdir(pki, { recursive: true });
    const [clusterCa, frontProxyCa, webhookClientCa] = await Promise.all([
      createCa(pki, { name: 'cluster-ca', commonName: 'logistis-test-cluster-ca' }),
      createCa(pki, { name: 'front-proxy-ca', commonName: 'logistis-test-front-proxy-ca' }),
      createCa(pki, { name: 'webhook-client-ca', commonName: 'logistis-test-webhook-client-ca' }),
    ]);
    const webhookClient = await createClientCert(pki, webhookClientCa, { name: 'webhook-client', commonName: WEBHOOK_CLIENT_NAME });
    this.webhookClientCa = webhookClientCa;
    this.webhookClientCaPath = webhookClientCa.certPath;
    // The API server presents this certificate to every webhook: an AdmissionConfiguration names, for the
    // ValidatingAdmissionWebhook plugin, a kubeconfig whose user "*" matches any webhook host.
    const webhookKubeconfig = join(pki, 'webhook-client.kubeconfig');
    await writeFile(webhookKubeconfig, stringify({
      apiVersion: 'v1', kind: 'Config',
      users: [{ name: '*', user: { 'client-certificate': webhookClient.certPath, 'client-key': webhookClient.keyPath } }],
    }), { mode: 0o600 });
    const admissionConfig = join(pki, 'admission-configuration.yaml');
    await writeFile(admissionConfig, stringify({
      apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AdmissionConfiguration',
      plugins: [{
        name: 'ValidatingAdmissionWebhook',
        configuration: { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'WebhookAdmissionConfiguration', kubeConfigFile: webhookKubeconfig },
      }],
    }));
    const [serving, frontProxyClient] = await Promise.all([
      createServingCert(pki, clusterCa, {
        name: 'apiserver', commonName: 'kube-apiserver',
        dnsNames: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
        ipAddresses: ['10.0.0.1'],
      }),
      createClientCert(pki, frontProxyCa, { name: 'front-proxy-client', commonName: FRONT_PROXY_CLIENT }),
    ]);
    this.clusterCa = clusterCa;
    this.caCertPem = clusterCa.certPem;
    this.caCertPath = clusterCa.certPath;
    this.frontProxyCaPath = frontProxyCa.certPath;
    this.frontProxyCaPem = frontProxyCa.certPem;
    this.frontProxyClient = frontProxyClient;
    const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const saKey = join(pki, 'service-account.key');
    const saPub = join(pki, 'service-account.pub');
    await writeFile(saKey, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(saPub, sa.publicKey.export({ type: 'spki', format: 'pem' }));

    this.users = [...DEFAULT_USERS, ...(opts.users ?? [])].map((u) => ({ ...u, uid: u.uid ?? `uid-${u.name}` }));
    const csv = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const tokenLines = this.users.map((u) => {
      const token = randomBytes(24).toString('hex');
      this.#tokens.set(u.name, token);
      return [token, csv(u.name), csv(u.uid as string), csv(u.groups.join(','))].join(',');
    });
    const tokenFile = join(pki, 'tokens.csv');
    await writeFile(tokenFile, `${tokenLines.join('\n')}\n`, { mode: 0o600 });
    const t2 = performance.now();
    this.timings.pki = Math.round(t2 - t1);

    // etcd, then kube-apiserver; a port taken between freePorts() and the bind is retried.
    this.etcdLogPath = join(this.dir, 'etcd.log');
    this.apiserverLogPath = join(this.dir, 'kube-apiserver.log');
    let tEtcd = t2;
    for (let attempt = 1; ; attempt++) {
      const [etcdClient, etcdPeer] = await freePorts(2) as [number, number];
      this.ports.etcdClient = etcdClient;
      this.ports.etcdPeer = etcdPeer;
      this.etcdUrl = `http://127.0.0.1:${etcdClient}`;
      const peerUrl = `http://127.0.0.1:${etcdPeer}`;
      const etcd = await startProcess('etcd', join(this.binDir, 'etcd'), [
        '--name=logistis', `--data-dir=${join(this.dir, 'etcd')}`,
        `--listen-client-urls=${this.etcdUrl}`, `--advertise-client-urls=${this.etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=logistis=${peerUrl}`, '--initial-cluster-state=new',
        // a throwaway single-member cluster: no fsync, and a quick first election (~0.1 s instead of ~0.4 s)
        '--unsafe-no-fsync=true', '--heartbeat-interval=10', '--election-timeout=100', '--log-level=warn', '--logger=zap', '--log-outputs=stderr',
      ], this.etcdLogPath, join(this.dir, 'pids'), this.#live);
      this.#procs = [etcd];
      this.pids.etcd = etcd.pid;
      try {
        await this.#waitReady(etcd, async () => (await httpGet(`${this.etcdUrl}/health`)).includes('"health":"true"'), 20_000);
        break;
      } catch (err) {
        await stopProcess(etcd, 1000);
        if (attempt < 3 && tail(this.etcdLogPath).includes('address already in use')) {
          await rm(join(this.dir, 'etcd'), { recursive: true, force: true });
          continue;
        }
        throw err;
      }
    }
    const t3 = performance.now();
    this.timings.etcd = Math.round(t3 - tEtcd);
    tEtcd = t3;

    for (let attempt = 1; ; attempt++) {
      const [port] = await freePorts(1) as [number];
      this.port = port;
      this.ports.apiserver = port;
      this.server = `https://127.0.0.1:${port}`;
      this.#apiserverArgs = [
        `--etcd-servers=${this.etcdUrl}`,
        '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`,
        `--cert-dir=${join(this.dir, 'apiserver-certs')}`,
        `--tls-cert-file=${serving.certPath}`, `--tls-private-key-file=${serving.keyPath}`,
        `--client-ca-file=${clusterCa.certPath}`,
        `--token-auth-file=${tokenFile}`,
        '--authorization-mode=RBAC',
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        `--service-account-key-file=${saPub}`, `--service-account-signing-key-file=${saKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--endpoint-reconciler-type=none',
        '--disable-admission-plugins=ServiceAccount',
        `--admission-control-config-file=${admissionConfig}`,
        // the aggregation layer: what kube-apiserver trusts from, and presents to, extension API servers
        `--requestheader-client-ca-file=${frontProxyCa.certPath}`,
        `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${frontProxyClient.certPath}`, `--proxy-client-key-file=${frontProxyClient.keyPath}`,
        '--enable-aggregator-routing=false',
        '--profiling=false',
        `--v=${opts.verbosity ?? 1}`,
        ...(opts.apiserverArgs ?? []),
      ];
      this.#startTimeoutMs = opts.startTimeoutMs ?? 60_000;
      const apiserver = await this.#spawnApiserver();
      try {
        await this.#waitReady(apiserver, async () => {
          const res = await this.request('admin', 'GET', '/readyz');
          return res.status === 200;
        }, opts.startTimeoutMs ?? 60_000);
        break;
      } catch (err) {
        await stopProcess(apiserver, 1000);
        this.#procs = [this.#procs[0] as Proc];
        if (attempt < 3 && tail(this.apiserverLogPath).includes('address already in use')) continue;
        throw err;
      }
    }
    const t4 = performance.now();
    this.timings.apiserver = Math.round(t4 - tEtcd);

    await this.aggregateClusterRoles();
    await this.#writeKubeconfigs();
    const t5 = performance.now();
    this.timings.rbac = Math.round(t5 - t4);
    this.timings.total = Math.round(t5 - t0);
    say(`control-plane: ready at ${this.server} in ${this.timings.total} ms ${JSON.stringify(this.timings)}`);
  }

  async #waitReady(proc: Proc, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      if (proc.exitCode !== undefined) {
        throw new Error(`control-plane: ${proc.name} exited (code ${proc.exitCode}) before it was ready; last lines of ${proc.logPath}:\n${tail(proc.logPath)}`);
      }
      try {
        if (await ready()) return;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(`control-plane: ${proc.name} not ready within ${timeoutMs} ms${last ? ` (${last})` : ''}; last lines of ${proc.logPath}:\n${tail(proc.logPath)}`);
      }
      await sleep(50);
    }
  }

  async #writeKubeconfigs(): Promise<void> {
    const config = (current: string) => ({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: CLUSTER_NAME, cluster: { server: this.server, 'certificate-authority-data': Buffer.from(this.caCertPem).toString('base64') } }],
      users: this.users.map((u) => ({ name: u.name, user: { token: this.token(u.name) } })),
      contexts: this.users.map((u) => ({ name: u.name, context: { cluster: CLUSTER_NAME, user: u.name, namespace: 'default' } })),
      'current-context': current,
    });
    this.kubeconfigPath = join(this.dir, 'kubeconfig');
    await writeFile(this.kubeconfigPath, stringify(config('admin')), { mode: 0o600 });
    await Promise.all(this.users.map((u) => writeFile(this.kubeconfigFor(u.name), stringify(config(u.name)), { mode: 0o600 })));
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

let binaries: Promise<string> | undefined;

/** Runs scripts/build-control-plane.sh (instant when built) and returns the bin dir. */
export function buildBinaries(): Promise<string> {
  binaries ??= execFileAsync('bash', [BUILD_SCRIPT], { maxBuffer: 1 << 20 })
    .then(({ stdout }) => stdout.trim().split('\n').pop() ?? '')
    .catch((err: unknown) => {
      binaries = undefined;
      const stderr = err instanceof Error && 'stderr' in err && typeof err.stderr === 'string' ? err.stderr.trim() : '';
      throw new Error(`control-plane: bash ${BUILD_SCRIPT} failed: ${stderr || (err instanceof Error ? err.message : String(err))}`);
    });
  return binaries;
}

/** Starts etcd and kube-apiserver on free loopback ports and waits until the API server is ready. */
export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const cp = new RunningControlPlane();
  try {
    await cp.start(opts);
  } catch (err) {
    await cp.stop().catch(() => {});
    throw err;
  }
  return cp;
}

// ---------------------------------------------------------------------------------------------------------
// webhooks

export interface RegisterWebhookOptions extends Omit<WebhookConfigOptions, 'template'> {
  /**
   * With `service`: also create the namespace and an ExternalName Service (`externalName: localhost`) so the
   * API server reaches a webhook listening on 127.0.0.1; default true.
   */
  createLoopbackService?: boolean;
}

/**
 * Applies deploy/webhook/validating-webhook-configuration.yaml as admin. The API server picks the
 * configuration up through an informer a moment later: wait until your server sees a request.
 * With a service reference the server's certificate must name `<service>.<namespace>.svc`.
 */
export async function registerWebhook(cp: ControlPlane, opts: RegisterWebhookOptions): Promise<RenderedWebhookConfiguration> {
  const rendered = renderWebhookConfiguration(opts);
  if (opts.service && opts.createLoopbackService !== false) {
    const { name, namespace } = opts.service;
    const ns = await cp.request('admin', 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    if (ns.status !== 201 && ns.status !== 409) throw new Error(`registerWebhook: creating namespace ${namespace}: HTTP ${ns.status}: ${ns.text}`);
    const svc = await cp.request('admin', 'POST', `/api/v1/namespaces/${namespace}/services`, {
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { type: 'ExternalName', externalName: 'localhost' },
    });
    if (svc.status !== 201 && svc.status !== 409) throw new Error(`registerWebhook: creating service ${namespace}/${name}: HTTP ${svc.status}: ${svc.text}`);
  }
  await cp.kubectl('admin', ['apply', '-f', '-'], { input: rendered.yaml });
  return rendered;
}

export async function unregisterWebhook(cp: ControlPlane, configurationName = 'logistis'): Promise<void> {
  await cp.kubectl('admin', ['delete', 'validatingwebhookconfiguration', configurationName, '--ignore-not-found']);
}
