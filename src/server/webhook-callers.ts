// What every route the API server calls as a webhook (/capture, /locks/check) shares: the caller check on the
// client certificate, and the AdmissionReview body reader. Not a route file, so route files never import each other.
// Only the API server may write history: with a capture client CA, a caller without a certificate from that CA (and
// an allowed common name) is refused before its body is read. Bodies are parsed with parseJson, JSON.parse that
// keeps big numbers exact (own properties for every key, `__proto__` included: Kubernetes allows such keys in data,
// labels, annotations and specs); every sink that copies keys is safe. A body over --max-body-bytes is scanned, not
// kept, and still recorded (marked oversized) and answered.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { OversizedReview } from '../event.ts';
import { ReviewScanner, locateJsonError } from '../admission/review-scan.ts';
import type { Metrics } from './metrics.ts';
import { HttpError } from './errors.ts';
import { checkClientCertificate, type ClientCertificateCheck } from './auth/client-certificate.ts';
import { parseJson } from '../exact-json.ts';

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

/**
 * Above --max-body-bytes a body is scanned as it arrives and never kept; above this it is refused (413). The API
 * server sends at most about 2 × 3 MiB of objects, six-fold when every character is escaped: far below.
 */
export const OVERSIZED_CEILING_BYTES = 256 * 1024 * 1024;

/** The reviews that were too large to parse whole, by the body the scan made of them. */
const oversizedBodies = new WeakMap<object, OversizedReview>();

/** For a body over --max-body-bytes: its size and the limit (its review then holds only what names the change). */
export function oversizedReviewOf(body: unknown): OversizedReview | undefined {
  return typeof body === 'object' && body !== null ? oversizedBodies.get(body) : undefined;
}

/** JSON text to a value; a malformed body is described by where it fails, never by what is there (it may hold secrets). */
function parseBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return parseJson(text);
  } catch {
    // V8's message quotes the text around the error: say where instead.
    throw locateJsonError(body) ?? new SyntaxError('the body is not valid JSON');
  }
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * Reads a body: up to `limit` bytes it is kept and parsed with JSON.parse; beyond, it is scanned chunk by chunk for
 * what names the change (admission/review-scan.ts), and what the scan read is the body. Content-Length is
 * checked as Fastify checks it.
 */
function readAdmissionBody(payload: Readable, contentLength: number, limit: number, done: Done): void {
  if (contentLength > OVERSIZED_CEILING_BYTES) {
    done(new HttpError(413, `request body is larger than ${OVERSIZED_CEILING_BYTES} bytes, more than any AdmissionReview`));
    return;
  }
  let received = 0;
  let chunks: Buffer[] = [];
  let scanner: ReviewScanner | null = null;
  const finish = (error: Error | null, body?: unknown) => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
    done(error, body);
  };
  function onData(chunk: Buffer | string) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    received += bytes.length;
    try {
      if (received > OVERSIZED_CEILING_BYTES) {
        finish(new HttpError(413, `request body is larger than ${OVERSIZED_CEILING_BYTES} bytes, more than any AdmissionReview`));
        return;
      }
      if (scanner) {
        scanner.write(bytes);
      } else if (received > limit) {
        scanner = new ReviewScanner();
        for (const kept of chunks) scanner.write(kept);
        chunks = [];
        scanner.write(bytes);
      } else {
        chunks.push(bytes);
      }
    } catch (error) {
      finish(error as Error);
    }
  }
  function onEnd(error?: Error) {
    if (error) {
      finish(Object.assign(error, { statusCode: 400 }));
      return;
    }
    if (!Number.isNaN(contentLength) && received !== contentLength) {
      finish(new HttpError(400, 'Content-Length does not match the body'));
      return;
    }
    if (received === 0) {
      finish(new HttpError(400, 'body is empty; send an AdmissionReview as JSON'));
      return;
    }
    try {
      if (!scanner) {
        finish(null, parseBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)));
        return;
      }
      const { review, dropped } = scanner.end();
      oversizedBodies.set(review, { reviewBytes: received, maxBodyBytes: limit, ...(dropped.length > 0 ? { omitted: dropped } : {}) });
      finish(null, review);
    } catch (error) {
      finish(error as Error);
    }
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
  payload.resume();
}

/**
 * AdmissionReview bodies as the API server sends them, `__proto__` keys and all (see the capture route), of any
 * size: one over --max-body-bytes (Fastify's bodyLimit) is read for what names the change (`oversizedReviewOf`).
 */
export function useAdmissionJsonParser(scope: FastifyInstance): void {
  // Fastify's default JSON parser (secure-json-parse) refuses `__proto__` and `constructor` keys with 400, so
  // such a change would go unrecorded; one JSON.parse, no poisoning scan: nothing downstream assigns keys
  // with `object[key] =` (see setOwn in event.ts). A parser given the stream gets no bodyLimit from Fastify.
  const limit = scope.initialConfig.bodyLimit ?? 1024 * 1024;
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', (request, payload, done) => {
    readAdmissionBody(payload, Number(request.headers['content-length']), limit, done);
  });
}
