// A throwaway CA and a serving certificate for 127.0.0.1, made by the harness's PKI helpers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createServingCert } from './certs.ts';

export interface TestCertificate {
  /** The serving certificate and key for `--tls-cert-file` / `--tls-key-file`. */
  certFile: string;
  keyFile: string;
  /** The CA that signed it: what a client trusts. */
  caFile: string;
  dir: string;
}

export async function testCertificate(dir = mkdtempSync(join(tmpdir(), 'logistis-tls-'))): Promise<TestCertificate> {
  const ca = await createCa(dir, { name: 'test-ca' });
  const serving = await createServingCert(dir, ca, { name: 'tls' });
  return { certFile: serving.certPath, keyFile: serving.keyPath, caFile: ca.certPath, dir };
}
