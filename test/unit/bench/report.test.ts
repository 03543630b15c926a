// bench/report.ts's capture targets over a hand-made report: each judged against the same run's durable bare and
// bare, "not measured" (never met) when a baseline is missing, and every table row as wide as the header.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { captureTargets, renderTable, renderTargetSummary, type Report } from '../../../bench/report.ts';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/bench/report-capture.json', import.meta.url), 'utf8')) as Report;
const copy = (): Report => structuredClone(fixture);
const summary = (report: Report): string[] => renderTargetSummary(captureTargets(report)).slice(1);

describe('capture targets', () => {
  it('judges each target on logistis against the same run\'s durable bare and bare', () => {
    assert.deepEqual(summary(fixture), [
      '- at 1,000/s: p99 ≤ 3 ms: 2.50 ms: met',
      "- at 1,000/s: p99 ≤ 2× durable bare's p99: 1.67× (2.50 / 1.50 ms): met",
      '- at 1,000/s: p99.9 ≤ 10 ms: 8.00 ms: met',
      "- at 1,000/s: CPU per capture ≤ 1.3× durable bare's: 1.25× (0.500 / 0.400 ms): met",
      '- at 2,500/s: p99 ≤ 5 ms: 6.00 ms: MISSED',
      '- at 2,500/s: no failures: 3 of 50,000: MISSED',
      "- full speed: ≥ 70% of durable bare's requests/s (median of the paired rounds): 75% / 60% / 80%, median 75%: met",
      "- full speed: ≥ 50% of bare's requests/s (median of the paired rounds): 45% / 33% / 48%, median 45%: MISSED",
      '- peak RSS ≤ 200 MiB: 150 MiB: met',
    ]);
    assert.equal(renderTargetSummary(captureTargets(fixture))[0], 'Capture targets: 6 of 9 met');
  });

  it('misses the ratio to durable bare when logistis is over it', () => {
    const report = copy();
    const steps = report.capture['logistis']!.openLoops as Array<{ rate: number; result: { latencyMs: { p99: number } } }>;
    steps.find((step) => step.rate === 1000)!.result.latencyMs.p99 = 3.1;
    assert.ok(summary(report).includes("- at 1,000/s: p99 ≤ 2× durable bare's p99: 2.07× (3.10 / 1.50 ms): MISSED"));
    assert.ok(summary(report).includes('- at 1,000/s: p99 ≤ 3 ms: 3.10 ms: MISSED'));
  });

  it('says "not measured" for the ratios when durable bare did not run, and still judges the absolute ones', () => {
    const report = copy();
    delete report.capture['durable-bare'];
    for (const round of report.paired!) delete round['durable-bare'];
    const lines = summary(report);
    assert.ok(lines.includes("- at 1,000/s: p99 ≤ 2× durable bare's p99: not measured"));
    assert.ok(lines.includes("- at 1,000/s: CPU per capture ≤ 1.3× durable bare's: not measured"));
    assert.ok(lines.includes("- full speed: ≥ 70% of durable bare's requests/s (median of the paired rounds): not measured"));
    assert.ok(lines.includes('- at 1,000/s: p99 ≤ 3 ms: 2.50 ms: met'));
  });

  it('judges full speed on the capture phase\'s runs when no paired rounds ran', () => {
    const report = copy();
    delete report.paired;
    const lines = summary(report);
    assert.ok(lines.includes("- full speed: ≥ 70% of durable bare's requests/s (no paired rounds ran: the capture phase's runs): 72%: met"));
    assert.ok(lines.includes("- full speed: ≥ 50% of bare's requests/s (no paired rounds ran: the capture phase's runs): 43%: MISSED"));
  });
});

describe('the table', () => {
  const table = renderTable(fixture);
  const rows = table.split('\n').filter((line) => line.startsWith('| ')).map((line) => line.slice(2, -2).split(' | ').map((cell) => cell.trim()));

  it('has durable bare beside bare and the peer, in every row', () => {
    assert.deepEqual(rows[0], ['measurement', 'logistis', 'bare Node (limit)', 'durable bare (floor)', 'kube-audit-rest (peer)', 'target', 'verdict']);
    for (const row of rows) assert.equal(row.length, 7, row.join(' | '));
  });

  it('puts each verdict in its row and the summary under the table', () => {
    const row = (start: string) => rows.find((cells) => cells[0]!.startsWith(start))!;
    assert.deepEqual(row('capture at 1,000/s: server CPU per capture').slice(1, 4), ['0.500', '0.200', '0.400']);
    assert.equal(row('capture at 1,000/s: server CPU per capture').at(-1), 'against durable bare 1.25× (0.500 / 0.400 ms): met');
    assert.equal(row('capture, full speed, bare, durable bare, logistis in turn').at(-1),
      'of durable bare 75% / 60% / 80%, median 75%: met; of bare 45% / 33% / 48%, median 45%: MISSED');
    assert.equal(row('capture at 2,500/s: answered').at(-1), 'failed 3 of 50,000: MISSED');
    assert.match(table, /\nCapture targets: 6 of 9 met\n- at 1,000\/s: p99 ≤ 3 ms: 2\.50 ms: met\n/);
  });
});
