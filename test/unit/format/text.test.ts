import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colours } from '../../../src/format/colour.ts';
import { displayWidth, padEnd, padStart, printable, truncate, truncateMiddle, wrap } from '../../../src/format/text.ts';
import { stripAnsi } from './golden.ts';

const c = colours(true);

describe('displayWidth', () => {
  it('ignores colour escapes and counts wide characters twice', () => {
    assert.equal(displayWidth(c.add('abc')), 3);
    assert.equal(displayWidth('日本'), 4);
    assert.equal(displayWidth('→'), 1);
  });
});

describe('truncate', () => {
  it('leaves text that fits alone', () => {
    assert.equal(truncate('hello', 5), 'hello');
  });
  it('cuts with an ellipsis within the width', () => {
    assert.equal(truncate('hello world', 8), 'hello w…');
    // A wide character is never split: three of them (6 columns) and the ellipsis.
    assert.equal(truncate('日本語のテキスト', 8), '日本語…');
  });
  it('keeps colour, the ellipsis in it, and closes it', () => {
    const out = truncate(c.add('hello world'), 6);
    assert.equal(stripAnsi(out), 'hello…');
    assert.equal(out, c.add('hello…'));
    assert.equal(truncate(`${c.add('hello')} world`, 9), `${c.add('hello')} wo…`);
  });
  it('takes no column when given none', () => {
    assert.equal(truncate('hello', 0), '');
    assert.equal(truncate('hello', 1), '…');
  });
});

describe('truncateMiddle', () => {
  it('keeps the start and more of the end', () => {
    const out = truncateMiddle('system:serviceaccount:ci:deployer', 20);
    assert.equal(displayWidth(out), 20);
    assert.ok(out.startsWith('system'));
    assert.ok(out.endsWith('ci:deployer'));
    assert.equal(truncateMiddle('alice', 20), 'alice');
  });
});

describe('wrap', () => {
  it('breaks at spaces, indenting continuation lines', () => {
    assert.deepEqual(wrap('remove /metadata/labels/owner (was "team-a")', 30), ['remove /metadata/labels/owner', '  (was "team-a")']);
  });
  it('breaks after a path separator when there is no late space', () => {
    assert.deepEqual(wrap('add /spec/template/spec/containers/0/env', 24), ['add /spec/template/spec/', '  containers/0/env']);
  });
  it('hard-breaks a word longer than the width', () => {
    const lines = wrap('abcdefghijklmnopqrstuvwxyz', 10);
    assert.deepEqual(lines, ['abcdefghij', '  klmnopqr', '  stuvwxyz']);
  });
  it('never makes a line wider than asked', () => {
    const text = 'replace /metadata/annotations/kubectl.kubernetes.io/last-applied-configuration: "x" → "y"';
    for (const width of [12, 20, 33, 50]) {
      for (const line of wrap(text, width)) assert.ok(displayWidth(line) <= width, `${JSON.stringify(line)} > ${width}`);
    }
  });
  it('closes colour at a break and reopens it on the next line', () => {
    const lines = wrap(`x ${c.add('green text that wraps around')}`, 12);
    assert.equal(lines.map(stripAnsi).join('|'), 'x green text|  that wraps|  around');
    for (const line of lines.slice(0, -1)) assert.ok(line.endsWith('\u001b[0m'), JSON.stringify(line));
    assert.ok(lines[1]!.startsWith('  \u001b[32m'), JSON.stringify(lines[1]));
  });
});

describe('pad', () => {
  it('pads by display width', () => {
    assert.equal(padEnd(c.user('ab'), 4).length, c.user('ab').length + 2);
    assert.equal(padStart('3d', 4), '  3d');
  });
});

describe('printable', () => {
  it('turns control characters and bidi overrides into visible escapes', () => {
    assert.equal(printable('a\u001b[2Jb'), 'a\\u001b[2Jb');
    assert.equal(printable('line\nnext\ttab\r'), 'line\\nnext\\ttab\\r');
    assert.equal(printable('c1\u009bdel\u007f'), 'c1\\u009bdel\\u007f');
    assert.equal(printable('admin\u202egnp.exe'), 'admin\\u202egnp.exe');
    assert.equal(printable('日本 → ok'), '日本 → ok');
  });
});
