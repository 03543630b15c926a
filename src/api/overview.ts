// The cluster overview: changes per namespace, the last change, the most active users. Pure types, the one
// definition the store fills, both APIs serve and kubectl-blame prints.
import type { ChangeOperation } from '../event.ts';
import type { GROUP_VERSION } from './change.ts';

/** One namespace in the overview. `namespace` '' means cluster-scoped objects. */
export interface OverviewEntry {
  namespace: string;
  changes: number;
  lastChange: { time: string; user: string; group: string; kind: string; name: string; operation: ChangeOperation } | null;
  topUsers: { username: string; changes: number }[];
}

/** `GET /api/v1/overview`. */
export interface Overview {
  /** RFC 3339: changes counted from this time on. */
  since: string;
  namespaces: OverviewEntry[];
}

/** `GET /apis/audit.logistis.io/v1alpha1/overview`: the overview as a Kubernetes object. */
export interface OverviewResource extends Overview {
  apiVersion: typeof GROUP_VERSION;
  kind: 'Overview';
}
