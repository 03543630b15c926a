// POST /locks/check: the strict Locks webhook entry (deploy/webhook/strict-locks-webhook.yaml, failurePolicy
// Fail). It only asks the Locks; it records nothing, because the capture entry sees the same request and
// records it (and counts the denial). Its callers are the API server, checked as for /capture.
import type { FastifyInstance } from 'fastify';
import { buildAdmissionResponse, parseAdmissionReview } from '../../admission/review.ts';
import type { LockWatcher } from '../../locks/watcher.ts';
import { HttpError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { useAdmissionJsonParser, webhookCallerCheck, type CaptureCallerPolicy } from '../webhook-callers.ts';

export const LOCK_CHECK_PATH = '/locks/check';

export function registerLockCheckRoute(app: FastifyInstance, locks: LockWatcher | undefined, metrics: Metrics, callers: CaptureCallerPolicy | null): void {
  void app.register(async (scope) => {
    useAdmissionJsonParser(scope);
    scope.post(LOCK_CHECK_PATH, { onRequest: webhookCallerCheck(metrics, callers) }, async (request) => {
      const review = parseAdmissionReview(request.body);
      if (!locks) {
        // Strict entry registered, but the server runs without --locks: there is nothing to enforce.
        return buildAdmissionResponse(review.apiVersion, review.request.uid, { allowed: true });
      }
      // Before the first list the cache is empty, and "no Locks" would let locked writes through: the entry is
      // strict, so answer with an error and let failurePolicy Fail refuse until the Locks are known.
      if (!locks.health().watch.hasSynced) throw new HttpError(503, 'Locks are not loaded yet (the Lock watch has not synced); strict Locks refuse until then');
      const decision = await locks.check(review.request);
      return buildAdmissionResponse(review.apiVersion, review.request.uid,
        decision.denied ? { allowed: false, message: decision.message } : { allowed: true });
    });
  });
}
