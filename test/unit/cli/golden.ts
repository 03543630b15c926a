// Golden files of kubectl-blame's output (colour off). `UPDATE_GOLDEN=1` rewrites them: review each by eye,
// they are the spec of what users see.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const GOLDEN = new URL('./golden/', import.meta.url);

export function assertGolden(name: string, text: string): void {
  const url = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(url, text);
    return;
  }
  assert.ok(existsSync(url), `golden file ${name} is missing: run with UPDATE_GOLDEN=1 and review it`);
  assert.equal(text, readFileSync(url, 'utf8'), `output differs from golden file test/unit/cli/golden/${name} (UPDATE_GOLDEN=1 rewrites it)`);
}
