// The aggregation layer authenticates users for us and forwards who they are in headers, over a TLS connection
// that presents the front-proxy client certificate. Headers count only on such a connection. Pure but for the
// socket it reads.
import type { TLSSocket } from 'node:tls';
/** Header name (lower case) → every value sent, repeated headers kept apart (Node's `headersDistinct`). */
export type DistinctHeaders = Record<string, string[] | undefined>;
import type { FrontProxySettings, RequestUser } from './types.ts';
import { checkClientCertificate, parseCaBundle } from './client-certificate.ts';

function headerValues(headers: DistinctHeaders, name: string): string[] {
  return headers[name.toLowerCase()] ?? [];
}

const authoritiesBySettings = new WeakMap<FrontProxySettings, ReturnType<typeof parseCaBundle>>();

function frontProxyAuthorities(settings: FrontProxySettings) {
  let authorities = authoritiesBySettings.get(settings);
  if (!authorities) authoritiesBySettings.set(settings, (authorities = parseCaBundle(settings.caPem, 'front-proxy CA')));
  return authorities;
}

/**
 * True when the peer presented a certificate signed by the front-proxy CA (not merely by another client CA the
 * server trusts, such as the webhook caller's) with an allowed common name.
 */
export function isFrontProxyConnection(socket: TLSSocket | undefined, settings: FrontProxySettings): boolean {
  const check = checkClientCertificate(socket, frontProxyAuthorities(settings), { exclusiveTrust: settings.exclusiveTrust });
  if (!check.verified) return false;
  return settings.allowedNames.length === 0 || settings.allowedNames.includes(check.commonName);
}

/** Like the API server: a key that is not valid percent-encoding is kept as sent; keys are lower case. */
function extraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded).toLowerCase();
  } catch {
    return encoded.toLowerCase();
  }
}

/** The forwarded user, or null when the proxy sent no username. */
// Repeated headers (one X-Remote-Group per group) must not be read joined with ", " as Node does by default.
export function userFromFrontProxyHeaders(headers: DistinctHeaders, settings: FrontProxySettings): RequestUser | null {
  const username = settings.usernameHeaders.map((name) => headerValues(headers, name)[0]).find((value) => value);
  if (!username) return null;
  const groups = settings.groupHeaders.flatMap((name) => headerValues(headers, name));
  // A Map, not an object literal: a key such as `__proto__` must stay a key.
  const extra = new Map<string, string[]>();
  for (const prefix of settings.extraHeaderPrefixes) {
    const lowerPrefix = prefix.toLowerCase();
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith(lowerPrefix) || value === undefined) continue;
      // Extra keys are percent-encoded in header names (RFC 7230 forbids some characters).
      const key = extraKey(name.slice(lowerPrefix.length));
      extra.set(key, [...(extra.get(key) ?? []), ...value]);
    }
  }
  const uid = settings.uidHeaders.map((name) => headerValues(headers, name)[0]).find((value) => value) ?? '';
  return { username, uid, groups, extra: Object.fromEntries(extra) };
}
