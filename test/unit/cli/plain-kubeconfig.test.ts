// The kubeconfigs kubectl-blame reads without client-node, and the ones it leaves to client-node (null): every
// field that could change the request sends it there, never a guess.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { readPlainKubeConfig } from '../../../src/cli/blame/plain-kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'logistis-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}, context: Record<string, unknown> = {}): string {
  const path = join(dir, name);
  writeFileSync(path, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'main',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from('CA PEM').toString('base64'), ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'main', context: { cluster: 'c', user: 'u', ...context } }, { name: 'other', context: { cluster: 'c', user: 'u', namespace: 'shop' } }],
  }));
  return path;
}

describe('readPlainKubeConfig', () => {
  it('a bearer token and an inline CA, from --kubeconfig', () => {
    const config = readPlainKubeConfig({ kubeconfig: kubeconfig('token', { token: 'abc' }) }, {});
    assert.deepEqual(config, {
      server: 'https://127.0.0.1:6443', contextName: 'main', namespace: undefined,
      tls: { rejectUnauthorized: true, ca: Buffer.from('CA PEM') }, headers: { authorization: 'Bearer abc' },
    });
  });

  it('client certificate files relative to the kubeconfig, a token file, --context and its namespace, from KUBECONFIG', () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    writeFileSync(join(dir, 'token.txt'), 'from-file\n');
    const path = kubeconfig('certs', { 'client-certificate': 'client.crt', 'client-key': 'client.key', tokenFile: 'token.txt' },
      { 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes.default' });
    const config = readPlainKubeConfig({ context: 'other' }, { KUBECONFIG: path })!;
    assert.equal(config.contextName, 'other');
    assert.equal(config.namespace, 'shop');
    assert.equal(config.tls.cert?.toString(), 'CERT');
    assert.equal(config.tls.key?.toString(), 'KEY');
    assert.equal(config.tls.rejectUnauthorized, false);
    assert.equal(config.tls.servername, 'kubernetes.default');
    assert.deepEqual(config.headers, { authorization: 'Bearer from-file' });
  });

  it('leaves to client-node: exec plugins, auth providers, basic auth, impersonation, proxies, several files, a missing user', () => {
    for (const [name, user, cluster] of [
      ['exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } }, {}],
      ['provider', { 'auth-provider': { name: 'oidc' } }, {}],
      ['basic', { username: 'a', password: 'b' }, {}],
      ['as', { token: 'x', as: 'admin' }, {}],
      ['proxy', { token: 'x' }, { 'proxy-url': 'http://proxy:3128' }],
    ] as const) {
      assert.equal(readPlainKubeConfig({ kubeconfig: kubeconfig(name, user, cluster) }, {}), null, name);
    }
    const one = kubeconfig('one', { token: 'x' });
    assert.equal(readPlainKubeConfig({}, { KUBECONFIG: [one, one].join(delimiter) }), null, 'several files are merged by client-node');
    assert.equal(readPlainKubeConfig({ kubeconfig: kubeconfig('nouser', { token: 'x' }, {}, { user: 'nobody' }) }, {}), null);
    assert.equal(readPlainKubeConfig({ kubeconfig: join(dir, 'absent') }, {}), null, 'client-node says why it cannot read it');
    assert.equal(readPlainKubeConfig({ context: 'absent', kubeconfig: one }, {}), null, 'client-node names the known contexts');
  });
});
