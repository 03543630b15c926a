// The benchmark harness must not rot: run `bench/run.ts --smoke` (a few seconds of each measurement, tiny dataset)
// and check that the table it prints has every row, with numbers (the outage row needs the real PostgreSQL of
// harness/postgres.ts). It checks no speed: that is `make bench`'s job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

function runSmoke(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'run.ts'), '--smoke', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Bounded: a first run also builds vegeta from its Go module (about a minute).
    const timer = setTimeout(() => child.kill('SIGKILL'), 12 * 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function tableRows(stdout: string): Map<string, string[]> {
  const lines = stdout.split('\n').filter((line) => line.startsWith('| '));
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const cells = line.slice(2, -2).split(' | ').map((cell) => cell.trim());
    rows.set(cells[0]!, cells.slice(1));
  }
  return rows;
}

const hasNumber = (cell: string | undefined): boolean => /\d/.test(cell ?? '') && !(cell ?? '').startsWith("n/a");

test('bench/run.ts --smoke prints the full table with numbers', { timeout: 13 * 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  try {
    const out = join(dir, 'RESULTS.md');
    const { code, stdout, stderr } = await runSmoke(out);
    assert.equal(code, 0, `bench exited ${code}\n${stderr.slice(-3000)}`);
    const rows = tableRows(stdout);
    const expected: Array<[RegExp, 'capture' | 'logistis']> = [
      [/^capture, full speed, \d+ connections, .*requests\/s/, 'capture'],
      [/^capture, full speed: latency/, 'capture'],
      [/^capture, full speed: server CPU \(/, 'capture'],
      [/^capture, full speed: server CPU per capture/, 'capture'],
      [/^capture, full speed, bare, durable bare, logistis in turn/, 'logistis'],
      [/^capture at 1,000\/s open loop.*latency/, 'capture'],
      [/^capture at 1,000\/s: answered/, 'capture'],
      [/^capture at 1,000\/s: server CPU per capture/, 'capture'],
      [/^capture at 2,500\/s open loop.*latency/, 'capture'],
      [/^capture at 2,500\/s: answered/, 'capture'],
      [/^capture at 2,500\/s: server CPU per capture/, 'capture'],
      [/^server peak RSS/, 'capture'],
      [/^query at .*overview/, 'logistis'],
      [/^query at .*namespace page/, 'logistis'],
      [/^query at .*object history/, 'logistis'],
      [/^query at .*field blame/, 'logistis'],
      [/^storage/, 'logistis'],
      [/^durability/, 'logistis'],
      [/^PostgreSQL outage of \d+ s at 1,000\/s/, 'logistis'],
    ];
    const footnotes = stdout.split('\n').filter((line) => /^\[\d+\]/.test(line)).join('\n');
    for (const [pattern, kind] of expected) {
      const entry = [...rows].find(([name]) => pattern.test(name));
      assert.ok(entry, `no row matches ${pattern}\n${stdout}`);
      const [name, [logistis, bare, durableBare, peer]] = entry;
      assert.ok(hasNumber(logistis), `row "${name}": logistis has no number: "${logistis}"\n${footnotes}`);
      if (kind === 'capture') {
        assert.ok(hasNumber(bare), `row "${name}": the bare baseline has no number: "${bare}"\n${footnotes}`);
        assert.ok(hasNumber(durableBare), `row "${name}": the durable bare baseline has no number: "${durableBare}"\n${footnotes}`);
        // The peer is built from its Go module; where the module proxy will not serve it, the row says why.
        assert.ok(hasNumber(peer) || /^n\/a \[\d+\]/.test(peer ?? ''), `row "${name}": the peer has neither a number nor a reason: "${peer}"`);
      }
    }
    // The rounds have both baselines' figures beside logistis' and its share of each in the verdict.
    const paired = [...rows].find(([name]) => name.startsWith('capture, full speed, bare, durable bare, logistis in turn'))!;
    assert.ok(hasNumber(paired[1][1]), `paired row: the bare server has no number: "${paired[1][1]}"`);
    assert.ok(hasNumber(paired[1][2]), `paired row: durable bare has no number: "${paired[1][2]}"`);
    assert.match(paired[1].at(-1) ?? '', /^of durable bare [\d% /]+, median \d+%: (met|MISSED); of bare [\d% /]+, median \d+%: (met|MISSED)$/);
    // The outage row is judged on correctness, which even a few seconds must show: nothing lost or stored twice.
    const outage = [...rows].find(([name]) => name.startsWith('PostgreSQL outage'))!;
    assert.match(outage[1].at(-1) ?? '', /^lost 0: met; duplicated 0: met; p99 before the outage [\d.]+ ms, capture at 1,000\/s \(SQLite, no outage\) [\d.]+ ms$/);
    // Every capture target judged under the table.
    assert.match(stdout, /^Capture targets: \d+ of 9 met$/m);
    assert.doesNotMatch(stdout.slice(stdout.indexOf('Capture targets:')), /not measured/);
    const results = readFileSync(out, 'utf8');
    assert.match(results, /## Numbers/);
    assert.match(results, /machine: \d+ cores/);
    // The machine's load before each server's run.
    for (const name of ['bare', 'durable-bare', 'logistis']) assert.match(results, new RegExp(`- ${name}, before its run: load average \\d`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
