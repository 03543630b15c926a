// Watches the kinds the server records (from discovery, custom resources included, minus what capture rules
// exclude outright) through src/kube/informers.ts, keeping per object only a reduced copy with the hash of its
// recorded form. Feeds the tracker (match.ts) and writes what it decides: event states, unattributed events,
// the objects' last known hashes (so a restarted server sees what changed while it was down), and metrics.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Informer, listRaw, type InformerHealth, type InformerLog } from '../kube/informers.ts';
import { recordedObject, type CaptureSettings } from '../capture/record.ts';
import { computePatch } from '../history/patch.ts';
import { changedState, materialiseHistory } from '../history/walk.ts';
import { isObject, type AuthorGuess, type ChangeEvent, type JsonObject, type NewChangeEvent } from '../event.ts';
import type { EventStateChange, EventStore, ObjectState, ObjectStateKey, ProvenanceStore } from '../store/types.ts';
import type { RuleSet } from '../rules/rule-set.ts';
import { contentHash, guessAuthor, replicasOf } from './content.ts';
import { discoverWatchedResources, type WatchedResource } from './discovery.ts';
import {
  objectKey, ProvenanceTracker, type CapturedChange, type Expectation, type Observation, type Outcome, type UnexplainedChange, type WatchedState,
} from './match.ts';

/** What the cache keeps of an object: its identity and the hash of its recorded form. */
export interface ReducedObject extends KubernetesObject {
  provenance: { hash: string; replicas?: number; deleting: boolean; origin: 'list' | 'watch' };
}

/** The reduced copy the informer caches, and (for the moment) the recorded form and author guess. Pure. */
export function reduceWatched(resource: WatchedResource, object: KubernetesObject, origin: 'list' | 'watch', settings: CaptureSettings) {
  // A list's items carry no apiVersion and kind.
  const full = { ...(object as unknown as JsonObject), apiVersion: object.apiVersion ?? resource.apiVersion, kind: object.kind ?? resource.kind };
  const metadata = object.metadata ?? {};
  const recorded = recordedObject(full, { group: resource.group, version: resource.version, kind: resource.kind },
    { namespace: metadata.namespace ?? '', name: metadata.name ?? '' }, settings);
  const replicas = replicasOf(recorded);
  const reduced: ReducedObject = {
    apiVersion: full.apiVersion, kind: full.kind,
    metadata: {
      name: metadata.name, uid: metadata.uid, resourceVersion: metadata.resourceVersion,
      ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
    },
    provenance: { hash: contentHash(recorded), deleting: !!metadata.deletionTimestamp, origin, ...(replicas !== undefined ? { replicas } : {}) },
  };
  return { reduced, recorded, guess: guessAuthor(full) };
}

export interface ProvenanceMetrics {
  eventStates: { inc(labels: { state: string }, value?: number): void };
  oldestPendingSeconds: { set(value: number): void };
}

export interface ProvenanceWatcherOptions {
  kubeConfig: KubeConfig;
  store: ProvenanceStore & Pick<EventStore, 'append' | 'history'>;
  settings: CaptureSettings;
  rules?: RuleSet;
  log: InformerLog & { error(fields: object, message: string): void };
  metrics?: ProvenanceMetrics;
  windowMs?: number;
  graceMs?: number;
  /** How often new resources (CRDs) are looked for; default 60 s. */
  discoveryIntervalMs?: number;
  now?: () => number;
}

/** Managers that the default presets skip by user (controllers, kubelets): their changes are not unattributed. */
const PRESET_MANAGERS: Record<string, RegExp> = {
  'system-controllers': /^(kube-controller-manager|kube-scheduler)$/,
  'nodes': /^kubelet$/,
};

/** Normalised objects of the latest watch events, for the few that become unattributed events; bounded. */
const RECENT_LIMIT = 2000;

function stateOf(resource: WatchedResource, object: ReducedObject): WatchedState {
  const metadata = object.metadata ?? {};
  return {
    key: objectKey(resource.group, resource.resource, metadata.namespace ?? '', metadata.name ?? ''),
    uid: metadata.uid ?? '', hash: object.provenance.hash, resourceVersion: metadata.resourceVersion ?? '',
    deleting: object.provenance.deleting,
    ...(object.provenance.replicas !== undefined ? { replicas: object.provenance.replicas } : {}),
  };
}

export class ProvenanceWatcher {
  readonly #options: ProvenanceWatcherOptions;
  readonly #tracker: ProvenanceTracker;
  readonly #now: () => number;
  /** Informers by `group/resource`. */
  readonly #informers = new Map<string, { resource: WatchedResource; informer: Informer<ReducedObject>; baseline: boolean; listedOnce: boolean }>();
  readonly #recent = new Map<string, { object: JsonObject; guess?: AuthorGuess }>();
  #stateChanges: EventStateChange[] = [];
  #objectStates = new Map<string, ObjectState>();
  #objectDeletes = new Map<string, ObjectStateKey>();
  #timers: NodeJS.Timeout[] = [];
  #flushing = false;
  #running = false;

