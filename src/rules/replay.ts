// `logistis rules test`: replays AdmissionReviews through a rule set and says, for each, whether it would be
// recorded and which rule decided. Pure.
import { parseAdmissionReview } from '../admission/review.ts';
import type { ChangeEvent } from '../event.ts';
import { previousObjects } from '../history/walk.ts';
import type { RuleSet } from './rule-set.ts';

export interface ReplayInput {
  /** Where the review came from (a file name), shown first. */
  source: string;
  body: unknown;
  /** Why the file could not be read as JSON. */
  error?: string;
}

export interface ReplayLine {
  source: string;
  verdict: 'keep' | 'skip' | 'invalid';
  rule: string;
  summary: string;
}

export function replayReviews(rules: RuleSet, inputs: readonly ReplayInput[]): ReplayLine[] {
  return inputs.map(({ source, body, error: readError }) => {
    if (readError !== undefined) return { source, verdict: 'invalid', rule: '-', summary: readError };
    let request;
    try {
      request = parseAdmissionReview(body).request;
    } catch (error) {
      return { source, verdict: 'invalid', rule: '-', summary: (error as Error).message };
    }
    const errors: string[] = [];
    const verdict = rules.evaluate(request, { onError: (rule, error) => errors.push(`${rule}: ${error.message}`) });
    const resource = `${request.resource.group ? `${request.resource.group}/` : ''}${request.resource.resource}${request.subResource ? `/${request.subResource}` : ''}`;
    const target = `${request.namespace ? `${request.namespace}/` : ''}${request.name}`;
    const failed = errors.length > 0 ? ` (expression failed: ${errors.join('; ')})` : '';
    return {
      source,
      verdict: verdict.record ? 'keep' : 'skip',
      rule: verdict.rule ?? '(default)',
      summary: `${request.operation} ${resource} ${target} by ${request.userInfo.username}${request.dryRun ? ' (dry run)' : ''}${failed}`,
    };
  });
}

/**
 * Recorded events as the AdmissionReviews that made them, for replaying the store through new rules: the request's
 * identity, user and kind as recorded, `object` and `oldObject` as stored (normalised and redacted, so an
 * expression over managedFields or a Secret's values sees what the store kept, not what the API server sent).
 */
export function reviewsFromEvents(events: readonly ChangeEvent[]): ReplayInput[] {
  return previousObjects(events).map(({ event, previous, known }) => ({
    source: `event ${event.id}`,
    body: {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: event.requestUid,
        kind: { group: event.group, version: event.version, kind: event.kind },
        resource: { group: event.group, version: event.version, resource: event.resource },
        subResource: event.subresource,
        name: event.name,
        namespace: event.namespace,
        operation: event.operation,
        userInfo: event.user,
        object: event.operation === 'DELETE' ? null : event.object,
        oldObject: event.operation === 'DELETE' ? event.object : event.operation === 'UPDATE' && known ? previous : null,
        dryRun: false,
      },
    },
  }));
}

export function formatReplay(lines: readonly ReplayLine[]): string {
  const width = (pick: (line: ReplayLine) => string, title: string) => Math.max(title.length, ...lines.map((line) => pick(line).length));
  const sourceWidth = width((line) => line.source, 'REVIEW');
  const ruleWidth = width((line) => line.rule, 'RULE');
  const row = (source: string, verdict: string, rule: string, summary: string) =>
    `${source.padEnd(sourceWidth)}  ${verdict.padEnd(7)}  ${rule.padEnd(ruleWidth)}  ${summary}`.trimEnd();
  const kept = lines.filter((line) => line.verdict === 'keep').length;
  return [
    row('REVIEW', 'VERDICT', 'RULE', 'REQUEST'),
    ...lines.map((line) => row(line.source, line.verdict, line.rule, line.summary)),
    '',
    `${kept} of ${lines.length} would be recorded`,
  ].join('\n') + '\n';
}
