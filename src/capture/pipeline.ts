// The capture path: parse → decide → record. Our own failure never blocks the cluster: whatever goes wrong
// after the review is parsed, the request is allowed, and the failure is logged and counted. Every change
// that is allowed but ends unrecorded counts once in `eventsLost`, by reason, including a commit that
// finishes after the commit timeout and then fails. A matching Lock is the one reason to deny.
import { buildAdmissionResponse, parseAdmissionReview, type AdmissionRequest } from '../admission/review.ts';
import { decideCapture, type CaptureSettings } from './record.ts';
import { ResourceKinds } from './kinds.ts';
import type { EventStore } from '../store/types.ts';
import type { EventState, NewChangeEvent, OversizedReview } from '../event.ts';
import type { LockDecision } from '../locks/match.ts';
import { decideByRules, type RuleDecisionHooks } from '../rules/decide.ts';
import type { RuleSet } from '../rules/rule-set.ts';

/** What capture counts; the server's Prometheus metrics fit it. */
export interface CaptureMetrics {
  captures: { inc(labels: { operation: string; result: string }): void };
  captureDuration: { observe(labels: { result: string }, seconds: number): void };
  storeErrors: { inc(labels: { operation: string }): void };
  eventsLost: { inc(labels: { reason: LostReason }): void };
  ruleSkips: { inc(labels: { rule: string }): void };
  ruleErrors: { inc(labels: { rule: string }): void };
  denials: { inc(labels: { lock: string }): void };
  oversizedReviews: { inc(): void };
}

/** Where capture logs; pino's (and Fastify's) logger fits it. */
export interface CaptureLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * Why an allowed change has no event: the store refused it; it timed out and then failed; capture itself
 * failed before the store was asked (a bug, or an object our code cannot handle); the store's file was deleted
 * or replaced, so a commit went to a file nobody will open again; the commit log was over --max-log-bytes or its disk
 * full; the commit log could not be written otherwise.
 */
export type LostReason = 'store-error' | 'store-error-after-timeout' | 'capture-error' | 'store-file-gone' | 'log-full' | 'log-error';

export interface CapturePipeline {
  /**
   * Throws AdmissionInputError for a body that is not an AdmissionReview; otherwise always answers. `oversized`:
   * the body was too large to read whole, and holds only what names the change (admission/review-scan.ts).
   */
  handle(body: unknown, log: CaptureLogger, oversized?: OversizedReview): Promise<ReturnType<typeof buildAdmissionResponse>>;
}

export interface CaptureDependencies {
  store: Pick<EventStore, 'append'>;
  metrics: CaptureMetrics;
  settings: CaptureSettings;
  /** How long to wait for the durable commit before allowing anyway; the write still completes later. */
  commitTimeoutMs: number;
  /** Resource → kind, learned from main-resource requests; pass one preloaded from the store after a restart. */
  kinds?: ResourceKinds;
  /** Capture rules (presets and the user's); without them every change is recorded. */
  rules?: RuleSet;
  now?: () => Date;
  /**
   * Does a Lock deny this request? Asked before anything decides whether to record it. Pure over a cache, but for
   * a subresource a selector Lock covers, whose parent's labels it reads first (bounded by a short timeout).
   */
  checkLocks?: (request: AdmissionRequest) => LockDecision | Promise<LockDecision>;
  /** Provenance (serve --provenance): the state a new event starts in, and each event once it is durable. */
  provenance?: CaptureProvenance;
}

export interface CaptureProvenance {
  /** 'pending' for an object the watch follows; undefined leaves the event without a state. */
  initialState(event: NewChangeEvent): EventState | undefined;
  recorded(event: NewChangeEvent): void;
}

