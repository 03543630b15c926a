// POST /capture: the validating admission webhook. Only the API server may write history: with a capture
// client CA, a caller without a certificate from that CA (and an allowed common name) is refused before its
// body is read. Bodies are parsed with plain JSON.parse (own properties for every key, `__proto__` included:
// Kubernetes allows such keys in data, labels, annotations and specs); every sink that copies keys is safe.
import type { FastifyInstance } from 'fastify';
import type { CapturePipeline } from '../../capture/pipeline.ts';
import type { Metrics } from '../metrics.ts';
import { useAdmissionJsonParser, webhookCallerCheck, type CaptureCallerPolicy } from '../webhook-callers.ts';

export function registerCaptureRoute(app: FastifyInstance, pipeline: CapturePipeline, metrics: Metrics, callers: CaptureCallerPolicy | null): void {
  const checkCaller = webhookCallerCheck(metrics, callers);
  void app.register(async (scope) => {
    useAdmissionJsonParser(scope);
    scope.post('/capture', {
      onRequest: checkCaller,
      onError: async (_request, _reply, error) => {
        metrics.rejectedRequests.inc({ reason: (error as { code?: string }).code ?? error.name });
      },
    }, async (request) => pipeline.handle(request.body, request.log));
  });
}
