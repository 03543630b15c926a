// watchTlsFiles on real HTTPS servers (the main listener and --capture-listen) with certificates made by openssl: a
// half-written rotation (a new certificate beside the old key) keeps the old pair in service; once both files
// match, new connections to either server get the new certificate, without a restart.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { readTlsFiles, watchTlsFiles } from '../../src/server/tls-reloader.ts';
import { createCa, createServingCert, type CertFiles } from '../../harness/certs.ts';
import { waitFor } from '../../harness/control-plane.ts';

/** The common name of the certificate a new connection to `port` is shown. */
function servedName(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const name = socket.getPeerCertificate().subject.CN;
      socket.end();
      resolve(Array.isArray(name) ? name.join(',') : String(name));
    });
    socket.on('error', reject);
  });
}

describe('TLS files rotated under a running server', () => {
  let dir: string;
  let server: Server;
  let captureServer: Server;
  let stop: () => void;
  let ca: Buffer;
  let second: CertFiles;
  const certFile = () => join(dir, 'tls.crt');
  const keyFile = () => join(dir, 'tls.key');
  const log: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-tls-reload-'));
    const authority = await createCa(dir, { name: 'ca' });
    const first = await createServingCert(dir, authority, { name: 'first', commonName: 'first.example' });
    second = await createServingCert(dir, authority, { name: 'second', commonName: 'second.example' });
    ca = Buffer.from(authority.certPem);
    copyFileSync(first.certPath, certFile());
    copyFileSync(first.keyPath, keyFile());
    server = createServer(readTlsFiles(certFile(), keyFile()), (_req, res) => res.end());
    captureServer = createServer(readTlsFiles(certFile(), keyFile()), (_req, res) => res.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => captureServer.listen(0, '127.0.0.1', resolve));
    const lines = new Writable({ write(chunk: Buffer, _encoding, done) { log.push(chunk.toString()); done(); } });
    stop = watchTlsFiles([server, captureServer], certFile(), keyFile(), pino(lines), undefined, 20);
  });

  after(() => {
    stop?.();
    server?.close();
    captureServer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the old pair while only the certificate is new, and serves the new pair on both listeners once the key follows', async () => {
    const port = (server.address() as AddressInfo).port;
    const capturePort = (captureServer.address() as AddressInfo).port;
    assert.equal(await servedName(port, ca), 'first.example');
    assert.equal(await servedName(capturePort, ca), 'first.example');

    copyFileSync(second.certPath, certFile());
    await waitFor(() => log.some((line) => line.includes('cannot be used yet')), { timeoutMs: 20_000, message: 'the warning about a half-written rotation' });
    assert.equal(await servedName(port, ca), 'first.example', 'a certificate without its key is not installed');
    assert.equal(await servedName(capturePort, ca), 'first.example', 'a certificate without its key is not installed');

    copyFileSync(second.keyPath, keyFile());
    await waitFor(() => log.some((line) => line.includes('TLS certificate reloaded')), { timeoutMs: 20_000, message: 'the reload' });
    assert.equal(await servedName(port, ca), 'second.example');
    assert.equal(await servedName(capturePort, ca), 'second.example', 'the capture listener serves the new pair too');
  });
});
