// The aggregation layer authenticates users for us and forwards who they are in headers, over a TLS connection
// that presents the front-proxy client certificate. Headers count only on such a connection. Pure but for the
// socket it reads.
import type { TLSSocket } from 'node:tls';
/** Header name (lower case) → every value sent, repeated headers kept apart (Node's `headersDistinct`). */
export type DistinctHeaders = Record<string, string[] | undefined>;
import type { FrontProxySettings, RequestUser } from './types.ts';

function headerValues(headers: DistinctHeaders, name: string): string[] {
  return headers[name.toLowerCase()] ?? [];
}

/** True when the peer presented a certificate signed by the front-proxy CA with an allowed common name. */
export function isFrontProxyConnection(socket: TLSSocket | undefined, settings: FrontProxySettings): boolean {
  if (!socket || typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return false;
  const certificate = socket.getPeerCertificate();
  if (!certificate || !certificate.subject) return false;
  if (settings.allowedNames.length === 0) return true;
  const commonName = certificate.subject.CN;
  const names = Array.isArray(commonName) ? commonName : [commonName];
  return names.some((name) => name !== undefined && settings.allowedNames.includes(name));
}

/** The forwarded user, or null when the proxy sent no username. */
// Repeated headers (one X-Remote-Group per group) must not be read joined with ", " as Node does by default.
export function userFromFrontProxyHeaders(headers: DistinctHeaders, settings: FrontProxySettings): RequestUser | null {
  const username = settings.usernameHeaders.map((name) => headerValues(headers, name)[0]).find((value) => value);
  if (!username) return null;
  const groups = settings.groupHeaders.flatMap((name) => headerValues(headers, name));
  const extra: Record<string, string[]> = {};
  for (const prefix of settings.extraHeaderPrefixes) {
    const lowerPrefix = prefix.toLowerCase();
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith(lowerPrefix) || value === undefined) continue;
      // Extra keys are percent-encoded in header names (RFC 7230 forbids some characters).
      const key = decodeURIComponent(name.slice(lowerPrefix.length));
      extra[key] = [...(extra[key] ?? []), ...value];
    }
  }
  const uid = settings.uidHeaders.map((name) => headerValues(headers, name)[0]).find((value) => value) ?? '';
  return { username, uid, groups, extra };
}
