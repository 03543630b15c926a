// Golden files (colour off): the one check of rendered text against its file. `UPDATE_GOLDEN=1` rewrites them:
// review each by eye before committing, they are the spec of what users see.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';

/** The renderers' goldens (src/format, src/field-blame), beside the fixtures they render. */
export const FORMAT_GOLDEN = new URL('../fixtures/format/', import.meta.url);
/** kubectl-blame's whole output. */
export const CLI_GOLDEN = new URL('../unit/cli/golden/', import.meta.url);

/** Compares the text (or lines, each ended by a newline) with `directory/name`, or writes it under UPDATE_GOLDEN=1. */
export function assertGolden(directory: URL, name: string, output: string | readonly string[]): void {
  const url = new URL(name, directory);
  const text = typeof output === 'string' ? output : `${output.join('\n')}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(url, text);
    return;
  }
  const shown = relative(process.cwd(), fileURLToPath(url));
  assert.ok(existsSync(url), `golden file ${shown} is missing: run with UPDATE_GOLDEN=1 and review it`);
  assert.equal(text, readFileSync(url, 'utf8'), `output differs from golden file ${shown} (UPDATE_GOLDEN=1 rewrites it)`);
}
