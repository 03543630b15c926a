import { useEffect, useState } from 'react';
import { getJson } from './api.ts';

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
}

/**
 * GETs `path` (null: nothing yet) and again whenever it changes; an older answer never overwrites a newer one.
 * `get` reads it (default: one GET; a paged answer passes one that follows its pages).
 */
export function useApi<T>(path: string | null, get: (path: string, signal: AbortSignal) => Promise<T> = getJson): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null, loading: path !== null });
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    setState((previous) => ({ ...previous, loading: true, error: null }));
    get(path, abort.signal).then(
      (data) => setState({ data, error: null, loading: false }),
      (error: unknown) => { if (!abort.signal.aborted) setState({ data: null, error: error instanceof Error ? error : new Error(String(error)), loading: false }); },
    );
    return () => abort.abort();
  }, [path, get]);
  return state;
}
