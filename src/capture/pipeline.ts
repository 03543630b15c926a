// The capture path: parse → decide → record. Our own failure never blocks the cluster: whatever goes wrong
// after the review is parsed, the request is allowed, and the failure is logged and counted.
import type { FastifyBaseLogger } from 'fastify';
import { buildAdmissionResponse, parseAdmissionReview, type AdmissionRequest } from '../admission/review.ts';
import { decideCapture, type CaptureSettings } from './record.ts';
import { ResourceKinds } from './kinds.ts';
import type { EventStore } from '../store/types.ts';
import type { Metrics } from '../server/metrics.ts';
import type { LockDecision } from '../locks/match.ts';

export interface CapturePipeline {
  /** Throws AdmissionInputError for a body that is not an AdmissionReview; otherwise always answers. */
  handle(body: unknown, log: FastifyBaseLogger): Promise<ReturnType<typeof buildAdmissionResponse>>;
}

export interface CaptureDependencies {
  store: EventStore;
  metrics: Metrics;
  settings: CaptureSettings;
  /** How long to wait for the durable commit before allowing anyway; the write still completes later. */
  commitTimeoutMs: number;
  /** Resource → kind, learned from main-resource requests; pass one preloaded from the store after a restart. */
  kinds?: ResourceKinds;
  now?: () => Date;
  /** Does a Lock deny this request? Asked before anything decides whether to record it. Pure over a cache. */
  checkLocks?: (request: AdmissionRequest) => LockDecision;
}

class CommitTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommitTimeout(`no commit within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createCapturePipeline(deps: CaptureDependencies): CapturePipeline {
  const now = deps.now ?? (() => new Date());
  const { metrics } = deps;
  const kinds = deps.kinds ?? new ResourceKinds();
  return {
    async handle(body, log) {
      const started = process.hrtime.bigint();
      const review = parseAdmissionReview(body);
      const { request } = review;
      let result = 'recorded';
      let denial: LockDecision = { denied: false };
      try {
        denial = deps.checkLocks?.(request) ?? denial;
        if (denial.denied) metrics.denials.inc({ lock: denial.lock });
        if (!request.subResource) kinds.learn(request.resource.group, request.resource.resource, request.kind.kind);
        const parentKind = request.subResource ? kinds.kindOf(request.resource.group, request.resource.resource) : undefined;
        // A denied attempt is recorded even when it would change nothing: who tried is the point.
        const settings = denial.denied ? { ...deps.settings, recordUnchanged: true } : deps.settings;
        const decision = decideCapture(request, settings, now(), parentKind);
        if (!decision.record) {
          result = `skipped-${decision.reason}`;
        } else {
          const event = denial.denied ? { ...decision.event, deniedBy: denial.lock } : decision.event;
          await withTimeout(deps.store.append([event]), deps.commitTimeoutMs);
        }
      } catch (error) {
        const timedOut = error instanceof CommitTimeout;
        result = timedOut ? 'timeout' : 'failed';
        if (!timedOut) metrics.eventsDropped.inc({ reason: 'store-error' });
        metrics.storeErrors.inc({ operation: timedOut ? 'append-timeout' : 'append' });
        // Identify the change, never its content: objects may hold secrets.
        log.error({
          err: { message: (error as Error).message, name: (error as Error).name },
          requestUid: request.uid, operation: request.operation, kind: request.kind.kind,
          namespace: request.namespace, name: request.name, user: request.userInfo.username,
        }, timedOut ? 'change allowed; its event was not committed in time and may still be written' : 'change allowed but not recorded');
      }
      metrics.captures.inc({ operation: request.operation, result });
      metrics.captureDuration.observe({ result }, Number(process.hrtime.bigint() - started) / 1e9);
      if (denial.denied) return buildAdmissionResponse(review.apiVersion, request.uid, { allowed: false, message: denial.message });
      return buildAdmissionResponse(review.apiVersion, request.uid, { allowed: true });
    },
  };
}
