// An endless list of changes for a filter: pages from /api/v1/events as you scroll, and new changes from
// /api/v1/events/live on top, without a reload.
import { useEffect, useEffectEvent, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import type { ChangeEvent } from '../../../src/api/event.ts';
import { followLive, getJson, query, type EventPage } from '../api.ts';
import { ErrorNotice } from './Auth.tsx';
import { ago, localTime, objectLabel, objectPath, operationLabel, oversizedLabel, userPath } from '../format.ts';

export type Filter = Record<string, string | undefined>;

const LIVE_KEYS = ['namespace', 'group', 'kind', 'name', 'user', 'userGroup', 'operation'];

export function ChangeList({ filter, live = true }: { filter: Filter; live?: boolean }) {
  const [items, setItems] = useState<ChangeEvent[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [connected, setConnected] = useState(false);
  const [reload, setReload] = useState(0);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const sentinel = useRef<HTMLLIElement>(null);
  const key = JSON.stringify(filter);

  const loadPage = async (after: string | undefined, signal?: AbortSignal) => {
    setLoading(true);
    try {
      const page = await getJson<EventPage>(`/api/v1/events${query({ ...filter, limit: 50, cursor: after })}`, signal);
      setItems((previous) => (after ? [...previous, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setDone(!page.nextCursor);
      setError(null);
    } catch (failure) {
      if (!signal?.aborted) setError(failure as Error);
    } finally {
      if (!signal?.aborted) setLoading(false);
    }
  };

  // Effects start loads through these, so a new filter (in `key`) is what restarts them, not a new loadPage.
  const loadFirstPage = useEffectEvent((signal: AbortSignal) => loadPage(undefined, signal));
  const loadMore = useEffectEvent((after: string) => loadPage(after));
  const liveQuery = query(Object.fromEntries(LIVE_KEYS.map((name) => [name, filter[name]])));
  const ended = Boolean(filter['until']);

  useEffect(() => {
    const abort = new AbortController();
    setItems([]);
    setCursor(undefined);
    setDone(false);
    void loadFirstPage(abort.signal);
    return () => abort.abort();
  }, [key, reload]);

  useEffect(() => {
    // A list that ends in the past gets no new changes.
    if (!live || ended) return;
    const abort = new AbortController();
    void followLive(`/api/v1/events/live${liveQuery}`, (message) => {
      if (message.type === 'gap') setReload((n) => n + 1);
      if (message.type === 'change') {
        setItems((previous) => (previous.some((item) => item.id === message.event.id) ? previous : [message.event, ...previous]));
        setFresh((previous) => new Set(previous).add(message.event.id));
      }
    }, abort.signal, setConnected);
    // Not live until the next stream is: a change made before its starting point on the server is never sent to it.
    return () => {
      abort.abort();
      setConnected(false);
    };
  }, [liveQuery, ended, live]);

  useEffect(() => {
    const element = sentinel.current;
    if (!element || done) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && !loading && cursor) void loadMore(cursor);
    }, { rootMargin: '400px' });
    observer.observe(element);
    return () => observer.disconnect();
  }, [cursor, done, loading]);

  return (
    <section aria-label="Changes" className="changes">
      {live && !filter['until'] && (
        <p className="live" role="status">
          <span className={connected ? 'dot on' : 'dot'} aria-hidden="true" /> {connected ? 'Live: new changes appear at the top' : 'Connecting for live updates…'}
        </p>
      )}
      {error && <ErrorNotice error={error} />}
      <ol className="change-list" aria-live="polite" aria-relevant="additions">
        {items.map((event) => (
          <li key={event.id} className={`change${fresh.has(event.id) ? ' fresh' : ''}${event.deniedBy ? ' denied' : ''}`} data-change-id={event.id}>
            <span className={`op op-${event.operation.toLowerCase()}`}>{operationLabel(event)}</span>
            <Link className="target" to={objectPath(event)}>{objectLabel(event)}</Link>
            <span className="by">by <Link to={userPath(event.user.username)}>{event.user.username}</Link></span>
            <time dateTime={event.time} title={localTime(event.time)}>{ago(event.time)}</time>
            {event.deniedBy && <span className="deny">denied by Lock {event.deniedBy}</span>}
            <span className="summary">{summarise(event)}</span>
          </li>
        ))}
        {!done && <li ref={sentinel} className="sentinel">{loading ? 'Loading…' : <button type="button" onClick={() => void loadPage(cursor)}>Load more</button>}</li>}
      </ol>
      {done && items.length === 0 && !error && <p className="muted">No changes match these filters.</p>}
    </section>
  );
}

function summarise(event: ChangeEvent): string {
  if (event.oversized) return oversizedLabel(event.oversized);
  if (event.operation !== 'UPDATE') return '';
  const shown = event.patch.slice(0, 3).map((op) => `${op.op} ${op.path}`);
  return shown.join(', ') + (event.patch.length > 3 ? `, +${event.patch.length - 3} more` : '');
}
