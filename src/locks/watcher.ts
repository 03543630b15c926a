// Keeps the cluster's Locks from a watch (src/kube/informers.ts) and answers, without I/O, whether one denies an
// admission request. Writes each Lock's status (Active, Expired, Ignored and why) so `kubectl get locks` shows
// what is enforced; that write needs update on locks/status (deploy/rbac/logistis-server.yaml). A timer per
// Lock's expiry rewrites its status when it expires; the resync catches anything missed.
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { AdmissionRequest } from '../admission/review.ts';
import { Informer, type InformerHealth, type InformerLog } from '../kube/informers.ts';
import { LOCK_GROUP, LOCK_RESOURCE, LOCK_VERSION, parseLock, type Lock } from './lock.ts';
import { ALLOWED, checkLocks, type LockDecision } from './match.ts';
import { statusUpdate } from './status.ts';
import { ExpiryTimers } from './expiry-timers.ts';

type LockObject = KubernetesObject & { spec?: unknown; status?: unknown };

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
}

export class LockWatcher {
  readonly #informer: Informer<LockObject>;
  readonly #api: CustomObjectsApi;
  readonly #log: InformerLog;
  readonly #now: () => number;
  #locks: Lock[] = [];
  #ignored = 0;
  /** Status writes in flight, by Lock name: one at a time per Lock. */
  readonly #writing = new Set<string>();
  readonly #expiries: ExpiryTimers;

  constructor(options: LockWatcherOptions) {
    this.#api = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
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
  }

  stop(): Promise<void> {
    this.#expiries.stop();
    return this.#informer.stop();
  }

  /** The pipeline's lock check: pure over the cached Locks. A bug here allows the request (fail open). */
  check(request: AdmissionRequest): LockDecision {
    try {
      return checkLocks(this.#locks, request, this.#now());
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

  #reconcileStatus(object: LockObject): void {
    const parsed = parseLock(object);
    const name = object.metadata?.name;
    if (!name || this.#writing.has(name)) return;
    const status = statusUpdate(parsed, object.status, this.#now());
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
