// The one place that turns any error into a JSON answer (a Kubernetes Status under /apis/), the refusals of the
// route schemas included: they are worded like every other message, the parameter first, then what was wrong.
import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { AdmissionInputError } from '../admission/review.ts';
import { HttpError } from '../api/errors.ts';
import { InvalidQueryError, StoreError } from '../store/types.ts';

export { HttpError };

/**
 * How route schemas are checked (Ajv options; Fastify's defaults otherwise). Unknown parameters are refused, not
 * silently removed, so a typo never widens a query; refusals carry the value and the schema they failed, for
 * the message.
 */
export const SCHEMA_VALIDATION = { removeAdditional: false, verbose: true } as const;

/** A schema refusal as Ajv reports it with `verbose`. */
interface SchemaRefusal extends FastifySchemaValidationError {
  data?: unknown;
  parentSchema?: { type?: string; minimum?: number; maximum?: number; enum?: unknown[]; properties?: Record<string, unknown> };
}

/** `limit: must be a whole number from 1 to 1000, got "x"`: one refusal, worded for the caller. */
function describeRefusal(refusal: SchemaRefusal): string {
  const { keyword, params, data, parentSchema: schema = {} } = refusal;
  const name = refusal.instancePath.split('/').filter(Boolean).join('.');
  if (keyword === 'additionalProperties') {
    const known = Object.keys(schema.properties ?? {});
    return `${String(params['additionalProperty'])}: unknown parameter; ${known.length > 0 ? `known: ${known.join(', ')}` : 'this endpoint takes none'}`;
  }
  if (keyword === 'required') return `${String(params['missingProperty'])}: required`;
  if (Array.isArray(data)) return `${name}: give it once, not ${data.length} times`;
  const got = `got "${String(data)}"`;
  if (schema.type === 'integer' && ['type', 'minimum', 'maximum'].includes(keyword)) {
    return `${name}: must be a whole number from ${schema.minimum} to ${schema.maximum}, ${got}`;
  }
  if (keyword === 'enum') return `${name}: must be one of ${(schema.enum ?? []).join(', ')}, ${got}`;
  if (keyword === 'minLength') return `${name}: must not be empty`;
  return `${name}: ${refusal.message ?? 'is not valid'}`;
}

function describe(error: FastifyError | Error): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.statusCode, message: error.message };
  if (error instanceof AdmissionInputError) return { status: 400, message: `not a usable AdmissionReview: ${error.message}` };
  if (error instanceof InvalidQueryError) return { status: 400, message: `${error.parameter}: ${error.message}` };
  if (error instanceof StoreError) return { status: 503, message: `the event store is unavailable: ${error.message}` };
  const code = (error as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: 'request body is larger than --max-body-bytes' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 400, message: 'content type must be application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'body is empty; send an AdmissionReview as JSON' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, message: 'Content-Length does not match the body' };
    case 'FST_ERR_VALIDATION': {
      const [first] = (error as FastifyError).validation ?? [];
      return { status: 400, message: first ? describeRefusal(first) : error.message };
    }
  }
  if (error instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, message: `malformed JSON: ${error.message}` };
  }
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return { status, message: error.message };
  return { status: 500, message: 'internal error; see the server log' };
}

const STATUS_REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 413: 'RequestEntityTooLarge', 503: 'ServiceUnavailable',
};

/** Kubernetes clients (kubectl) read errors of an aggregated API as a Status object; everyone else gets {error}. */
function errorBody(url: string, status: number, message: string): object {
  if (!url.startsWith('/apis/')) return { error: message };
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: STATUS_REASONS[status] ?? 'InternalError', code: status };
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message } = describe(error);
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    else request.log.info({ status, url: request.url, reason: message }, 'request rejected');
    void reply.code(status).send(errorBody(request.url, status, message));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    void reply.code(404).send(errorBody(path, 404, `no such endpoint: ${request.method} ${path}`));
  });
}
