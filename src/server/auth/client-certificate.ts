// Which CA signed the peer's client certificate, checked per purpose. The TLS server trusts the union of every
// client CA it was given (front proxy, webhook caller), so `socket.authorized` alone only says "one of them":
// a webhook client certificate must never pass as the front proxy, nor the other way round.
import type { PeerCertificate, DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';

export type ClientCertificateCheck =
  | { verified: true; commonName: string }
  | { verified: false; reason: 'no-client-certificate' | 'untrusted-certificate' };

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

function commonNameOf(certificate: PeerCertificate): string {
  const name = certificate.subject?.CN;
  return (Array.isArray(name) ? name[0] : name) ?? '';
}

function signedByOneOf(certificate: X509Certificate, authorities: X509Certificate[]): boolean {
  return authorities.some((authority) => certificate.fingerprint256 === authority.fingerprint256
    || (certificate.checkIssued(authority) && certificate.verify(authority.publicKey)));
}

/**
 * Checks the peer's certificate against `authorities` only. The TLS layer has already verified the chain
 * (signatures, validity dates) against all client CAs; this says whether the chain leads to one of ours.
 */
export function checkClientCertificate(socket: TLSSocket | undefined, authorities: X509Certificate[]): ClientCertificateCheck {
  if (!socket || typeof socket.getPeerCertificate !== 'function') return { verified: false, reason: 'no-client-certificate' };
  const peer = socket.getPeerCertificate(true) as DetailedPeerCertificate;
  if (!peer || !peer.raw) return { verified: false, reason: 'no-client-certificate' };
  if (!socket.authorized) return { verified: false, reason: 'untrusted-certificate' };
  const seen = new Set<string>();
  for (let link: DetailedPeerCertificate | undefined = peer; link?.raw && !seen.has(link.fingerprint256); link = link.issuerCertificate) {
    seen.add(link.fingerprint256);
    if (signedByOneOf(new X509Certificate(link.raw), authorities)) return { verified: true, commonName: commonNameOf(peer) };
  }
  return { verified: false, reason: 'untrusted-certificate' };
}
