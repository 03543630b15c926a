// Which CA signed the peer's client certificate, checked per purpose. The TLS server trusts the union of every
// client CA it was given (front proxy, webhook caller), so `socket.authorized` alone only says "one of them":
// a webhook client certificate must never pass as the front proxy, nor the other way round.
// Node gives a TLS server only the peer's leaf certificate (getPeerCertificate(true) has no issuer chain on the
// server side), so a certificate issued by an intermediate CA can be traced to one of ours only where the TLS layer
// trusted nothing else: a listener whose client CAs are exactly this purpose's (`exclusiveTrust`).
import type { PeerCertificate, DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';

export type ClientCertificateCheck =
  | { verified: true; commonName: string }
  | { verified: false; reason: 'no-client-certificate' | 'untrusted-certificate' | 'intermediate-on-shared-listener' | 'ambiguous-common-name' };

export interface ClientCertificateOptions {
  /**
   * The TLS server verifies client certificates against these authorities only, so a verified chain (through
   * intermediates too) ends at one of them. False when it also trusts another purpose's CAs.
   */
  exclusiveTrust?: boolean;
}

/** Every certificate in a PEM bundle (a CA file may hold several, e.g. during CA rotation). */
export function parseCaBundle(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${what}: no PEM certificate found`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new Error(`${what}: not a usable PEM certificate: ${(error as Error).message}`);
    }
  });
}

/**
 * The subject's common name, or null when it has several: Kubernetes reads the last one, OpenSSL tools the first,
 * so such a certificate could name one user to one reader and another to the other. It is refused.
 */
function commonNameOf(certificate: PeerCertificate): string | null {
  const name = certificate.subject?.CN;
  if (Array.isArray(name)) return name.length === 1 ? name[0]! : null;
  return name ?? '';
}

function signedByOneOf(certificate: X509Certificate, authorities: X509Certificate[]): boolean {
  return authorities.some((authority) => certificate.fingerprint256 === authority.fingerprint256
    || (certificate.checkIssued(authority) && certificate.verify(authority.publicKey)));
}

/**
 * Checks the peer's certificate against `authorities` only. The TLS layer has already verified the chain
 * (signatures, validity dates) against all client CAs; this says whether the chain leads to one of ours.
 */
export function checkClientCertificate(socket: TLSSocket | undefined, authorities: X509Certificate[], options: ClientCertificateOptions = {}): ClientCertificateCheck {
  if (!socket || typeof socket.getPeerCertificate !== 'function') return { verified: false, reason: 'no-client-certificate' };
  const peer = socket.getPeerCertificate(true);
  if (!peer?.raw) return { verified: false, reason: 'no-client-certificate' };
  if (!socket.authorized) return { verified: false, reason: 'untrusted-certificate' };
  const commonName = commonNameOf(peer);
  if (commonName === null) return { verified: false, reason: 'ambiguous-common-name' };
  if (options.exclusiveTrust) return { verified: true, commonName };
  const seen = new Set<string>();
  for (let link: DetailedPeerCertificate | undefined = peer; link?.raw && !seen.has(link.fingerprint256); link = link.issuerCertificate) {
    seen.add(link.fingerprint256);
    if (signedByOneOf(new X509Certificate(link.raw), authorities)) return { verified: true, commonName };
  }
  // Verified by the TLS layer against another purpose's CA too, through an intermediate we cannot see.
  const leaf = new X509Certificate(peer.raw);
  const issuedByIntermediate = !authorities.some((authority) => leaf.checkIssued(authority));
  return { verified: false, reason: issuedByIntermediate ? 'intermediate-on-shared-listener' : 'untrusted-certificate' };
}
