// What one user or group changed, when and where: their changes (live), and where they were made.
import { Link, useSearchParams } from 'react-router-dom';
import type { EventPage } from '../api.ts';
import { query } from '../api.ts';
import { ChangeList } from '../components/ChangeList.tsx';
import { useApi } from '../useApi.ts';

export function UserPage() {
  const [params] = useSearchParams();
  const user = params.get('user') ?? undefined;
  const group = params.get('group') ?? undefined;
  const filter = user ? { user } : { userGroup: group };
  const recent = useApi<EventPage>(user || group ? `/api/v1/events${query({ ...filter, limit: 500, since: '30d' })}` : null);
  if (!user && !group) return <p>Name a user (<code>?user=alice</code>) or a group (<code>?group=ops</code>).</p>;
  const where = new Map<string, number>();
  for (const event of recent.data?.items ?? []) {
    const key = `${event.namespace || '(cluster)'} · ${event.kind}`;
    where.set(key, (where.get(key) ?? 0) + 1);
  }
  const places = [...where.entries()].sort((a, b) => b[1] - a[1]);
  return (
    <>
      <h1>{user ? <>User <span className="mono">{user}</span></> : <>Group <span className="mono">{group}</span></>}</h1>
      {recent.data && (
        <section className="card" aria-labelledby="where-title">
          <h2 id="where-title">Where {user ?? `members of ${group}`} made changes <span className="muted">(last 30 days, newest {recent.data.items.length})</span></h2>
          <ul className="chips">
            {places.map(([place, count]) => <li key={place}>{place}: <strong>{count}</strong></li>)}
          </ul>
          {user && <p><Link to={`/timeline${query({ user })}`}>Open in the timeline</Link></p>}
        </section>
      )}
      <h2>Changes</h2>
      <ChangeList filter={filter} />
    </>
  );
}
