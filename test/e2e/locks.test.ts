// Locks end to end, through a real kube-apiserver and real kubectl: a Lock on a namespace for a group denies its
// members' writes with the Lock's reason, spares others and the except group, ends at its expiry, leaves the
// denied attempt in the history, never stops an admin from deleting it, and a malformed Lock is rejected by the
// schema or reported in its status. A selector Lock matches kubectl scale and evictions by the parent's labels.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerWebhook, startControlPlane, waitFor, type ControlPlane } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';
import type { ChangeEvent } from '../../src/event.ts';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/', import.meta.url));

const REASON = 'release freeze until 18:00 UTC (ask #platform)';

describe('Locks through the real API server', () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  before(async () => {
    cp = await startControlPlane({ users: [{ name: 'carol', groups: ['ops', 'break-glass'] }] });
    // aggregated: kubectl blame locks reads who created each Lock from logistis' history.
    logistis = await startLogistis(cp, { locks: true });
  });
  after(async () => {
    await logistis?.stop();
    await cp?.stop();
  });

  const configMap = (ns: string, name: string, value: string) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { value } });
  const apply = (user: string, ns: string, name: string, value: string, extra: string[] = []) =>
    cp.kubectl(user, ['apply', '-f', '-', ...extra], { input: configMap(ns, name, value), allowFailure: true });
  const createLock = (lock: object) => cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'logistis.io/v1alpha1', kind: 'Lock', ...lock }), allowFailure: true });
  const lockStatus = async (name: string) =>
    JSON.parse((await cp.kubectl('admin', ['get', 'lock', name, '-o', 'jsonpath={.status}'])).stdout || '{}') as { phase?: string; message?: string; lastTransitionTime?: string };
  const events = async (ns: string): Promise<ChangeEvent[]> => {
    const response = await logistis.api('admin', `/api/v1/events?namespace=${ns}&limit=1000`);
    assert.equal(response.status, 200, response.body);
    return (response.json() as { items: ChangeEvent[] }).items;
  };

  it('denies the locked group with the reason, spares others and the except group, and keeps the attempt', async () => {
    const ns = await cp.createNamespace('prod');
    for (const user of ['alice', 'bob', 'carol']) await cp.grant(user, 'edit', ns);
    assert.equal((await apply('bob', ns, 'settings', 'v1')).code, 0, 'before the Lock bob may write');

    const name = `freeze-${ns}`;
    const created = Date.now();
    const lock = await createLock({
      metadata: { name },
      spec: { target: { namespaces: [ns] }, subjects: { groups: ['ops'] }, except: { groups: ['break-glass'] }, reason: REASON },
    });
    assert.equal(lock.code, 0, lock.stderr);
    // Created while logistis runs: the watch brings it in within seconds.
    const denied = await waitFor(async () => {
      const result = await apply('bob', ns, 'settings', 'v2');
      return result.code !== 0 ? result : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, message: 'the new Lock did not take effect' });
    const tookMs = Date.now() - created;
    assert.ok(tookMs < 10_000, `took ${tookMs} ms`);
    assert.match(denied.stderr, new RegExp(`admission webhook "capture.logistis.io" denied the request: locked by Lock "${name}": ${REASON.replace(/[()]/g, '\\$&')}`));

    assert.equal((await apply('alice', ns, 'settings', 'v3')).code, 0, 'alice is not in ops');
    const carol = await apply('carol', ns, 'settings', 'v4');
    assert.equal(carol.code, 0, `carol is in the except group: ${carol.stderr}`);

    const dryRun = await apply('bob', ns, 'settings', 'v5', ['--dry-run=server']);
    assert.notEqual(dryRun.code, 0, 'a dry run is denied the same way');
    assert.match(dryRun.stderr, /locked by Lock/);

    const history = (await events(ns)).filter((event) => event.kind === 'ConfigMap' && event.name === 'settings').reverse();
    assert.deepEqual(
      history.map((event) => [event.user.username, event.deniedBy ?? '', (event.object['data'] as { value: string }).value]),
      [['bob', '', 'v1'], ['bob', name, 'v2'], ['alice', '', 'v3'], ['carol', '', 'v4']],
      'the denied attempt is recorded with the Lock; the dry run is not',
    );
    const live = (await cp.kubectl('admin', ['-n', ns, 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.value}'])).stdout;
    assert.equal(live, 'v4');

    await waitFor(async () => (await lockStatus(name)).phase === 'Active', { timeoutMs: 10_000, message: 'status Active' });
    const ready = (await logistis.api('admin', '/readyz')).json() as { locks: { active: number; watch: { state: string } } };
    assert.ok(ready.locks.active >= 1);
    assert.equal(ready.locks.watch.state, 'synced');
    assert.match((await logistis.api('admin', '/metrics')).body, new RegExp(`logistis_denials_total\\{lock="${name}"\\} 2`));

    assert.equal((await cp.kubectl('admin', ['delete', 'lock', name])).code, 0);
    await waitFor(async () => (await apply('bob', ns, 'settings', 'v6')).code === 0, { timeoutMs: 10_000, message: 'bob may write after the Lock is deleted' });
  });

  it('stops applying at its expiry', async () => {
    const ns = await cp.createNamespace('expiry');
    await cp.grant('bob', 'edit', ns);
    const name = `short-${ns}`;
    const expires = new Date(Date.now() + 6_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    assert.equal((await createLock({ metadata: { name }, spec: { target: { namespaces: [ns] }, subjects: { users: ['bob'] }, expires, reason: 'maintenance' } })).code, 0);
    await waitFor(async () => (await apply('bob', ns, 'c', 'during')).code !== 0, { timeoutMs: 5_000, message: 'the Lock did not apply' });
    await waitFor(async () => (await apply('bob', ns, 'c', 'after')).code === 0, { timeoutMs: 15_000, message: 'bob still denied after the expiry' });
    assert.ok(Date.now() >= Date.parse(expires), 'allowed only after the expiry');
    // The status says Expired from the expiry on (a timer per Lock), not only after the next 30 s resync.
    const expired = await waitFor(async () => {
      const current = await lockStatus(name);
      return current.phase === 'Expired' ? current : undefined;
    }, { timeoutMs: 40_000, message: 'the status never said Expired' });
    const lag = Date.parse(expired.lastTransitionTime!) - Date.parse(expires);
    assert.ok(lag >= 0 && lag <= 5_000, `status Expired ${lag} ms after the expiry`);
  });

  it('never locks an admin out of deleting a Lock, even one that covers Locks', async () => {
    const name = 'lock-the-locks';
    await cp.grant('bob', 'logistis-lock-admin');
    assert.equal((await createLock({
      metadata: { name },
      spec: { target: { resources: [{ group: 'logistis.io', resource: 'locks' }] }, subjects: { groups: ['system:authenticated'] }, reason: 'locks are frozen' },
    })).code, 0);
    await waitFor(async () => {
      const result = await cp.kubectl('bob', ['delete', 'lock', name], { allowFailure: true });
      return result.code !== 0 && result.stderr.includes('locked by Lock "lock-the-locks"');
    }, { timeoutMs: 10_000, message: 'bob should be denied' });
    const admin = await cp.kubectl('admin', ['delete', 'lock', name], { allowFailure: true });
    assert.equal(admin.code, 0, admin.stderr);
  });

  it('kubectl blame lock, locks and unlock', async () => {
    const ns = await cp.createNamespace('plugin');
    await cp.grant('bob', 'edit', ns);
    const blame = (user: string, args: string[]) =>
      cp.kubectl(user, ['blame', ...args], { env: { PATH: `${BIN}:${process.env['PATH'] ?? ''}`, COLUMNS: '200' }, allowFailure: true });
    const created = await blame('admin', ['lock', ns, '--group', 'ops', '--reason', 'plugin freeze', '--for', '2h', '--name', `plugin-${ns}`]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`lock.logistis.io/plugin-${ns} created`));
    await waitFor(async () => /locked by Lock .*plugin freeze/.test((await apply('bob', ns, 'c', 'v1')).stderr), { timeoutMs: 10_000, message: 'the plugin Lock did not apply' });
    const listed = await blame('admin', ['locks']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`plugin-${ns}\\s+ns ${ns}\\s+groups ops\\s+admin\\s`), 'BY: admin created it');
    assert.equal(listed.stderr, '');
    assert.match(listed.stdout, /plugin freeze/);
    const noReason = await blame('admin', ['lock', ns, '--group', 'ops']);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--reason is required/);
    const forbidden = await blame('alice', ['lock', ns, '--group', 'ops', '--reason', 'x']);
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /logistis-lock-admin/);
    assert.equal((await blame('admin', ['unlock', `plugin-${ns}`])).code, 0);
    const missing = await blame('admin', ['unlock', `plugin-${ns}`]);
    assert.match(missing.stderr, /no Lock "plugin-/);
  });

  it('recovers the Lock watch after kube-apiserver restarts, and a Lock created after it takes effect within seconds', async () => {
    type Ready = { locks: { watch: { state: string; lastSyncTime?: string; lastError?: string; restarts: number } } };
    const watch = async () => ((await logistis.api('admin', '/readyz')).json() as Ready).locks.watch;
    const ns = await cp.createNamespace('restart');
    await cp.grant('bob', 'edit', ns);
    await waitFor(async () => (await watch()).state === 'synced', { timeoutMs: 30_000, message: 'the Lock watch is not synced' });

    await cp.stopApiserver();
    const down = Date.now();
    // While the API server is gone the watch is reported failing (capture goes on with the last known Locks).
    const failing = await waitFor(async () => {
      const current = await watch();
      return current.state === 'failing' ? current : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200, message: 'the Lock watch never reported the API server gone' });
    assert.ok(failing.lastError, 'the failure says why');
    await cp.startApiserver();

    const recovered = await waitFor(async () => {
      const current = await watch();
      return current.state === 'synced' && Date.parse(current.lastSyncTime ?? '') > down ? current : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200, message: 'the Lock watch did not recover after the restart' });
    assert.ok(recovered.restarts >= 1);
    assert.equal(recovered.lastError, undefined);

    const name = `after-restart-${ns}`;
    assert.equal((await apply('bob', ns, 'c', 'before')).code, 0);
    const created = Date.now();
    assert.equal((await createLock({ metadata: { name }, spec: { target: { namespaces: [ns] }, subjects: { users: ['bob'] }, reason: 'after the restart' } })).code, 0);
    const denied = await waitFor(async () => {
      const result = await apply('bob', ns, 'c', 'during');
      return result.code !== 0 ? result : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, message: 'a Lock created after the restart did not take effect' });
    assert.match(denied.stderr, new RegExp(`locked by Lock "${name}": after the restart`));
    console.log(`# the Lock took effect ${Date.now() - created} ms after its creation`);
    await cp.kubectl('admin', ['delete', 'lock', name]);
  });

  it('strict Locks: while logistis is down a write in a strict namespace is refused, elsewhere it passes, and an admin can delete a Lock', async () => {
    const prod = await cp.createNamespace('prod');
    const other = await cp.createNamespace('other');
    for (const ns of [prod, other]) for (const user of ['alice', 'bob']) await cp.grant(user, 'edit', ns);
    await cp.kubectl('admin', ['label', 'namespace', prod, 'logistis.io/strict-locks=true']);
    await registerWebhook(cp, { url: `${logistis.url}/capture`, caBundlePem: logistis.ca.certPem, strictLocks: true });
    try {
      const name = `strict-${prod}`;
      assert.equal((await createLock({ metadata: { name }, spec: { target: { namespaces: [prod] }, subjects: { groups: ['ops'] }, reason: 'strict freeze' } })).code, 0);
      // Running: the Lock denies as before (through either entry), and spares alice.
      const denied = await waitFor(async () => {
        const result = await apply('bob', prod, 'c', 'v1');
        return result.code !== 0 ? result : undefined;
      }, { timeoutMs: 10_000, intervalMs: 200, message: 'the Lock did not take effect' });
      assert.match(denied.stderr, new RegExp(`admission webhook "(capture|strict-locks)\\.logistis\\.io" denied the request: locked by Lock "${name}": strict freeze`));
      assert.equal((await apply('alice', prod, 'c', 'v2')).code, 0, 'alice is not locked');

      await logistis.stop();
      try {
        // Down: the strict entry fails closed in prod (once the API server has read the new configuration).
        const refused = await waitFor(async () => {
          const result = await apply('bob', prod, 'c', 'v3');
          return result.code !== 0 && result.stderr.includes('strict-locks.logistis.io') ? result : undefined;
        }, { timeoutMs: 20_000, intervalMs: 200, message: 'a write in the strict namespace passed while logistis was down' });
        assert.match(refused.stderr, /failed calling webhook "strict-locks\.logistis\.io"/);
        assert.notEqual((await apply('alice', prod, 'c', 'v4')).code, 0, 'strict: nobody but an admin writes in prod while logistis cannot check');
        const elsewhere = await apply('bob', other, 'c', 'v1');
        assert.equal(elsewhere.code, 0, `capture elsewhere stays fail-open: ${elsewhere.stderr}`);
        const admin = await apply('admin', prod, 'c', 'admin');
        assert.equal(admin.code, 0, `system:masters is never locked out: ${admin.stderr}`);
        const deleted = await cp.kubectl('admin', ['delete', 'lock', name], { allowFailure: true });
        assert.equal(deleted.code, 0, `an admin deletes the Lock while logistis is down: ${deleted.stderr}`);
      } finally {
        await logistis.start();
      }
      // Back, without the Lock: the strict entry allows once the Locks are loaded.
      await waitFor(async () => (await apply('bob', prod, 'c', 'v5')).code === 0, { timeoutMs: 20_000, intervalMs: 200, message: 'bob still refused after the Lock was deleted' });
      const live = (await cp.kubectl('admin', ['-n', prod, 'get', 'configmap', 'c', '-o', 'jsonpath={.data.value}'])).stdout;
      assert.equal(live, 'v5');
    } finally {
      await registerWebhook(cp, { url: `${logistis.url}/capture`, caBundlePem: logistis.ca.certPem });
    }
  });

  it('a selector Lock denies kubectl scale and an eviction of a labelled object by its labels, and allows them for an unlabelled one', async () => {
    const ns = await cp.createNamespace('subresources');
    await cp.grant('bob', 'edit', ns);
    const deployment = (name: string, labels: Record<string, string>) => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, labels },
      spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } },
    });
    // No kubelet runs: the Pods stay Pending, and an eviction still goes through admission.
    const pod = (name: string, labels: Record<string, string>) => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    const objects = [deployment('db', { tier: 'db' }), deployment('web', {}), pod('db-0', { tier: 'db' }), pod('web-0', {})];
    await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });

    const name = `db-tier-${ns}`;
    assert.equal((await createLock({
      metadata: { name },
      spec: { target: { namespaces: [ns], selector: { matchLabels: { tier: 'db' } } }, subjects: { users: ['bob'] }, reason: 'database freeze' },
    })).code, 0);
    const scale = (deploymentName: string, replicas: number) =>
      cp.kubectl('bob', ['-n', ns, 'scale', 'deployment', deploymentName, `--replicas=${replicas}`], { allowFailure: true });
    const evict = (podName: string) =>
      cp.request('bob', 'POST', `/api/v1/namespaces/${ns}/pods/${podName}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: podName, namespace: ns } });

    const denied = await waitFor(async () => {
      const result = await scale('db', 3);
      return result.code !== 0 ? result : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, message: 'kubectl scale of the labelled Deployment passed the selector Lock' });
    assert.match(denied.stderr, new RegExp(`denied the request: locked by Lock "${name}": database freeze`));
    const replicas = (await cp.kubectl('admin', ['-n', ns, 'get', 'deployment', 'db', '-o', 'jsonpath={.spec.replicas}'])).stdout;
    assert.equal(replicas, '1');
    const scaled = await scale('web', 3);
    assert.equal(scaled.code, 0, `the unlabelled Deployment scales: ${scaled.stderr}`);

    const evicted = await evict('db-0');
    assert.equal(evicted.status, 403, evicted.text);
    assert.match((evicted.body as { message: string }).message, new RegExp(`locked by Lock "${name}": database freeze`));
    assert.equal((await cp.kubectl('admin', ['-n', ns, 'get', 'pod', 'db-0'], { allowFailure: true })).code, 0, 'the labelled Pod is still there');
    const allowed = await evict('web-0');
    assert.equal(allowed.status, 201, `the unlabelled Pod is evicted: ${allowed.text}`);

    // Both denied attempts are in the history, under the Lock.
    const history = await events(ns);
    assert.ok(history.some((event) => event.name === 'db' && event.subresource === 'scale' && event.deniedBy === name), 'the denied scale is recorded');
    assert.ok(history.some((event) => event.name === 'db-0' && event.subresource === 'eviction' && event.deniedBy === name), 'the denied eviction is recorded');
    await cp.kubectl('admin', ['delete', 'lock', name]);
  });

  it('a selector Lock denies the scale of a custom resource whose labels logistis may not read, saying why; with get, it matches by labels', async () => {
    const ns = await cp.createNamespace('widgets');
    const group = 'e2e.example.com';
    await cp.kubectl('admin', ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `widgets.${group}` },
        spec: {
          group, scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [{
            name: 'v1', served: true, storage: true,
            subresources: { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          }],
        },
      }),
    });
    await cp.kubectl('admin', ['wait', '--for=condition=Established', '--timeout=30s', `crd/widgets.${group}`]);
    const role = (name: string, resources: string[], verbs: string[]) =>
      ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: [{ apiGroups: [group], resources, verbs }] });
    await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [role('widget-editor', ['widgets', 'widgets/scale'], ['*']), role('widget-reader', ['widgets'], ['get'])] }) });
    await cp.grant('bob', 'widget-editor', ns);
    const widget = (name: string, labels: Record<string, string>) => ({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name, namespace: ns, labels }, spec: { replicas: 1 } });
    await cp.kubectl('admin', ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [widget('db', { tier: 'db' }), widget('web', {})] }) });

    const name = `widget-db-${ns}`;
    assert.equal((await createLock({
      metadata: { name },
      spec: { target: { namespaces: [ns], resources: [{ group, resource: 'widgets' }], selector: { matchLabels: { tier: 'db' } } }, subjects: { users: ['bob'] }, reason: 'widget freeze' },
    })).code, 0);
    const scale = (widgetName: string) => cp.kubectl('bob', ['-n', ns, 'scale', `widgets.${group}/${widgetName}`, '--replicas=2'], { allowFailure: true });

    // logistis may not get widgets: the labels are unknown, so the Lock denies even the unlabelled one, and says why.
    const unknown = await waitFor(async () => {
      const result = await scale('web');
      return result.code !== 0 ? result : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, message: 'a scale whose labels logistis cannot read passed the selector Lock' });
    assert.match(unknown.stderr, new RegExp(`locked by Lock "${name}": widget freeze \\(the labels of widgets\\.${group.replace(/\./g, '\\.')} "${ns}/web" are unknown to logistis: GET /apis/${group}/v1/namespaces/${ns}/widgets/web answered 403`));

    await cp.grant('system:serviceaccount:logistis-system:logistis', 'widget-reader');
    await waitFor(async () => (await scale('web')).code === 0, { timeoutMs: 10_000, intervalMs: 200, message: 'the unlabelled widget does not scale once logistis may read it' });
    const denied = await scale('db');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, new RegExp(`locked by Lock "${name}": widget freeze$`, 'm'));
    await cp.kubectl('admin', ['delete', 'lock', name]);
  });

  it('the schema refuses a Kind or a subresource as a resource; a resource the API server does not serve shows in the status', async () => {
    const withResource = (name: string, resource: { group?: string; resource: string }) =>
      createLock({ metadata: { name }, spec: { target: { resources: [resource] }, subjects: { users: ['bob'] }, reason: 'x' } });
    for (const resource of [{ group: 'apps', resource: 'Deployments' }, { group: 'apps', resource: 'Deployment' }, { group: 'apps', resource: 'deployments/scale' }]) {
      const refused = await withResource('bad-resource', resource);
      assert.notEqual(refused.code, 0, `${resource.resource} is refused`);
      assert.match(refused.stderr, /resource must be a plural resource name in lower case, such as deployments \(not a Kind such as Deployment/);
    }
    const badGroup = await withResource('bad-group', { group: 'apps/v1', resource: 'deployments' });
    assert.notEqual(badGroup.code, 0);
    assert.match(badGroup.stderr, /group must be an API group in lower case without a version/);

    const name = 'unknown-resource';
    assert.equal((await withResource(name, { group: 'apps', resource: 'deploymentz' })).code, 0);
    const status = await waitFor(async () => {
      const current = await lockStatus(name);
      return current.message?.includes('deploymentz') ? current : undefined;
    }, { timeoutMs: 10_000, message: 'the unknown resource was not reported in the status' });
    assert.equal(status.phase, 'Active');
    assert.equal(status.message, 'enforced by logistis, but these resources match nothing: apps/deploymentz: group apps has no resource "deploymentz"');
    await cp.kubectl('admin', ['delete', 'lock', name]);
  });

  it('a malformed Lock is rejected by the schema, or ignored with the reason in its status', async () => {
    const noReason = await createLock({ metadata: { name: 'no-reason' }, spec: { subjects: { users: ['bob'] } } });
    assert.notEqual(noReason.code, 0);
    assert.match(noReason.stderr, /spec\.reason: Required/);
    const nobody = await createLock({ metadata: { name: 'nobody' }, spec: { subjects: {}, reason: 'x' } });
    assert.notEqual(nobody.code, 0);
    assert.match(nobody.stderr, /name at least one user, group or service account/);
    const badOperation = await createLock({ metadata: { name: 'bad-op' }, spec: { subjects: { users: ['bob'] }, target: { operations: ['PATCH'] }, reason: 'x' } });
    assert.notEqual(badOperation.code, 0);
    assert.match(badOperation.stderr, /Unsupported value: "PATCH"/);

    // Label selector semantics are beyond the schema (as for Kubernetes' own selectors): the server reports them.
    const ns = await cp.createNamespace('malformed');
    await cp.grant('bob', 'edit', ns);
    const name = `bad-selector-${ns}`;
    assert.equal((await createLock({
      metadata: { name },
      spec: { target: { namespaces: [ns], selector: { matchExpressions: [{ key: 'tier', operator: 'In' }] } }, subjects: { users: ['bob'] }, reason: 'x' },
    })).code, 0);
    const status = await waitFor(async () => {
      const current = await lockStatus(name);
      return current.phase === 'Ignored' ? current : undefined;
    }, { timeoutMs: 10_000, message: 'the malformed Lock was not reported in its status' });
    assert.match(status.message!, /operator In needs at least one value/);
    assert.equal((await apply('bob', ns, 'c', 'v1')).code, 0, 'an ignored Lock denies nothing, and capture goes on');
    assert.ok((await events(ns)).some((event) => event.name === 'c' && event.user.username === 'bob'));
    await cp.kubectl('admin', ['delete', 'lock', name]);
  });
});
