import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeEvent } from '../../../src/event.ts';
import { colours } from '../../../src/format/colour.ts';
import { describeChange, describePatch, describePatchOperation, formatValue } from '../../../src/format/patch.ts';
import { displayPointer, parsePointer } from '../../../src/history/pointer.ts';
import { previousObjects } from '../../../src/history/walk.ts';
import { deploymentHistory, miscHistory, secretHistory, stripAnsi } from './golden.ts';

const deployment = { spec: { replicas: 2 }, metadata: { labels: { app: 'nginx', 'app.kubernetes.io/name': 'web', 'a~b': 'x' } } };

describe('describePatchOperation', () => {
  it('replace shows old → new', () => {
    assert.equal(describePatchOperation({ op: 'replace', path: '/spec/replicas', value: 3 }, deployment), 'replace /spec/replicas: 2 → 3');
  });
  it('replace without the old object shows ?', () => {
    assert.equal(describePatchOperation({ op: 'replace', path: '/spec/replicas', value: 3 }), 'replace /spec/replicas: ? → 3');
    assert.equal(describePatchOperation({ op: 'replace', path: '/spec/paused', value: true }, deployment), 'replace /spec/paused: ? → true');
  });
  it('add shows the value, strings quoted', () => {
    assert.equal(describePatchOperation({ op: 'add', path: '/metadata/labels/tier', value: 'web' }, deployment), 'add /metadata/labels/tier: "web"');
    assert.equal(describePatchOperation({ op: 'add', path: '/spec/ports', value: [{ port: 80 }] }), 'add /spec/ports: [{"port":80}]');
  });
  it('remove shows what was there', () => {
    assert.equal(describePatchOperation({ op: 'remove', path: '/metadata/labels/app' }, deployment), 'remove /metadata/labels/app (was "nginx")');
    assert.equal(describePatchOperation({ op: 'remove', path: '/metadata/labels/app' }), 'remove /metadata/labels/app');
  });
  it('unescapes ~1 and ~0 for display, and reads the value they point at', () => {
    assert.equal(
      describePatchOperation({ op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'api' }, deployment),
      'replace /metadata/labels/app.kubernetes.io/name: "web" → "api"',
    );
    assert.equal(describePatchOperation({ op: 'remove', path: '/metadata/labels/a~0b' }, deployment), 'remove /metadata/labels/a~b (was "x")');
    assert.deepEqual(parsePointer('/a~01/b~1c'), ['a~1', 'b/c']);
    assert.equal(displayPointer(''), '/');
  });
  it('shortens long values with an ellipsis', () => {
    const long = `{"apiVersion":"apps/v1",${'"x":1,'.repeat(50)}}`;
    const line = describePatchOperation({ op: 'add', path: '/a', value: long }, {}, { maxValueWidth: 20 });
    assert.equal(line, 'add /a: "{\\"apiVersion\\":\\"…');
    assert.equal(formatValue('x'.repeat(100)).length, 40);
    assert.equal(formatValue('short'), '"short"');
  });
  it('describes move and copy', () => {
    assert.equal(describePatchOperation({ op: 'move', from: '/a', path: '/b' }), 'move /a → /b');
    assert.equal(describePatchOperation({ op: 'copy', from: '/a', path: '/b' }), 'copy /a → /b');
  });
  it('colours old red and new green without changing the text', () => {
    const c = colours(true);
    const line = describePatchOperation({ op: 'replace', path: '/spec/replicas', value: 3 }, deployment, { colours: c });
    assert.equal(stripAnsi(line), 'replace /spec/replicas: 2 → 3');
    assert.ok(line.includes(c.remove('2')) && line.includes(c.add('3')));
  });
});

