// `logistis rules test` over the recorded reviews, pinned with a golden file (UPDATE_GOLDEN=1 rewrites it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../../src/cli/logistis.ts', import.meta.url));
const GOLDEN = new URL('./golden/rules-test.txt', import.meta.url);
const run = (args: string[]) => spawnSync(process.execPath, [ENTRY, 'rules', 'test', ...args], { encoding: 'utf8', timeout: 20_000, cwd: fileURLToPath(new URL('../../../', import.meta.url)) });

describe('logistis rules test', () => {
  it('prints, for each recorded review, whether it would be kept and which rule decided', () => {
    const result = run(['--rules', 'test/fixtures/rules/rules-test.yaml', 'test/fixtures/admission']);
    assert.equal(result.status, 0, result.stderr);
    if (process.env['UPDATE_GOLDEN']) writeFileSync(GOLDEN, result.stdout);
    assert.equal(result.stdout, readFileSync(GOLDEN, 'utf8'));
  });

  it('stops on a bad rule with its message', () => {
    const result = run(['--capture-presets', 'nodes,hpa', 'test/fixtures/admission']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^logistis: --capture-presets: unknown preset "hpa"/m);
  });
});
