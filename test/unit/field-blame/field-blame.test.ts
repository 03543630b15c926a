import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BlameLine, BlameResult } from '../../../src/api/field-blame.ts';
import { blameObject } from '../../../src/field-blame/field-blame.ts';
import { renderBlame } from '../../../src/format/field-blame.ts';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import { colours } from '../../../src/format/colour.ts';
import { displayWidth } from '../../../src/format/text.ts';
import { deploymentHistory, deploymentLive, NOW, secretHistory, stripAnsi } from '../format/golden.ts';
import { assertGolden, FORMAT_GOLDEN } from '../../support/golden.ts';

const history = deploymentHistory();
const [create, scale, relabel, rollout] = history as [ChangeEvent, ChangeEvent, ChangeEvent, ChangeEvent];

/** The line showing `pointer`; the first of several (a block scalar) unless `nth` says otherwise. */
function line(result: BlameResult, pointer: string, nth = 0): BlameLine {
  const found = result.lines.filter((l) => l.path === pointer);
  assert.ok(found[nth], `no line for ${pointer}: ${result.lines.map((l) => l.path).join(' ')}`);
  return found[nth];
}
const who = (result: BlameResult, pointer: string, nth = 0): string | undefined => {
  const author = line(result, pointer, nth).author;
  return author === null ? undefined : `${author.username}${author.source === 'managedFields' ? '*' : ''}`;
};

describe('blameObject over the full history', () => {
  const result = blameObject(history);
  it('shows the last recorded object', () => {
    assert.equal(result.lines[0]!.text, 'apiVersion: apps/v1');
    assert.equal(line(result, '/spec/replicas').text, '  replicas: 3');
    assert.equal(line(result, '/spec/template/spec/containers/0/image').text, '        image: nginx:1.26.0');
  });
  it('attributes what nobody changed since to the creator', () => {
    assert.equal(who(result, '/kind'), 'alice');
    assert.equal(who(result, '/spec'), 'alice');
    assert.equal(who(result, '/metadata/labels/app'), 'alice');
    assert.equal(who(result, '/spec/template/spec/containers/0/name'), 'alice');
    assert.equal(who(result, '/spec/template/spec/containers/0/ports/0/containerPort'), 'alice');
    assert.equal(line(result, '/kind').author?.eventId, create.id);
    assert.equal(line(result, '/kind').author?.operation, 'CREATE');
    assert.equal(line(result, '/kind').author?.manager, 'kubectl-client-side-apply');
  });
  it('attributes each changed field to its last changer', () => {
    assert.equal(who(result, '/spec/replicas'), 'bob');
    assert.equal(line(result, '/spec/replicas').author?.eventId, scale.id);
    assert.equal(line(result, '/spec/replicas').author?.time, scale.time);
    assert.equal(who(result, '/metadata/labels/tier'), 'alice');
    assert.equal(line(result, '/metadata/labels/tier').author?.eventId, relabel.id);
    assert.equal(who(result, '/metadata/labels/app.kubernetes.io~1version'), 'system:serviceaccount:ci:deployer');
    assert.equal(who(result, '/spec/template/spec/containers/0/image'), 'system:serviceaccount:ci:deployer');
  });
  it('attributes everything under an added subtree, and every line of a block scalar', () => {
    assert.equal(who(result, '/spec/template/spec/containers/0/env'), 'system:serviceaccount:ci:deployer');
    assert.equal(who(result, '/spec/template/spec/containers/0/env/0/name'), 'system:serviceaccount:ci:deployer');
    assert.equal(who(result, '/spec/template/spec/containers/0/env/0/value'), 'system:serviceaccount:ci:deployer');
    const annotation = '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration';
    assert.equal(who(result, annotation, 0), 'system:serviceaccount:ci:deployer');
    assert.equal(who(result, annotation, 1), 'system:serviceaccount:ci:deployer');
    assert.equal(line(result, annotation, 1).author?.eventId, rollout.id);
  });
  it('accepts the history newest first', () => {
    assert.deepEqual(blameObject([...history].reverse()), result);
  });
  it('golden', () => {
    assertGolden(FORMAT_GOLDEN, 'blame-deployment.txt', renderBlame(result, { now: NOW }));
  });
});

