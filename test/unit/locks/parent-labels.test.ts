// Reading a subresource's parent labels: the path it reads, and how a failure comes back (never thrown): no
// server, and a server that never answers (bounded by the timeout, so the webhook still answers in time).
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { AdmissionRequest } from '../../../src/admission/review.ts';
import { parentPath, readParentLabels } from '../../../src/locks/parent-labels.ts';

function request(group: string, resource: string, namespace: string, name: string, subResource: string): AdmissionRequest {
  return {
    uid: 'u', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, resource: { group, version: 'v1', resource }, subResource,
    name, namespace, operation: 'UPDATE', userInfo: { username: 'bob', uid: '', groups: [], extra: {} },
    object: null, oldObject: null, dryRun: false, options: null,
  };
}

function kubeConfigFor(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters: [{ name: 'c', server, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  return kubeConfig;
}

describe('parent labels', () => {
  it('reads the parent object, namespaced or not, in the group and version of the request', () => {
    assert.equal(parentPath(request('apps', 'deployments', 'shop', 'web', 'scale')), '/apis/apps/v1/namespaces/shop/deployments/web');
    assert.equal(parentPath(request('', 'pods', 'shop', 'web-0', 'eviction')), '/api/v1/namespaces/shop/pods/web-0');
    assert.equal(parentPath(request('example.com', 'widgets', '', 'w', 'scale')), '/apis/example.com/v1/widgets/w');
  });

  it('says why when nothing answers at the address', async () => {
    const result = await readParentLabels(kubeConfigFor('https://127.0.0.1:1'), request('apps', 'deployments', 'shop', 'web', 'scale'));
    assert.equal(result.known, false);
    assert.match(result.known ? '' : result.problem, /^GET \/apis\/apps\/v1\/namespaces\/shop\/deployments\/web failed: .*ECONNREFUSED/);
  });

  it('gives up after its timeout when the server never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const started = Date.now();
      const result = await readParentLabels(kubeConfigFor(`https://127.0.0.1:${port}`), request('', 'pods', 'shop', 'web-0', 'eviction'), 300);
      const took = Date.now() - started;
      assert.deepEqual(result, { known: false, problem: 'GET /api/v1/namespaces/shop/pods/web-0 failed: no answer within 300 ms' });
      assert.ok(took >= 300 && took < 2_000, `took ${took} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
