// Certificate rotation without restart: the files are polled (a Kubernetes Secret volume swaps a symlink, which
// inotify misses) and a new secure context is installed, on every listener that serves them (the main one and
// --capture-listen), once both files parse as a matching pair.
import { readFileSync, statSync, watchFile, unwatchFile } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Server } from 'node:https';
import type { FastifyBaseLogger } from 'fastify';

export function readTlsFiles(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const read = (path: string, flag: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`${flag}: cannot read ${path}: ${(error as Error).message}`);
    }
  };
  const pair = { cert: read(certFile, '--tls-cert-file'), key: read(keyFile, '--tls-key-file') };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new Error(`--tls-cert-file/--tls-key-file: not a usable PEM certificate and key pair: ${(error as Error).message}`);
  }
  return pair;
}

export function watchTlsFiles(
  servers: Server[], certFile: string, keyFile: string, log: FastifyBaseLogger, clientCa: SecureContextOptions['ca'], intervalMs = 2000,
): () => void {
  const fingerprint = () => {
    try {
      return [certFile, keyFile].map((path) => { const s = statSync(path); return `${s.mtimeMs}:${s.size}:${s.ino}`; }).join('|');
    } catch {
      return 'missing';
    }
  };
  let current = fingerprint();
  const check = () => {
    const next = fingerprint();
    if (next === current || next === 'missing') return;
    try {
      const context = { ...readTlsFiles(certFile, keyFile), ...(clientCa ? { ca: clientCa } : {}) };
      for (const server of servers) server.setSecureContext(context);
      current = next;
      log.info({ certFile }, 'TLS certificate reloaded');
    } catch (error) {
      // A half-written rotation: keep serving the old pair and try again at the next poll.
      log.warn({ err: { message: (error as Error).message } }, 'TLS files changed but cannot be used yet; keeping the current certificate');
    }
  };
  watchFile(certFile, { interval: intervalMs }, check);
  watchFile(keyFile, { interval: intervalMs }, check);
  return () => {
    unwatchFile(certFile, check);
    unwatchFile(keyFile, check);
  };
}