class CommitTimeout extends Error {
  override name = 'CommitTimeout';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommitTimeout(`no commit within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Identifies the change, never its content: objects may hold secrets. */
function identity(request: AdmissionRequest) {
  return {
    requestUid: request.uid, operation: request.operation, kind: request.kind.kind,
    namespace: request.namespace, name: request.name, user: request.userInfo.username,
  };
}

function describeError(error: unknown) {
  return { message: (error as Error).message, name: (error as Error).name };
}

export function createCapturePipeline(deps: CaptureDependencies): CapturePipeline {
  const now = deps.now ?? (() => new Date());
  const { metrics } = deps;
  const kinds = deps.kinds ?? new ResourceKinds();

  const lost = (reason: LostReason, request: AdmissionRequest, error: unknown, log: CaptureLogger, message: string) => {
    metrics.eventsLost.inc({ reason });
    log.error({ err: describeError(error), reason, ...identity(request) }, message);
  };
  const ruleHooks: RuleDecisionHooks = {
    onSkip: (rule) => metrics.ruleSkips.inc({ rule }),
    onError: (rule) => metrics.ruleErrors.inc({ rule }),
  };
  return {
    async handle(body, log, oversized) {
      const started = process.hrtime.bigint();
      const review = parseAdmissionReview(body);
      const { request } = review;
      if (oversized) {
        metrics.oversizedReviews.inc();
        log.warn({ reviewBytes: oversized.reviewBytes, maxBodyBytes: oversized.maxBodyBytes, ...identity(request) },
          'review larger than --max-body-bytes: recording who, what and the metadata only');
      }
      let result = 'recorded';
      let write: Promise<void> | undefined;
      let denial: LockDecision = { denied: false };
      try {
        denial = (await deps.checkLocks?.(request)) ?? denial;
        if (denial.denied) metrics.denials.inc({ lock: denial.lock });
        if (!request.subResource) kinds.learn(request.resource.group, request.resource.resource, request.kind.kind);
        const parentKind = request.subResource ? kinds.kindOf(request.resource.group, request.resource.resource) : undefined;
        // A denied attempt is recorded even when it would change nothing, and whatever the capture rules say:
        // who tried is the point. An oversized review's metadata may not have changed when the rest did.
        const settings = denial.denied || oversized ? { ...deps.settings, recordUnchanged: true } : deps.settings;
        const decision = (!denial.denied && deps.rules && decideByRules(deps.rules, request, now(), ruleHooks))
          || decideCapture(request, settings, now(), parentKind);
        if (!decision.record) {
          result = `skipped-${decision.reason}`;
        } else {
          let event: NewChangeEvent = denial.denied ? { ...decision.event, deniedBy: denial.lock } : decision.event;
          if (oversized) event = { ...event, oversized };
          const state = denial.denied ? 'not-applied' : deps.provenance?.initialState(event);
          if (deps.provenance && state) event = { ...event, state };
          write = deps.store.append([event]);
          if (state === 'pending') {
            const recorded = event;
            // Also after a commit that outlives the timeout: the watch may be waiting for this event.
            write.then(() => deps.provenance!.recorded(recorded), () => {});
          }
          await withTimeout(write, deps.commitTimeoutMs);
        }
      } catch (error) {
        if (error instanceof CommitTimeout) {
          result = 'timeout';
          metrics.storeErrors.inc({ operation: 'append-timeout' });
          log.warn({ err: describeError(error), ...identity(request) }, 'change allowed; its event was not committed in time and may still be written');
          // The write goes on; if it fails now, nobody else hears of it.
          write?.catch((lateError: unknown) => {
            metrics.storeErrors.inc({ operation: 'append' });
            lost('store-error-after-timeout', request, lateError, log, 'change allowed but not recorded: its commit timed out, then failed');
          });
        } else if (write) {
          result = 'failed';
          metrics.storeErrors.inc({ operation: 'append' });
          lost((error as { lostReason?: LostReason }).lostReason ?? 'store-error', request, error, log, 'change allowed but not recorded');
        } else {
          result = 'failed';
          lost('capture-error', request, error, log, 'change allowed but not recorded: capture failed before storing');
        }
      }
      metrics.captures.inc({ operation: request.operation, result });
      metrics.captureDuration.observe({ result }, Number(process.hrtime.bigint() - started) / 1e9);
      if (denial.denied) return buildAdmissionResponse(review.apiVersion, request.uid, { allowed: false, message: denial.message });
      return buildAdmissionResponse(review.apiVersion, request.uid, { allowed: true });
    },
  };
}