  constructor(options: ProvenanceWatcherOptions) {
    this.#options = options;
    this.#tracker = new ProvenanceTracker({ windowMs: options.windowMs, graceMs: options.graceMs });
    this.#now = options.now ?? Date.now;
  }

  /** Loads pending events and known states, discovers resources and starts watching; returns once started. */
  async start(): Promise<void> {
    this.#running = true;
    try {
      for (const event of await this.#options.store.pendingEvents(this.#now() + 1, 100_000)) this.#pendingFromStore.push(event);
    } catch (error) {
      this.#options.log.warn({ err: { message: (error as Error).message } }, 'provenance: cannot load pending events; they stay pending');
    }
    await this.#discover();
    const tick = setInterval(() => this.#apply(this.#tracker.tick(this.#now(), (resource) => this.#watchedSince(resource))), 1000);
    const flush = setInterval(() => void this.#flush(), 1000);
    const rediscover = setInterval(() => void this.#discover(), this.#options.discoveryIntervalMs ?? 60_000);
    this.#timers = [tick, flush, rediscover];
    for (const timer of this.#timers) timer.unref();
  }

  readonly #pendingFromStore: ChangeEvent[] = [];

  /** Since when the watch of a resource has been current (undefined while it is not); 0 when it is not watched. */
  #watchedSince(resource: string): number | undefined {
    const entry = this.#informers.get(resource);
    if (!entry) return 0;
    const health = entry.informer.health();
    if (health.state !== 'synced' || !health.lastSyncTime) return undefined;
    return Date.parse(health.lastSyncTime);
  }

  async stop(): Promise<void> {
    this.#running = false;
    for (const timer of this.#timers) clearInterval(timer);
    await Promise.all([...this.#informers.values()].map(({ informer }) => informer.stop()));
    await this.#flush();
  }

  health(): { resources: number; pending: number; objects: number; failing: { name: string; health: InformerHealth }[] } {
    const failing = [...this.#informers.values()]
      .map(({ informer }) => ({ name: informer.name, health: informer.health() }))
      .filter(({ health }) => health.state !== 'synced');
    return { resources: this.#informers.size, pending: this.#tracker.pendingCount(), objects: this.#tracker.knownCount(), failing };
  }

  /** For the capture pipeline: events of watched resources start pending. */
  initialState(event: NewChangeEvent): 'pending' | undefined {
    if (event.operation === 'CONNECT' || event.deniedBy) return undefined;
    return this.#informers.has(`${event.group}/${event.resource}`) ? 'pending' : undefined;
  }

  /** For the capture pipeline: a pending event is durable. */
  recorded(event: NewChangeEvent): void {
    // Hashing waits until the webhook has answered: the capture path pays only for scheduling it. A watch event
    // that arrives first is held for the grace period, and this still explains it.
    setImmediate(() => {
      const change = this.#capturedChange(event);
      if (change) this.#apply(this.#tracker.captured(change));
    });
  }

  #capturedChange(event: Pick<ChangeEvent, 'requestUid' | 'operation' | 'group' | 'version' | 'resource' | 'subresource' | 'namespace' | 'name' | 'objectUid' | 'object' | 'time'>): CapturedChange | undefined {
    const watched = this.#informers.get(`${event.group}/${event.resource}`);
    if (!watched) return undefined;
    let expectation: Expectation;
    if (event.operation === 'DELETE' || event.subresource === 'eviction') expectation = { type: 'deleted' };
    else if (event.subresource === 'scale' && replicasOf(event.object) !== undefined) expectation = { type: 'replicas', replicas: replicasOf(event.object)! };
    // Another version's form, or a subresource's payload, cannot be compared by content.
    else if (event.subresource || event.version !== watched.resource.version) expectation = { type: 'changed' };
    else expectation = { type: 'content', hash: contentHash(event.object) };
    // The AdmissionRequest of a Namespace names the namespace itself in its namespace field; the watched object of a
    // cluster-scoped resource has none, so its key has none either.
    const namespace = watched.resource.namespaced ? event.namespace : '';
    return {
      requestUid: event.requestUid, key: objectKey(event.group, event.resource, namespace, event.name), uid: event.objectUid,
      expectation, capturedMs: Date.parse(event.time),
    };
  }

  async #discover(): Promise<void> {
    if (!this.#running) return;
    let resources: WatchedResource[];
    try {
      resources = await discoverWatchedResources(this.#options.kubeConfig, this.#options.rules);
    } catch (error) {
      this.#options.log.warn({ err: { message: (error as Error).message } }, 'provenance: discovery failed; will retry');
      return;
    }
    for (const resource of resources) {
      const id = `${resource.group}/${resource.resource}`;
      if (this.#informers.has(id)) continue;
      let stored: ObjectState[] = [];
      try {
        stored = await this.#options.store.objectStates(id);
      } catch (error) {
        this.#options.log.warn({ err: { message: (error as Error).message }, resource: id }, 'provenance: cannot read known object states');
      }
      this.#tracker.restore(stored.map((state) => ({
        key: objectKey(resource.group, resource.resource, state.namespace, state.name), uid: state.uid, hash: state.hash,
        resourceVersion: state.resourceVersion, deleting: false,
      })));
      const informer = new Informer<ReducedObject>({
        kubeConfig: this.#options.kubeConfig, name: `provenance:${id}`, path: resource.path, resyncMs: 0, log: this.#options.log,
        list: () => listRaw<ReducedObject>(this.#options.kubeConfig, resource.path),
        reduce: (object, origin) => this.#reduce(resource, object, origin),
      });
      // No state stored for this resource: its first list is the baseline, not a change.
      const entry = { resource, informer, baseline: stored.length === 0, listedOnce: false };
      this.#informers.set(id, entry);
      const observe = (type: Observation['type']) => (object: ReducedObject) => {
        const state = stateOf(resource, object);
        const previous = this.#tracker.known(state.key);
        this.#apply(this.#tracker.observe({
          type, state, continuous: object.provenance.origin === 'watch' && type !== 'deleted',
          ...(object.provenance.origin === 'list' && entry.baseline && !entry.listedOnce ? { baseline: true } : {}),
        }, this.#now()));
        this.#remember(resource, type, state, previous);
      };
      informer.on({
        add: observe('added'), update: observe('modified'), delete: observe('deleted'),
        synced: () => {
          const keys = new Set(informer.list().map((object) => stateOf(resource, object).key));
          if (!entry.listedOnce || !entry.baseline) {
            for (const key of this.#tracker.knownKeys(id)) {
              if (!keys.has(key)) this.#objectDeletes.set(key, this.#stateKey(resource, key));
            }
            this.#apply(this.#tracker.listed(id, keys, this.#now()));
          }
          entry.listedOnce = true;
          // Pending events from before a restart, once their resource is listed.
          for (let index = this.#pendingFromStore.length - 1; index >= 0; index--) {
            const event = this.#pendingFromStore[index]!;
            if (`${event.group}/${event.resource}` !== id) continue;
            this.#pendingFromStore.splice(index, 1);
            const change = this.#capturedChange(event);
            if (change) this.#apply(this.#tracker.captured(change));
          }
        },
      });
      informer.start();
    }
  }

  #stateKey(resource: WatchedResource, key: string): ObjectStateKey {
    const [, namespace = '', name = ''] = key.split('\u0000');
    return { resource: `${resource.group}/${resource.resource}`, namespace, name };
  }

  #remember(resource: WatchedResource, type: Observation['type'], state: WatchedState, previous: WatchedState | undefined): void {
    if (type === 'deleted') {
      this.#objectStates.delete(state.key);
      this.#objectDeletes.set(state.key, this.#stateKey(resource, state.key));
      return;
    }
    if (previous && previous.uid === state.uid && previous.hash === state.hash) return;
    this.#objectDeletes.delete(state.key);
    this.#objectStates.set(state.key, { ...this.#stateKey(resource, state.key), uid: state.uid, hash: state.hash, resourceVersion: state.resourceVersion, seenMs: this.#now() });
  }

  #reduce(resource: WatchedResource, object: ReducedObject, origin: 'list' | 'watch'): ReducedObject {
    const { reduced, recorded, guess } = reduceWatched(resource, object, origin, this.#options.settings);
    const metadata = object.metadata ?? {};
    const key = objectKey(resource.group, resource.resource, metadata.namespace ?? '', metadata.name ?? '');
    const known = this.#tracker.known(key);
    const entry = this.#informers.get(`${resource.group}/${resource.resource}`);
    const firstBaseline = origin === 'list' && entry?.baseline && !entry.listedOnce;
    // Content is kept only for a version that may become an unattributed event: one the tracker does not know.
    this.#recent.delete(key);
    if (firstBaseline || (known && known.uid === reduced.metadata?.uid && known.hash === reduced.provenance.hash)) return reduced;
    this.#recent.set(key, { object: recorded, ...(guess ? { guess } : {}) });
    if (this.#recent.size > RECENT_LIMIT) this.#recent.delete(this.#recent.keys().next().value!);
    return reduced;
  }

  #apply(outcome: Outcome): void {
    const atMs = this.#now();
    for (const requestUid of outcome.confirmed) this.#stateChanges.push({ requestUid, state: 'confirmed', atMs });
    for (const requestUid of outcome.notApplied) this.#stateChanges.push({ requestUid, state: 'not-applied', atMs });
    for (const change of outcome.unattributed) void this.#recordUnattributed(change);
  }

  /** Skipped when the capture rules would have skipped it: the managers behind the user-based presets. */
  #skippedByPresets(guess: AuthorGuess | undefined): boolean {
    if (!guess) return false;
    return (this.#options.rules?.presets ?? []).some((preset) => PRESET_MANAGERS[preset]?.test(guess.manager));
  }

  async #recordUnattributed(change: UnexplainedChange): Promise<void> {
    const watched = this.#informers.get(change.state.key.slice(0, change.state.key.indexOf('\u0000')));
    if (!watched) return;
    const { resource } = watched;
    const [, namespace = '', name = ''] = change.state.key.split('\u0000');
    const recent = this.#recent.get(change.state.key);
    if (change.type !== 'deleted' && this.#skippedByPresets(recent?.guess)) return;
    try {
      const history = await this.#options.store.history({ group: resource.group, kind: resource.kind, namespace, name });
      const applied = materialiseHistory(history).filter((event) => changedState(event) && event.state !== 'not-applied' && event.state !== 'pending');
      const last = applied[applied.length - 1];
      const previous = last && last.operation !== 'DELETE' ? last.object : {};
      let operation: NewChangeEvent['operation'];
      let object: JsonObject;
      if (change.type === 'deleted') {
        operation = 'DELETE';
        object = previous;
      } else {
        // The content of this version is gone when many changes came since; the watch will show the newest.
        if (!recent) return;
        operation = change.type === 'added' ? 'CREATE' : 'UPDATE';
        object = recent.object;
      }
      const guess = change.type === 'deleted' ? undefined : recent?.guess;
      const event: NewChangeEvent = {
        // When the manager wrote, if managedFields say and it is not in the future; else when the watch saw it.
        time: new Date(guess && Date.parse(guess.time) <= change.seenMs ? Date.parse(guess.time) : change.seenMs).toISOString(),
        requestUid: `watch:${change.state.uid}:${change.state.resourceVersion}:${change.type}`,
        operation, user: { username: '', uid: '', groups: [], extra: {} },
        group: resource.group, version: resource.version, kind: resource.kind, resource: resource.resource, subresource: '',
        namespace, name, objectUid: change.state.uid, fieldManager: '',
        patch: operation === 'DELETE' ? computePatch(previous, {}) : computePatch(operation === 'CREATE' ? {} : previous, object),
        object: isObject(object) ? object : {}, state: 'unattributed', ...(guess ? { authorGuess: guess } : {}),
      };
      if (operation === 'DELETE' && Object.keys(object).length === 0) return;
      await this.#options.store.append([event]);
      this.#options.metrics?.eventStates.inc({ state: 'unattributed' });
      this.#options.log.info({ kind: resource.kind, namespace, name, operation, manager: guess?.manager }, 'provenance: recorded a change no captured request explains');
    } catch (error) {
      this.#options.log.error({ err: { message: (error as Error).message }, kind: resource.kind, namespace, name }, 'provenance: cannot record an unattributed change');
    }
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    const changes = this.#stateChanges;
    const states = this.#objectStates;
    const deletes = this.#objectDeletes;
    this.#stateChanges = [];
    this.#objectStates = new Map();
    this.#objectDeletes = new Map();
    try {
      if (changes.length > 0) {
        await this.#options.store.setEventStates(changes);
        for (const state of ['confirmed', 'not-applied'] as const) {
          const count = changes.filter((change) => change.state === state).length;
          if (count > 0) this.#options.metrics?.eventStates.inc({ state }, count);
        }
      }
      await this.#options.store.saveObjectStates([...states.values()], [...deletes.values()]);
      const oldest = await this.#options.store.oldestPendingTime();
      this.#options.metrics?.oldestPendingSeconds.set(oldest === null ? 0 : Math.max(0, (this.#now() - oldest) / 1000));
    } catch (error) {
      // Kept for the next flush: a state decided is not lost because the store hiccuped once.
      this.#stateChanges.unshift(...changes);
      for (const [key, state] of states) if (!this.#objectStates.has(key) && !this.#objectDeletes.has(key)) this.#objectStates.set(key, state);
      for (const [key, deleted] of deletes) if (!this.#objectStates.has(key)) this.#objectDeletes.set(key, deleted);
      this.#options.log.warn({ err: { message: (error as Error).message } }, 'provenance: cannot write states; will retry');
    } finally {
      this.#flushing = false;
    }
  }
}
