import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_WIDTH, outputWidth, useColour } from '../../../src/cli/blame/terminal.ts';

describe('useColour', () => {
  const tty = { env: {}, isTTY: true, columns: 100 };
  it('colours a terminal', () => assert.equal(useColour(true, tty), true));
  it('never a pipe or a file', () => assert.equal(useColour(true, { ...tty, isTTY: false }), false));
  it('never with --no-color', () => assert.equal(useColour(false, tty), false));
  it('never with NO_COLOR set to something; an empty NO_COLOR does not count', () => {
    assert.equal(useColour(true, { ...tty, env: { NO_COLOR: '1' } }), false);
    assert.equal(useColour(true, { ...tty, env: { NO_COLOR: '' } }), true);
  });
});

describe('outputWidth', () => {
  it('the terminal width on a terminal', () => assert.equal(outputWidth({ env: {}, isTTY: true, columns: 93 }), 93));
  it('120 when not a terminal', () => assert.equal(outputWidth({ env: {}, isTTY: false, columns: undefined }), DEFAULT_WIDTH));
  it('COLUMNS wins', () => {
    assert.equal(outputWidth({ env: { COLUMNS: '200' }, isTTY: true, columns: 93 }), 200);
    assert.equal(outputWidth({ env: { COLUMNS: '80' }, isTTY: false, columns: undefined }), 80);
  });
  it('ignores a COLUMNS that is not a number, and never goes below 40', () => {
    assert.equal(outputWidth({ env: { COLUMNS: 'wide' }, isTTY: false, columns: undefined }), DEFAULT_WIDTH);
    assert.equal(outputWidth({ env: { COLUMNS: '10' }, isTTY: false, columns: undefined }), 40);
  });
});
