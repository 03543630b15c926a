// POST /capture: the validating admission webhook.
import type { FastifyInstance } from 'fastify';
import type { CapturePipeline } from '../../capture/pipeline.ts';
import type { Metrics } from '../metrics.ts';
import { HttpError } from '../errors.ts';

export function registerCaptureRoute(app: FastifyInstance, pipeline: CapturePipeline, metrics: Metrics): void {
  app.post('/capture', {
    onError: async (_request, _reply, error) => {
      metrics.rejectedRequests.inc({ reason: (error as { code?: string }).code ?? error.name });
    },
  }, async (request) => {
    // Fastify also parses text/plain; an AdmissionReview only ever comes as JSON.
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) throw new HttpError(400, `content type must be application/json, got "${type}"`);
    return pipeline.handle(request.body, request.log);
  });
}