describe('blameObject with the live object', () => {
  const live = deploymentLive();
  it('hides managedFields, resourceVersion, generation and status', () => {
    const text = blameObject(history, live).lines.map((l) => l.text).join('\n');
    for (const hidden of ['managedFields', 'resourceVersion', 'generation', 'status', 'observedGeneration']) {
      assert.ok(!text.includes(`${hidden}:`), hidden);
    }
  });
  it('falls back to managedFields for a field no recorded change set', () => {
    const result = blameObject(history, live);
    const revision = line(result, '/metadata/annotations/deployment.kubernetes.io~1revision');
    assert.deepEqual(revision.author, {
      username: 'kube-controller-manager',
      time: '2025-06-12T11:59:49Z',
      source: 'managedFields',
      operation: 'Update',
      manager: 'kube-controller-manager',
    });
    assert.equal(who(result, '/spec/replicas'), 'bob');
  });
  it('with a history that starts late, takes managedFields for the older fields', () => {
    const result = blameObject([relabel, rollout], live);
    assert.equal(who(result, '/metadata/labels/tier'), 'alice');
    assert.equal(who(result, '/spec/template/spec/containers/0/image'), 'system:serviceaccount:ci:deployer');
    assert.equal(who(result, '/spec/replicas'), 'kubectl-edit*');
    assert.equal(line(result, '/spec/replicas').author?.time, '2025-06-12T06:30:11Z');
    assert.equal(who(result, '/spec/template/spec/dnsPolicy'), 'kubectl-client-side-apply*');
    assert.equal(who(result, '/spec/template/spec/containers/0/name'), 'kubectl-client-side-apply*');
    assert.equal(who(result, '/spec/template/spec/containers/0/ports/0/protocol'), 'kubectl-client-side-apply*');
    assert.equal(who(result, '/spec'), undefined);
    assert.equal(who(result, '/metadata/name'), undefined);
  });
  it('treats a change missing from the middle of the history as unknown', () => {
    // bob's scale is missing: alice's relabel still applies, but replicas 2 → 3 is unexplained.
    const result = blameObject([create, relabel, rollout]);
    assert.equal(who(result, '/spec/replicas'), undefined);
    assert.equal(who(result, '/metadata/labels/tier'), 'alice');
    assert.equal(who(result, '/spec/selector'), 'alice');
    assert.equal(who(blameObject([create, relabel, rollout], live), '/spec/replicas'), 'kubectl-edit*');
  });
  it('counts a live value that differs from the last recorded one as changed outside the history', () => {
    const edited = structuredClone(live) as { spec: { replicas: number } } & JsonObject;
    edited.spec.replicas = 5;
    assert.equal(who(blameObject(history, edited), '/spec/replicas'), 'kubectl-edit*');
    assert.equal(who(blameObject(history, { ...edited, metadata: {} }), '/spec/replicas'), undefined);
  });
  it('golden: late history, managedFields fallback, 80 columns', () => {
    const lines = renderBlame(blameObject([relabel, rollout], live), { now: NOW, width: 80 });
    for (const l of lines) assert.ok(displayWidth(l) <= 80, l);
    assertGolden(FORMAT_GOLDEN, 'blame-deployment-late-80.txt', lines);
  });
});

