// Ages, kubectl style (whole units, rounded down): for `kubectl get changes` (the server's Table) and kubectl-blame
// alike. Imports no terminal code, so the server can use it.

/** `12s`, `35m`, `5h`, `3d`, `2y`: the time from `iso` to `now`, in its largest whole unit, kubectl style. */
export function relativeTime(iso: string, now: Date | number | string): string {
  const then = Date.parse(iso);
  const at = now instanceof Date ? now.getTime() : typeof now === 'number' ? now : Date.parse(now);
  if (Number.isNaN(then) || Number.isNaN(at)) return '?';
  // A time slightly in the future (clock skew between replicas) reads as now.
  const seconds = Math.max(0, Math.floor((at - then) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 365) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}
