// What every route the API server calls as a webhook (/capture, /locks/check) shares: the caller check on the
// client certificate and the AdmissionReview body parser. Not a route file, so route files never import each other.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { Metrics } from './metrics.ts';
import { HttpError } from './errors.ts';
import { checkClientCertificate } from './auth/client-certificate.ts';

/** Who may call /capture: a client certificate signed by one of `authorities`, CN in `allowedNames` (empty: any). */
export interface CaptureCallerPolicy {
  authorities: X509Certificate[];
  allowedNames: string[];
}

function refuse(request: FastifyRequest, reply: FastifyReply, metrics: Metrics, status: 401 | 403, reason: string, message: string, commonName?: string) {
  metrics.captureRefused.inc({ reason });
  request.log.warn({ reason, remoteAddress: request.ip, commonName }, 'capture refused: the caller is not the API server');
  return reply.code(status).send({ error: message });
}

/** The onRequest hook of every route the API server calls as a webhook (/capture, /locks/check). */
export function webhookCallerCheck(metrics: Metrics, callers: CaptureCallerPolicy | null) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!callers) return;
    const check = checkClientCertificate(request.raw.socket as TLSSocket, callers.authorities);
    if (!check.verified) {
      return refuse(request, reply, metrics, 401, check.reason,
        check.reason === 'no-client-certificate'
          ? 'no client certificate: only the Kubernetes API server may call /capture (--capture-client-ca-file)'
          : 'the client certificate is not signed by --capture-client-ca-file');
    }
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
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
