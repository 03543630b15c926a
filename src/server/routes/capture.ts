// POST /capture: the validating admission webhook. Only the API server may write history: with a capture
// client CA, a caller without a certificate from that CA (and an allowed common name) is refused before its
// body is read. Bodies are parsed with plain JSON.parse (own properties for every key, `__proto__` included:
// Kubernetes allows such keys in data, labels, annotations and specs); every sink that copies keys is safe.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { CapturePipeline } from '../../capture/pipeline.ts';
import type { Metrics } from '../metrics.ts';
import { HttpError } from '../errors.ts';
import { checkClientCertificate, type ClientCertificateCheck } from '../auth/client-certificate.ts';
import { parseJson } from '../../exact-json.ts';

/** Who may call /capture: a client certificate signed by one of `authorities`, CN in `allowedNames` (empty: any). */
export interface CaptureCallerPolicy {
  authorities: X509Certificate[];
  allowedNames: string[];
  /** The listener's TLS trusts only `authorities`: a chain through intermediate CAs is then accepted too. */
  exclusiveTrust: boolean;
}

const REFUSAL_MESSAGES: Record<Exclude<ClientCertificateCheck, { verified: true }>['reason'], string> = {
  'no-client-certificate': 'no client certificate: only the Kubernetes API server may call /capture (--capture-client-ca-file)',
  'untrusted-certificate': 'the client certificate is not signed by --capture-client-ca-file',
  'intermediate-on-shared-listener': 'the client certificate is issued by an intermediate CA, which can be traced to --capture-client-ca-file only on a listener that trusts nothing else: use --capture-listen',
  'ambiguous-common-name': 'the client certificate has more than one common name; Kubernetes and logistis could read different users from it',
};

function refuse(request: FastifyRequest, reply: FastifyReply, metrics: Metrics, status: 401 | 403, reason: string, message: string, commonName?: string) {
  metrics.captureRefused.inc({ reason });
  request.log.warn({ reason, remoteAddress: request.ip, commonName }, 'capture refused: the caller is not the API server');
  return reply.code(status).send({ error: message });
}

/** The onRequest hook of every route the API server calls as a webhook (/capture, /locks/check). */
export function webhookCallerCheck(metrics: Metrics, callers: CaptureCallerPolicy | null) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!callers) return;
    const check = checkClientCertificate(request.raw.socket as TLSSocket, callers.authorities, { exclusiveTrust: callers.exclusiveTrust });
    if (!check.verified) return refuse(request, reply, metrics, 401, check.reason, REFUSAL_MESSAGES[check.reason]);
    if (callers.allowedNames.length > 0 && !callers.allowedNames.includes(check.commonName)) {
      return refuse(request, reply, metrics, 403, 'name-not-allowed', `client certificate "${check.commonName}" is not in --capture-allowed-names`, check.commonName);
    }
  };
}

/** AdmissionReview bodies as the API server sends them, `__proto__` keys and all (see the capture route). */
export function useAdmissionJsonParser(scope: FastifyInstance): void {
  // Fastify's default JSON parser (secure-json-parse) refuses `__proto__` and `constructor` keys with 400, so
  // such a change would go unrecorded; one JSON.parse, no poisoning scan: nothing downstream assigns keys
  // with `object[key] =` (see setOwn in event.ts).
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(new HttpError(400, 'body is empty; send an AdmissionReview as JSON'), undefined);
    try {
      done(null, parseJson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

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
