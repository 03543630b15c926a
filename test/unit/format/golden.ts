// The recorded histories the renderers' tests render, and the time they render them at; their goldens are checked
// by test/support/golden.ts.
import { readFileSync } from 'node:fs';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';

export const FIXTURES = new URL('../../fixtures/format/', import.meta.url);

/** The time every golden is rendered at. */
export const NOW = '2025-06-12T12:00:00Z';

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

export const deploymentHistory = (): ChangeEvent[] => fixture<ChangeEvent[]>('deployment-web.history.json');

/** The deployment history with bob's change made by `kubectl scale`: the webhook saw a Scale, and that is recorded. */
export function scaledDeploymentHistory(): ChangeEvent[] {
  const events = deploymentHistory();
  const bob = events.find((e) => e.id === '1002')!;
  bob.subresource = 'scale';
  bob.fieldManager = 'kubectl';
  bob.object = {
    apiVersion: 'autoscaling/v1', kind: 'Scale',
    metadata: { name: 'web', namespace: 'shop', uid: bob.objectUid, creationTimestamp: '2025-06-09T09:14:03Z' },
    spec: { replicas: 3 },
  };
  return events;
}
export const deploymentLive = (): JsonObject => fixture<JsonObject>('deployment-web.live.json');
export const secretHistory = (): ChangeEvent[] => fixture<ChangeEvent[]>('secret-db-credentials.history.json');
export const miscHistory = (): ChangeEvent[] => fixture<ChangeEvent[]>('misc.history.json');

/** Removes ANSI colour escapes. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
