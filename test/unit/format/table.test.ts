import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colours } from '../../../src/format/colour.ts';
import { fitColumns, renderTable, type Cell, type Column } from '../../../src/format/table.ts';
import { displayWidth } from '../../../src/format/text.ts';
import { stripAnsi } from './golden.ts';

const columns: Column[] = [
  { header: 'key' },
  { header: 'operation' },
  { header: 'user' },
  { header: 'time' },
  { header: 'patch', shrink: true, minWidth: 30, detail: true },
];
const rows: Cell[][] = [
  [
    'shop/Deployment/web',
    'UPDATE',
    'system:serviceaccount:ci:deployer',
    '12s',
    ['replace /spec/template/spec/containers/0/image: "nginx:1.25.3" → "nginx:1.26.0"', 'add /metadata/labels/tier: "web"'],
  ],
  ['shop/Deployment/web', 'UPDATE', 'bob', '5h', 'replace /spec/replicas: 2 → 3'],
  ['ClusterRole/pod-reader', 'CREATE', 'kubernetes-admin', '3h', 'created (metadata, rules)'],
];

function assertFits(lines: readonly string[], width: number): void {
  for (const line of lines) assert.ok(displayWidth(line) <= width, `${displayWidth(line)} > ${width}: ${line}`);
}

describe('renderTable', () => {
  it('at 200 columns gives every column its full width, headers in capitals, two spaces apart', () => {
    assert.deepEqual(renderTable(columns, rows, { width: 200 }), [
      'KEY                     OPERATION  USER                               TIME  PATCH',
      'shop/Deployment/web     UPDATE     system:serviceaccount:ci:deployer  12s   replace /spec/template/spec/containers/0/image: "nginx:1.25.3" → "nginx:1.26.0"',
      '                                                                            add /metadata/labels/tier: "web"',
      'shop/Deployment/web     UPDATE     bob                                5h    replace /spec/replicas: 2 → 3',
      'ClusterRole/pod-reader  CREATE     kubernetes-admin                   3h    created (metadata, rules)',
    ]);
  });
  it('at 120 columns wraps the PATCH column, never KEY or USER', () => {
    const lines = renderTable(columns, rows, { width: 120 });
    assertFits(lines, 120);
    assert.deepEqual(lines.slice(1, 5), [
      'shop/Deployment/web     UPDATE     system:serviceaccount:ci:deployer  12s   replace /spec/template/spec/containers/0/',
      '                                                                              image: "nginx:1.25.3" → "nginx:1.26.0"',
      '                                                                            add /metadata/labels/tier: "web"',
      'shop/Deployment/web     UPDATE     bob                                5h    replace /spec/replicas: 2 → 3',
    ]);
  });
  it('at 80 columns moves PATCH under each row rather than squeeze it', () => {
    const lines = renderTable(columns, rows, { width: 80 });
    assertFits(lines, 80);
    assert.deepEqual(lines, [
      'KEY                     OPERATION  USER                               TIME',
      '    PATCH',
      'shop/Deployment/web     UPDATE     system:serviceaccount:ci:deployer  12s',
      '    replace /spec/template/spec/containers/0/image: "nginx:1.25.3" →',
      '      "nginx:1.26.0"',
      '    add /metadata/labels/tier: "web"',
      'shop/Deployment/web     UPDATE     bob                                5h',
      '    replace /spec/replicas: 2 → 3',
      'ClusterRole/pod-reader  CREATE     kubernetes-admin                   3h',
      '    created (metadata, rules)',
    ]);
  });
  it('never cuts columns that may not shrink, even past the width', () => {
    const lines = renderTable([{ header: 'key' }, { header: 'user' }], [['a'.repeat(50), 'b'.repeat(50)]], { width: 40 });
    assert.equal(lines[1], `${'a'.repeat(50)}  ${'b'.repeat(50)}`);
  });
  it('shrinks the widest shrinking column first', () => {
    const cols: Column[] = [{ header: 'a', shrink: true }, { header: 'b', shrink: true }, { header: 'c' }];
    assert.deepEqual(fitColumns(cols, [60, 30, 10], 84), [40, 30, 10]);
    assert.deepEqual(fitColumns(cols, [60, 30, 10], 64), [25, 25, 10]);
    assert.deepEqual(fitColumns(cols, [60, 30, 10], 20), [10, 10, 10]);
    assert.deepEqual(fitColumns(cols, [60, 30, 10], undefined), [60, 30, 10]);
  });
  it('lays out coloured and wide text by its display width', () => {
    const c = colours(true);
    const coloured = rows.map((r) => [c.key(r[0] as string), c.operation(r[1] as string), c.user(r[2] as string), c.time(r[3] as string), r[4]!]);
    for (const width of [80, 120, 200]) {
      assert.deepEqual(renderTable(columns, coloured, { width, colours: c }).map(stripAnsi), renderTable(columns, rows, { width }));
    }
    const wide = renderTable([{ header: 'name' }, { header: 'x' }], [['日本', '1'], ['ab', '2']]);
    assert.deepEqual(wide, ['NAME  X', '日本  1', 'ab    2']);
  });
  it('takes multi-line cells as arrays or with newlines, and right-aligns on request', () => {
    const lines = renderTable([{ header: 'n', align: 'right' }, { header: 'lines' }], [['7', 'one\ntwo'], ['42', ['three']]]);
    assert.deepEqual(lines, [' N  LINES', ' 7  one', '    two', '42  three']);
  });
});