describe('describePatch', () => {
  it('reads each old value from the document as the earlier operations left it', () => {
    // fast-json-patch's compare({a:[1,2,3]}, {a:[2,3]}): indexes shift after the remove.
    const patch = [
      { op: 'remove' as const, path: '/a/2' },
      { op: 'replace' as const, path: '/a/1', value: 3 },
      { op: 'replace' as const, path: '/a/0', value: 2 },
    ];
    assert.deepEqual(describePatch(patch, { a: [1, 2, 3] }, { operation: 'UPDATE' }), [
      'remove /a/2 (was 3)',
      'replace /a/1: 2 → 3',
      'replace /a/0: 1 → 2',
    ]);
  });
  it('stops reading old values when the patch does not fit the previous object', () => {
    const patch = [
      { op: 'replace' as const, path: '/missing/x', value: 1 },
      { op: 'replace' as const, path: '/spec/replicas', value: 3 },
    ];
    assert.deepEqual(describePatch(patch, deployment), ['replace /missing/x: ? → 1', 'replace /spec/replicas: ? → 3']);
  });
  it('sums up a creation in one line, a deletion in one word', () => {
    const [create] = deploymentHistory();
    assert.deepEqual(describePatch(create!.patch, {}, { operation: 'CREATE' }), ['created (metadata, spec)']);
    assert.deepEqual(describePatch(create!.patch, {}), ['created (metadata, spec)']);
    assert.deepEqual(describePatch([], {}, { operation: 'DELETE' }), ['deleted']);
    assert.deepEqual(describePatch([{ op: 'add', path: '', value: { kind: 'X', a: 1, b: 2, c: 3, d: 4, e: 5 } }], {}, { operation: 'CREATE' }), [
      'created (a, b, c, d, …)',
    ]);
  });
  it('says when an update changed nothing', () => {
    assert.deepEqual(describePatch([], deployment, { operation: 'UPDATE' }), ['(no change)']);
  });
});

describe('describeChange on the fixtures', () => {
  const history = deploymentHistory();
  const paired = previousObjects(history);
  const lines = paired.map(({ event, previous }) => describeChange(event, previous));
  it('CREATE by alice', () => assert.deepEqual(lines[0], ['created (metadata, spec)']));
  it('bob scales 2 → 3, in that direction', () => assert.deepEqual(lines[1], ['replace /spec/replicas: 2 → 3']));
  it('alice relabels', () => assert.deepEqual(lines[2], ['remove /metadata/labels/owner (was "team-a")', 'add /metadata/labels/tier: "web"']));
  it('CI rolls out a new image', () => {
    assert.deepEqual(lines[3], [
      'replace /spec/template/spec/containers/0/image: "nginx:1.25.3" → "nginx:1.26.0"',
      'add /spec/template/spec/containers/0/env: [{"name":"LOG_LEVEL","value":"info"}]',
      'replace /metadata/annotations/kubectl.kubernetes.io/last-applied-configuration: "{\\"apiVersion\\":\\"apps/v1\\",\\"kind\\":\\… → "{\\"apiVersion\\":\\"apps/v1\\",\\"kind\\":\\…',
      'replace /metadata/labels/app.kubernetes.io/version: "1.25.3" → "1.26.0"',
    ]);
  });
  it('a rotated Secret shows fingerprints only', () => {
    const [, update] = previousObjects(secretHistory());
    assert.deepEqual(describeChange(update!.event, update!.previous), [
      'replace /data/password: "<hmac:3f2a91c4e07b5d18>" → "<hmac:9b1e04d7c3a6f285>"',
      'add /data/api-key: "<hmac:5c8d2e7f1a0b3946>"',
    ]);
  });
});

describe('previousObjects', () => {
  const history = deploymentHistory();
  it('pairs each event with the object of the event before it', () => {
    const paired = previousObjects(history);
    assert.deepEqual(paired[0]!.previous, {});
    assert.equal(paired[0]!.known, true);
    assert.equal(paired[1]!.previous, history[0]!.object);
    assert.equal(paired[3]!.previous, history[2]!.object);
    assert.deepEqual(paired.map((p) => p.event), history);
  });
  it('accepts newest first and keeps that order', () => {
    const reversed = [...history].reverse();
    const paired = previousObjects(reversed);
    assert.equal(paired[0]!.event, history[3]);
    assert.equal(paired[0]!.previous, history[2]!.object);
    assert.deepEqual(paired[3]!.previous, {});
  });
  it('keeps objects apart, and marks an update whose past is missing as unknown', () => {
    const mixed: ChangeEvent[] = [history[3]!, ...secretHistory(), history[2]!, ...miscHistory()];
    const paired = previousObjects(mixed);
    assert.equal(paired[0]!.previous, history[2]!.object);
    assert.equal(paired[3]!.known, false);
    assert.deepEqual(paired[3]!.previous, {});
    assert.equal(paired[2]!.previous, paired[1]!.event.object);
  });
  it('starts over after a DELETE', () => {
    const [create, del] = miscHistory();
    const again = { ...create!, id: '9999', time: '2025-06-12T11:55:00.000Z' };
    const update = { ...create!, id: '10000', time: '2025-06-12T11:56:00.000Z', operation: 'UPDATE' as const };
    const paired = previousObjects([create!, del!, again, update]);
    assert.equal(paired[1]!.previous, create!.object);
    assert.deepEqual(paired[2]!.previous, {});
    assert.equal(paired[3]!.previous, again.object);
  });
});
