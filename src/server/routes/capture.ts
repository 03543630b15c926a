// POST /capture: the validating admission webhook. Its caller check and body reader are shared with the other
// webhook route (../webhook-callers.ts); every review it reads is answered by the capture pipeline.
import type { FastifyInstance } from 'fastify';
import type { CapturePipeline } from '../../capture/pipeline.ts';
import type { Metrics } from '../metrics.ts';
import { oversizedReviewOf, useAdmissionJsonParser, webhookCallerCheck, type CaptureCallerPolicy } from '../webhook-callers.ts';

export function registerCaptureRoute(app: FastifyInstance, pipeline: CapturePipeline, metrics: Metrics, callers: CaptureCallerPolicy | null): void {
  const checkCaller = webhookCallerCheck(metrics, callers);
  void app.register(async (scope) => {
    useAdmissionJsonParser(scope);
    scope.post('/capture', {
      onRequest: checkCaller,
      onError: async (_request, _reply, error) => {
        metrics.rejectedRequests.inc({ reason: (error as { code?: string }).code ?? error.name });
      },
    }, async (request) => pipeline.handle(request.body, request.log, oversizedReviewOf(request.body)));
  });
}
