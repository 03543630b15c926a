// Who may call /capture, over real mutual TLS: a certificate issued by an intermediate CA under
// --capture-client-ca-file is accepted where the listener trusts nothing else, refused with a clear reason where
// it also trusts another purpose's CA, and a subject with two common names is refused (Kubernetes reads the last).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import pino from 'pino';
import { buildApp } from '../../src/server/app.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../src/admission/normalise.ts';
import { parseCaBundle } from '../../src/server/auth/client-certificate.ts';
import {
  createCa, createClientCert, createIntermediateCa, createServingCert, type CertFiles, type CertificateAuthority,
} from '../../harness/certs.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';

const WEBHOOK_CLIENT = 'kube-apiserver-webhook-client';

interface Pki {
  dir: string;
  captureRoot: CertificateAuthority;
  frontProxyRoot: CertificateAuthority;
  serving: CertFiles;
  /** Leaf issued by an intermediate under the capture root; its PEM is the leaf followed by the intermediate. */
  viaIntermediate: CertFiles;
  /** The same shape under another root: TLS must refuse it. */
  viaForeignIntermediate: CertFiles;
  twoCommonNames: CertFiles;
}

async function makePki(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'logistis-callers-'));
  const captureRoot = await createCa(dir, { name: 'capture-root' });
  const frontProxyRoot = await createCa(dir, { name: 'front-proxy-root' });
  const foreignRoot = await createCa(dir, { name: 'foreign-root' });
  const serving = await createServingCert(dir, captureRoot, { name: 'serving' });
  const intermediate = await createIntermediateCa(dir, captureRoot, { name: 'capture-intermediate' });
  const foreignIntermediate = await createIntermediateCa(dir, foreignRoot, { name: 'foreign-intermediate' });
  const leaf = await createClientCert(dir, intermediate, { name: 'via-intermediate', commonName: WEBHOOK_CLIENT });
  const foreignLeaf = await createClientCert(dir, foreignIntermediate, { name: 'via-foreign', commonName: WEBHOOK_CLIENT });
  const twoCommonNames = await createClientCert(dir, captureRoot, { name: 'two-cns', commonName: WEBHOOK_CLIENT, additionalCommonNames: ['system:admin'] });
  return {
    dir, captureRoot, frontProxyRoot, serving, twoCommonNames,
    viaIntermediate: { ...leaf, certPem: leaf.certPem + intermediate.certPem },
    viaForeignIntermediate: { ...foreignLeaf, certPem: foreignLeaf.certPem + foreignIntermediate.certPem },
  };
}

interface Listener {
  port: number;
  close(): Promise<void>;
}

/** An app whose TLS trusts the capture root, and the front-proxy root too when `shared`. */
async function listen(pki: Pki, shared: boolean): Promise<Listener> {
  const dir = mkdtempSync(join(tmpdir(), 'logistis-callers-store-'));
  const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 10, maxAgeMs: 86_400_000 });
  const trusted = shared ? [pki.captureRoot.certPem, pki.frontProxyRoot.certPem] : [pki.captureRoot.certPem];
  const app = buildApp({
    store, metrics: createMetrics({ defaultMetrics: false }), logger: pino({ level: 'silent' }),
    maxBodyBytes: 3 * 1024 * 1024, commitTimeoutMs: 2000,
    capture: { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 1), recordUnchanged: false },
    // As serve does: ask for a client certificate, never require one; the route decides.
    tls: { cert: pki.serving.certPem, key: pki.serving.keyPem, ca: trusted, requestCert: true, rejectUnauthorized: false } as SecureContextOptions,
    captureCallers: { authorities: parseCaBundle(pki.captureRoot.certPem, 'test'), allowedNames: [WEBHOOK_CLIENT], exclusiveTrust: !shared },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    port: (app.server.address() as AddressInfo).port,
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function capture(port: number, pki: Pki, client: CertFiles): Promise<{ status: number; body: string }> {
  const review = JSON.stringify(withFreshUid(loadFixture('configmap-create')));
  return new Promise((resolveAnswer, reject) => {
    const request = httpsRequest({
      host: '127.0.0.1', port, path: '/capture', method: 'POST', ca: pki.captureRoot.certPem,
      cert: client.certPem, key: client.keyPem, headers: { 'content-type': 'application/json' },
    }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      response.on('end', () => resolveAnswer({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end(review);
  });
}

describe('webhook callers over mutual TLS', () => {
  let pki: Pki;
  before(async () => { pki = await makePki(); });
  after(() => rmSync(pki.dir, { recursive: true, force: true }));

  it('accepts a certificate issued by an intermediate CA under --capture-client-ca-file on a listener that trusts only it', async () => {
    const listener = await listen(pki, false);
    try {
      const answer = await capture(listener.port, pki, pki.viaIntermediate);
      assert.equal(answer.status, 200, answer.body);
      assert.match(answer.body, /"allowed":true/);
    } finally {
      await listener.close();
    }
  });

  it('refuses an intermediate-issued certificate under another root', async () => {
    const listener = await listen(pki, false);
    try {
      const answer = await capture(listener.port, pki, pki.viaForeignIntermediate);
      assert.equal(answer.status, 401);
      assert.match(answer.body, /not signed by --capture-client-ca-file/);
    } finally {
      await listener.close();
    }
  });

  it('refuses an intermediate-issued certificate where the listener also trusts the front-proxy CA, naming --capture-listen', async () => {
    const listener = await listen(pki, true);
    try {
      const answer = await capture(listener.port, pki, pki.viaIntermediate);
      assert.equal(answer.status, 401);
      assert.match(answer.body, /intermediate CA.*--capture-listen/);
    } finally {
      await listener.close();
    }
  });

  it('refuses a certificate with two common names, whichever one is allowed', async () => {
    const listener = await listen(pki, false);
    try {
      const answer = await capture(listener.port, pki, pki.twoCommonNames);
      assert.equal(answer.status, 401);
      assert.match(answer.body, /more than one common name/);
    } finally {
      await listener.close();
    }
  });
});