describe('blameObject with list items', () => {
  const base = (containers: unknown[]): JsonObject => ({ kind: 'Pod', spec: { containers } });
  const ev = (id: string, username: string, operation: ChangeEvent['operation'], patch: ChangeEvent['patch'], object: JsonObject): ChangeEvent => ({
    ...create,
    id,
    time: `2025-06-1${id}T00:00:00.000Z`,
    user: { ...create.user, username },
    operation,
    patch,
    object,
  });
  const web = { name: 'web', image: 'nginx' };
  const sidecar = { name: 'proxy', image: 'envoy' };
  const events = [
    ev('0', 'alice', 'CREATE', [], base([web])),
    ev('1', 'bob', 'UPDATE', [{ op: 'add', path: '/spec/containers/1', value: sidecar }], base([web, sidecar])),
    ev('2', 'carol', 'UPDATE', [{ op: 'remove', path: '/spec/containers/0' }], base([sidecar])),
    ev('3', 'dave', 'UPDATE', [{ op: 'replace', path: '/spec/containers/0/image', value: 'envoy:1.30' }], base([{ ...sidecar, image: 'envoy:1.30' }])),
  ];
  it('follows an item as the list shifts under it', () => {
    const result = blameObject(events);
    assert.deepEqual(
      result.lines.map((l) => `${l.author?.username ?? '?'} ${l.text}`),
      ['alice kind: Pod', 'alice spec:', 'alice   containers:', 'bob   - name: proxy', 'dave     image: envoy:1.30'],
    );
  });
  it('attributes a list item added later to its adder', () => {
    const result = blameObject(events.slice(0, 2));
    assert.equal(who(result, '/spec/containers/0/name'), 'alice');
    assert.equal(who(result, '/spec/containers/1/name'), 'bob');
    assert.equal(who(result, '/spec/containers/1/image'), 'bob');
  });
});

describe('blameObject on a Secret', () => {
  it('attributes each key of the redacted data', () => {
    const result = blameObject(secretHistory());
    assert.equal(line(result, '/data/password').text, '  password: <hmac:9b1e04d7c3a6f285>');
    assert.equal(who(result, '/data/password'), 'bob');
    assert.equal(who(result, '/data/api-key'), 'bob');
    assert.equal(who(result, '/data/username'), 'alice');
    assertGolden(FORMAT_GOLDEN, 'blame-secret.txt', renderBlame(result, { now: NOW }));
  });
});

describe('renderBlame', () => {
  it('writes author, age, a gutter and the line', () => {
    const lines = renderBlame(blameObject(history), { now: NOW });
    assert.ok(lines.some((l) => /^bob {32}5h │ {3}replicas: 3$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('system:serviceaccount:ci:deployer 12s │ ')), lines.join('\n'));
  });
  it('marks managedFields authors with * and explains the marks once', () => {
    const lines = renderBlame(blameObject([relabel, rollout], deploymentLive()), { now: NOW });
    assert.ok(lines.some((l) => l.startsWith('kubectl-edit*  ')));
    const notes = lines.slice(lines.indexOf('') + 1);
    assert.deepEqual(notes.map((l) => l.slice(0, 2)), ['* ', '? ']);
    assert.ok(!lines.slice(0, lines.indexOf('')).some((l) => l.includes('from metadata.managedFields')));
  });
  it('has no footnote when every line comes from the history', () => {
    const lines = renderBlame(blameObject(history), { now: NOW });
    assert.ok(!lines.some((l) => l.startsWith('* ') || l.startsWith('? ') || l === ''));
  });
  it('shortens long names in the middle to fit the width', () => {
    const lines = renderBlame(blameObject(history), { now: NOW, width: 60 });
    assert.ok(lines.some((l) => l.startsWith('system…')), lines.join('\n'));
    for (const l of lines) assert.ok(displayWidth(l) <= 60, l);
  });
  it('is the same text with colour on', () => {
    const result = blameObject([relabel, rollout], deploymentLive());
    assert.deepEqual(
      renderBlame(result, { now: NOW, width: 80, colours: colours(true) }).map(stripAnsi),
      renderBlame(result, { now: NOW, width: 80 }),
    );
  });
  it('is empty without history or object', () => {
    assert.deepEqual(blameObject([]), { lines: [] });
    assert.deepEqual(renderBlame({ lines: [] }, { now: NOW }), []);
  });
});

describe('recorded text reaching the terminal', () => {
  it('blame prints control characters in values and names as escapes', () => {
    const evil = '\u001b[2J\u009b31m';
    const obj = { kind: 'ConfigMap', data: { k: `v${evil}`, [`key${evil}`]: 'x' } };
    const event: ChangeEvent = { ...create, user: { ...create.user, username: `eve${evil}` }, patch: [], object: obj };
    for (const l of renderBlame(blameObject([event]), { now: NOW })) {
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      assert.doesNotMatch(l, /[\u0000-\u001f\u007f-\u009f]/, JSON.stringify(l));
    }
  });
});
