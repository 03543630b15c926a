// Keeps the cluster's Locks from a watch (src/kube/informers.ts) and answers whether one denies an admission
// request. Writes each Lock's status (Active, Expired, Ignored and why) so `kubectl get locks` shows
// what is enforced; that write needs update on locks/status (deploy/rbac/logistis-server.yaml). A timer per
// Lock's expiry rewrites its status when it expires; the resync catches anything missed. The status also names
// the resources a Lock lists that API discovery does not know. For a subresource a selector Lock covers, the
// check reads the parent's labels first (parent-labels.ts, ADR 0019).
import { ApisApi, CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { AdmissionRequest } from '../admission/review.ts';
import { Informer, type InformerHealth, type InformerLog } from '../kube/informers.ts';
import { LOCK_GROUP, LOCK_RESOURCE, LOCK_VERSION, parseLock, type Lock } from './lock.ts';
import { ALLOWED, checkLocks, parentLabelsAtStake, type LockDecision, type ParentLabels } from './match.ts';
import { readParentLabels } from './parent-labels.ts';
import { statusUpdate } from './status.ts';
import { unknownResources, type DiscoveredResources } from './resources.ts';
import { ExpiryTimers } from './expiry-timers.ts';

type LockObject = KubernetesObject & { spec?: unknown; status?: unknown };

/** Discovery is read again at most this often, and only while a Lock names a resource it did not list. */
const DISCOVERY_REFRESH_MS = 60_000;

/** Every group's main resources, in every version it serves (resources.ts). */
async function discoverResources(kubeConfig: KubeConfig): Promise<DiscoveredResources> {
  const mainNames = (resources: readonly { name: string }[]) => resources.map(({ name }) => name).filter((name) => !name.includes('/'));
  const discovered = new Map<string, Set<string> | null>([['', new Set(mainNames((await kubeConfig.makeApiClient(CoreV1Api).getAPIResources()).resources))]]);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  for (const group of (await kubeConfig.makeApiClient(ApisApi).getAPIVersions()).groups) {
    const served = new Set<string>();
    try {
      for (const { version } of group.versions) {
        for (const name of mainNames((await custom.getAPIResources({ group: group.name, version })).resources)) served.add(name);
      }
      discovered.set(group.name, served);
    } catch {
      // An aggregated API that is down: its resources are unknown, not missing.
      discovered.set(group.name, null);
    }
  }
  return discovered;
}

export interface LockHealth {
  /** Locks the server enforces (valid and not expired). */
  active: number;
  /** Locks it ignores because they are malformed (see their status). */
  ignored: number;
  watch: InformerHealth;
}

export interface LockWatcherOptions {
  kubeConfig: KubeConfig;
  log: InformerLog;
  /** Resync period (every Lock's status is checked again); default 30 s. */
  resyncMs?: number;
  now?: () => number;
  /** How long to wait for a subresource's parent labels; default PARENT_LABELS_TIMEOUT_MS. */
  parentLabelsTimeoutMs?: number;
}

export class LockWatcher {
  readonly #informer: Informer<LockObject>;
  readonly #api: CustomObjectsApi;
  readonly #log: InformerLog;
  readonly #now: () => number;
  readonly #kubeConfig: KubeConfig;
  readonly #parentLabelsTimeoutMs: number | undefined;
  #locks: Lock[] = [];
  #ignored = 0;
  /** Status writes in flight, by Lock name: one at a time per Lock. */
  readonly #writing = new Set<string>();
  readonly #expiries: ExpiryTimers;
  #discovered: DiscoveredResources | undefined;
  #discoveredAt = -Infinity;
  #discovering: Promise<void> | undefined;
  #stopped = false;

  constructor(options: LockWatcherOptions) {
    this.#api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#kubeConfig = options.kubeConfig;
    this.#parentLabelsTimeoutMs = options.parentLabelsTimeoutMs;
    this.#expiries = new ExpiryTimers((name) => {
      const object = this.#informer.get(name);
      if (object) this.#reconcileStatus(object);
    }, this.#now);
    this.#informer = new Informer<LockObject>({
      kubeConfig: options.kubeConfig,
      name: 'locks',
      path: `/apis/${LOCK_GROUP}/${LOCK_VERSION}/${LOCK_RESOURCE}`,
      list: async () => (await this.#api.listClusterCustomObject({ group: LOCK_GROUP, version: LOCK_VERSION, plural: LOCK_RESOURCE })) as KubernetesListObject<LockObject>,
      ...(options.resyncMs !== undefined ? { resyncMs: options.resyncMs } : {}),
      log: options.log,
    });
    const changed = (object: LockObject) => {
      this.#rebuild();
      this.#reconcileStatus(object);
    };
    this.#informer.on({ add: changed, update: changed, delete: () => this.#rebuild(), synced: () => this.#rebuild() });
  }

  start(): void {
    this.#informer.start();
    this.#refreshDiscovery();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#expiries.stop();
    return this.#informer.stop();
  }

  /**
   * The pipeline's lock check: pure over the cached Locks, except for a subresource (a Scale, an Eviction) that a
   * selector Lock covers otherwise: then its parent's labels are read first (ADR 0019). A bug here allows the
   * request (fail open); unknown labels deny it, with the reason, under the Lock that needed them.
   */
  async check(request: AdmissionRequest): Promise<LockDecision> {
    try {
      const locks = this.#locks;
      let parent: ParentLabels | undefined;
      if (parentLabelsAtStake(locks, request, this.#now())) {
        parent = await readParentLabels(this.#kubeConfig, request, this.#parentLabelsTimeoutMs);
        if (!parent.known) this.#log.warn({ requestUid: request.uid, problem: parent.problem }, 'cannot read the labels a selector Lock needs; the Lock denies the request');
      }
      return checkLocks(locks, request, this.#now(), parent);
    } catch (error) {
      this.#log.warn({ err: { message: (error as Error).message }, requestUid: request.uid }, 'lock check failed; allowing the request');
      return ALLOWED;
    }
  }

  health(): LockHealth {
    const now = this.#now();
    const active = this.#locks.filter((lock) => lock.expiresAt === null || now < lock.expiresAt).length;
    return { active, ignored: this.#ignored, watch: this.#informer.health() };
  }

  #rebuild(): void {
    const locks: Lock[] = [];
    let ignored = 0;
    for (const object of this.#informer.list()) {
      const parsed = parseLock(object);
      if (parsed.ok) locks.push(parsed.lock);
      else ignored += 1;
    }
    this.#locks = locks;
    this.#ignored = ignored;
    this.#expiries.set(new Map(locks.flatMap((lock) => (lock.expiresAt === null ? [] : [[lock.name, lock.expiresAt] as const]))));
  }

  /** Reads discovery, then checks every Lock's status against it. Failures keep the last answer (or none). */
  #refreshDiscovery(): void {
    if (this.#discovering) return;
    this.#discoveredAt = this.#now();
    this.#discovering = discoverResources(this.#kubeConfig)
      .then((discovered) => {
        this.#discovered = discovered;
        if (this.#stopped) return;
        for (const object of this.#informer.list()) this.#reconcileStatus(object);
      }, (error: unknown) => {
        this.#log.warn({ err: { message: (error as Error).message } }, 'cannot read API discovery; Lock statuses do not report unknown resources until it answers');
      })
      .finally(() => { this.#discovering = undefined; });
  }

  #reconcileStatus(object: LockObject): void {
    const parsed = parseLock(object);
    const name = object.metadata?.name;
    if (!name || this.#writing.has(name)) return;
    const unknown = parsed.ok && this.#discovered ? unknownResources(parsed.lock, this.#discovered) : [];
    // A resource created since discovery was read (a new CRD), or discovery that failed, is looked up again, at most once a minute.
    if ((unknown.length > 0 || !this.#discovered) && this.#now() - this.#discoveredAt >= DISCOVERY_REFRESH_MS) this.#refreshDiscovery();
    const status = statusUpdate(parsed, object.status, this.#now(), unknown);
    if (!status) return;
    if (!parsed.ok) this.#log.warn({ lock: name, problem: parsed.problem }, 'ignoring a malformed Lock');
    this.#writing.add(name);
    // The object as watched, with its resourceVersion: a newer version conflicts, and its own event brings us back.
    const body = { ...object, status };
    this.#api.replaceClusterCustomObjectStatus({ group: LOCK_GROUP, version: LOCK_VERSION, plural: LOCK_RESOURCE, name, body })
      .catch((error: unknown) => {
        const code = (error as { code?: number }).code;
        if (code === 409 || code === 404) return;
        this.#log.warn({ lock: name, err: { message: (error as Error).message, code } }, 'cannot write the Lock\'s status (needs update on locks/status); it is still enforced as it says');
      })
      .finally(() => this.#writing.delete(name));
  }
}
