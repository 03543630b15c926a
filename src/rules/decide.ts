// Where capture rules meet the capture pipeline: one call before decideCapture. Pure.
import type { AdmissionRequest } from '../admission/review.ts';
import type { NewChangeEvent } from '../event.ts';
import { connectEvent } from './connect.ts';
import type { RuleSet } from './rule-set.ts';

export interface RuleDecisionHooks {
  /** A request was not recorded because of this rule. */
  onSkip?(rule: string): void;
  /** A rule's expression failed on a request; the rule did not match. */
  onError?(rule: string, error: Error): void;
}

/** What the rules decide, when they do: the capture pipeline takes it as its own decision. */
export type RuleDecision = { record: true; event: NewChangeEvent } | { record: false; reason: 'rule' };

/**
 * The decision when the rules make it: skipped by a rule, or a pod CONNECT that the `exec` preset records.
 * Undefined: decideCapture decides (dry runs, no-op updates, building the event).
 */
export function decideByRules(rules: RuleSet, request: AdmissionRequest, now: Date, hooks: RuleDecisionHooks = {}): RuleDecision | undefined {
  if (request.dryRun) return undefined;
  const verdict = rules.evaluate(request, hooks);
  if (!verdict.record) {
    hooks.onSkip?.(verdict.rule!);
    return { record: false, reason: 'rule' };
  }
  if (request.operation !== 'CONNECT' || !rules.recordConnect) return undefined;
  const event = connectEvent(request, now);
  return event ? { record: true, event } : undefined;
}
