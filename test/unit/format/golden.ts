// Golden files for the renderers (colour off). `UPDATE_GOLDEN=1` rewrites them: review each by eye
// before committing, they are the spec of what users see.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';

export const FIXTURES = new URL('../../fixtures/format/', import.meta.url);

/** The time every golden is rendered at. */
export const NOW = '2025-06-12T12:00:00Z';

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

export const deploymentHistory = (): ChangeEvent[] => fixture<ChangeEvent[]>('deployment-web.history.json');
export const deploymentLive = (): JsonObject => fixture<JsonObject>('deployment-web.live.json');
export const secretHistory = (): ChangeEvent[] => fixture<ChangeEvent[]>('secret-db-credentials.history.json');
export const miscHistory = (): ChangeEvent[] => fixture<ChangeEvent[]>('misc.history.json');

/** Compares rendered lines with `test/fixtures/format/<name>`, or writes the file under UPDATE_GOLDEN=1. */
export function assertGolden(name: string, lines: readonly string[]): void {
  const url = new URL(name, FIXTURES);
  const text = `${lines.join('\n')}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(url, text);
    return;
  }
  assert.ok(existsSync(url), `golden file ${name} is missing: run with UPDATE_GOLDEN=1 and review it`);
  assert.equal(text, readFileSync(url, 'utf8'), `output differs from golden file ${name} (UPDATE_GOLDEN=1 rewrites it)`);
}

/** Removes ANSI colour escapes. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
