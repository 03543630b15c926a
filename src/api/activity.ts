// What the dashboard's overview charts: changes over time per namespace or user, the most changed objects,
// the most active users and service accounts, and recent Lock denials. Pure types.
import type { ChangeOperation } from '../event.ts';

export const ACTIVITY_GROUPINGS = ['namespace', 'user'] as const;
export type ActivityGrouping = (typeof ACTIVITY_GROUPINGS)[number];

/** One stacked series: a namespace ('' = cluster-scoped) or a username, with one count per bucket. */
export interface ActivitySeries {
  key: string;
  total: number;
  counts: number[];
}

export interface ActivityObject {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  changes: number;
  lastTime: string;
  lastUser: string;
}

export interface ActivityUser {
  username: string;
  changes: number;
  /** `system:serviceaccount:…` callers, shown apart from people. */
  serviceAccount: boolean;
}

export interface ActivityDenial {
  id: string;
  time: string;
  user: string;
  operation: ChangeOperation;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  deniedBy: string;
}

/** `GET /api/v1/activity`. */
export interface Activity {
  since: string;
  until: string;
  bucketMs: number;
  /** Start of each bucket, RFC 3339. */
  buckets: string[];
  by: ActivityGrouping;
  series: ActivitySeries[];
  topObjects: ActivityObject[];
  topUsers: ActivityUser[];
  denials: ActivityDenial[];
  /** Every change of the window: the store counts them all. */
  counted: number;
  /** Always false: every change of the window is counted (an older server counted only the newest 20,000). */
  truncated: boolean;
}
