// Shapes the API returns and the CLI renders.

/** One namespace in the cluster overview. `namespace` '' means cluster-scoped objects. */
export interface OverviewEntry {
  namespace: string;
  changes: number;
  lastChange: { time: string; user: string; kind: string; name: string; operation: string } | null;
  topUsers: { username: string; changes: number }[];
}

/** The overview: `GET /api/v1/overview` returns exactly this. */
export interface Overview {
  /** RFC 3339: changes counted from this time on. */
  since: string;
  namespaces: OverviewEntry[];
}
