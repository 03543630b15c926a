// Table-driven: each case in test/fixtures/provenance/tracker-cases.json feeds captured changes, watch events,
// lists and clock ticks to the tracker and names what it must report.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ProvenanceTracker, type CapturedChange, type Observation, type Outcome, type TrackerOptions, type WatchedState } from '../../../src/provenance/match.ts';

interface Expected {
  confirmed: string[];
  notApplied: string[];
  unattributed: { type: string; key: string; uid: string; previous: boolean }[];
}

interface Step {
  at: number;
  captured?: CapturedChange;
  observe?: Omit<Observation, 'continuous' | 'state'> & { continuous?: boolean; state: Omit<WatchedState, 'deleting'> & { deleting?: boolean } };
  listed?: string[];
  resource?: string;
  tick?: boolean;
  /** For a tick: since when the watch is current (null: it is down); absent: always current. */
  watchedSince?: number | null;
  expectNow?: Expected;
}

interface Case {
  name: string;
  options?: TrackerOptions;
  restore?: WatchedState[];
  steps: Step[];
  expect: Expected;
}

const cases = (JSON.parse(readFileSync(new URL('../../fixtures/provenance/tracker-cases.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;

function summary(outcome: Outcome): Expected {
  return {
    confirmed: outcome.confirmed,
    notApplied: outcome.notApplied,
    unattributed: outcome.unattributed.map((change) => ({ type: change.type, key: change.state.key, uid: change.state.uid, previous: change.previous !== undefined })),
  };
}

describe('provenance matching', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const tracker = new ProvenanceTracker(testCase.options);
      tracker.restore((testCase.restore ?? []).map((state) => ({ ...state, deleting: false })));
      const total: Outcome = { confirmed: [], notApplied: [], unattributed: [] };
      for (const step of testCase.steps) {
        let outcome: Outcome;
        if (step.captured) {
          outcome = tracker.captured({ ...step.captured, capturedMs: step.at });
        } else if (step.observe) {
          outcome = tracker.observe({ ...step.observe, continuous: step.observe.continuous ?? true, state: { deleting: false, ...step.observe.state } }, step.at);
        } else if (step.listed) {
          outcome = tracker.listed(step.resource ?? '', new Set(step.listed), step.at);
        } else {
          const since = step.watchedSince;
          outcome = since === undefined ? tracker.tick(step.at) : tracker.tick(step.at, () => since ?? undefined);
        }
        if (step.expectNow) assert.deepEqual(summary(outcome), step.expectNow, `at ${step.at}`);
        total.confirmed.push(...outcome.confirmed);
        total.notApplied.push(...outcome.notApplied);
        total.unattributed.push(...outcome.unattributed);
      }
      assert.deepEqual(summary(total), testCase.expect);
    });
  }
});
