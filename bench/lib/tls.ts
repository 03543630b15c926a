// A self-signed certificate for 127.0.0.1 in the bench's temp dir.
import { join } from 'node:path';
import { run } from './proc.ts';

export interface CertFiles {
  cert: string;
  key: string;
}

export async function makeCert(dir: string): Promise<CertFiles> {
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { timeoutMs: 30_000 });
  return { cert, key };
}
