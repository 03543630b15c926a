// What kubectl blame adds to the server's answers for --fields: the live object made fit to blame, and the
// recorded blame reconciled with it exactly as blaming the whole history would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blameAgainst, blameObject } from '../../../src/field-blame/field-blame.ts';
import { materialiseEach } from '../../../src/history/walk.ts';
import { pastStates } from '../../../src/history/past.ts';
import { blameSubject, maskSecretValues } from '../../../src/cli/blame/object-views.ts';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import { deploymentHistory, deploymentLive, scaledDeploymentHistory, secretHistory } from '../format/golden.ts';

const meta = (o: JsonObject): JsonObject => o['metadata'] as JsonObject;
const newestOf = (history: readonly ChangeEvent[]): JsonObject | undefined => pastStates(history).at(-1)?.object;

describe('blameAgainst: the recorded blame of the server, reconciled with the live object', () => {
  it('lets --fields blame replicas on bob and the labels on alice', () => {
    const result = (() => { const history = materialiseEach(scaledDeploymentHistory()); return blameAgainst(blameObject(history), newestOf(history), blameSubject(newestOf(history), deploymentLive(), false)); })();
    const line = (text: RegExp) => result.lines.find((l) => text.test(l.text))!;
    assert.equal(line(/^ {2}replicas: 3$/).author?.username, 'bob');
    assert.equal(line(/^ {4}tier: web$/).author?.username, 'alice');
    assert.equal(line(/^ {2}selector:$/).author?.username, 'alice');
    assert.equal(line(/^ {8}image: nginx:1.26.0$/).author?.username, 'system:serviceaccount:ci:deployer');
  });
  it('equals blaming the whole history against the live object', () => {
    for (const history of [materialiseEach(scaledDeploymentHistory()), deploymentHistory(), deploymentHistory().slice(1)]) {
      const subject = blameSubject(newestOf(history), deploymentLive(), false);
      assert.deepEqual(blameAgainst(blameObject(history), newestOf(history), subject), blameObject(history, subject));
    }
    const secrets = secretHistory();
    const live: JsonObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', namespace: 'shop', managedFields: [] }, data: {} };
    const subject = blameSubject(newestOf(secrets), live, true);
    assert.deepEqual(blameAgainst(blameObject(secrets), newestOf(secrets), subject), blameObject(secrets, subject));
  });
  it('without a live object, the recorded blame as it is', () => {
    const recorded = blameObject(deploymentHistory());
    assert.equal(blameAgainst(recorded, newestOf(deploymentHistory()), undefined), recorded);
  });
});

describe('blameSubject (--fields)', () => {
  it('the live object with its managedFields, without status and resourceVersion', () => {
    const subject = blameSubject(newestOf(deploymentHistory()), deploymentLive(), false)!;
    assert.ok(Array.isArray(meta(subject)['managedFields']));
    assert.ok(!('status' in subject) && !('resourceVersion' in meta(subject)) && !('generation' in meta(subject)));
  });
  it('a Secret shows the recorded (redacted) values, with only the live managedFields', () => {
    const live: JsonObject = {
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name: 'db-credentials', namespace: 'shop', managedFields: [{ manager: 'kubectl-edit', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: {} }] },
      data: { password: Buffer.from('hunter2').toString('base64'), username: Buffer.from('admin').toString('base64') },
    };
    const subject = blameSubject(newestOf(secretHistory()), live, true)!;
    const text = JSON.stringify(subject);
    assert.ok(!text.includes(Buffer.from('hunter2').toString('base64')), 'a live value leaked');
    assert.equal((subject['data'] as JsonObject)['password'], '<hmac:9b1e04d7c3a6f285>');
    assert.deepEqual(meta(subject)['managedFields'], meta(live)['managedFields']);
  });
  it('a Secret without history: the live Secret with every value hidden', () => {
    const live: JsonObject = {
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"c2VjcmV0"}}', keep: 'me' } },
      data: { k: 'c2VjcmV0' }, stringData: { j: 'plain' },
    };
    const subject = blameSubject(undefined, live, true)!;
    assert.ok(!JSON.stringify(subject).includes('c2VjcmV0') && !JSON.stringify(subject).includes('plain'));
    assert.deepEqual(subject['data'], { k: '<hidden>' });
    assert.deepEqual(meta(subject)['annotations'], { keep: 'me' });
    assert.deepEqual(maskSecretValues(live)['stringData'], { j: '<hidden>' });
  });
  it('no live object: undefined (blame shows the newest recorded object)', () => {
    assert.equal(blameSubject(newestOf(deploymentHistory()), undefined, false), undefined);
  });
});
