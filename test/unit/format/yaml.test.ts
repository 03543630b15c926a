import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toJson, toYaml } from '../../../src/format/yaml.ts';

describe('toYaml', () => {
  it('puts apiVersion, kind, metadata, spec, data first and keeps the rest in order', () => {
    const text = toYaml({ status: { ready: true }, zeta: 1, spec: { replicas: 2 }, metadata: { name: 'web' }, kind: 'Deployment', apiVersion: 'apps/v1', alpha: 2 });
    assert.deepEqual(
      text.split('\n').filter((l) => !l.startsWith(' ')),
      ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', 'spec:', 'status:', 'zeta: 1', 'alpha: 2', ''],
    );
  });
  it('keeps nested key order as given', () => {
    assert.equal(toYaml({ metadata: { name: 'web', labels: { z: 'a', a: 'z' } } }), 'metadata:\n  name: web\n  labels:\n    z: a\n    a: z\n');
  });
  it('never folds long strings', () => {
    const long = 'x'.repeat(300);
    assert.equal(toYaml({ data: { k: `${long} ${long}` } }).split('\n').length, 3);
  });
  it('writes lists kubectl style and quotes strings that would read as other types', () => {
    assert.equal(
      toYaml({ spec: { containers: [{ name: 'web', args: ['--port', '80'] }], replicas: 3, version: '1.26', on: 'true', empty: null } }),
      'spec:\n  containers:\n  - name: web\n    args:\n    - --port\n    - "80"\n  replicas: 3\n  version: "1.26"\n  on: "true"\n  empty: null\n',
    );
  });
  it('writes a value shared twice twice, never as an alias', () => {
    const labels = { app: 'web' };
    const text = toYaml({ metadata: { labels }, spec: { selector: { matchLabels: labels } } });
    assert.ok(!text.includes('&') && !text.includes('*'), text);
  });
  it('writes multi-line strings as block literals', () => {
    assert.equal(toYaml({ data: { 'nginx.conf': 'a\nb\n' } }), 'data:\n  nginx.conf: |\n    a\n    b\n');
  });
});

describe('toJson', () => {
  it('indents with the same key order', () => {
    assert.equal(toJson({ spec: {}, kind: 'ConfigMap' }), '{\n  "kind": "ConfigMap",\n  "spec": {}\n}\n');
  });
});
