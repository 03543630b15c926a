// What happened in the cluster: changes over time stacked by namespace or user, the most changed objects, the
// most active users and service accounts, recent denials by Locks. Window and grouping live in the URL.
import { Link, useSearchParams } from 'react-router-dom';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Activity } from '../../../src/api/activity.ts';
import { query } from '../api.ts';
import { ErrorNotice } from '../components/Auth.tsx';
import { ago, localTime, objectLabel, objectPath, userPath } from '../format.ts';
import { useApi } from '../useApi.ts';

const WINDOWS = [['1h', 'last hour', 12], ['24h', 'last 24 hours', 24], ['7d', 'last 7 days', 28], ['30d', 'last 30 days', 30]] as const;
// Colour-blind-safe (Okabe–Ito), readable on light and dark backgrounds.
const COLOURS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#999999', '#f0e442', '#7f7f7f'];

function bucketLabel(time: string, windowKey: string): string {
  const date = new Date(time);
  return windowKey === '1h' || windowKey === '24h'
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export function Overview() {
  const [params, setParams] = useSearchParams();
  const windowKey = params.get('window') ?? '24h';
  const by = params.get('by') === 'user' ? 'user' : 'namespace';
  const buckets = WINDOWS.find(([key]) => key === windowKey)?.[2] ?? 24;
  const { data, error, loading } = useApi<Activity>(`/api/v1/activity${query({ since: windowKey, by, buckets, top: 10 })}`);
  const set = (key: string, value: string) => { const next = new URLSearchParams(params); next.set(key, value); setParams(next); };

  const rows = data?.buckets.map((time, i) => ({
    time: bucketLabel(time, windowKey),
    ...Object.fromEntries(data.series.map((series) => [series.key || '(cluster)', series.counts[i] ?? 0])),
  })) ?? [];
  const people = data?.topUsers.filter((user) => !user.serviceAccount) ?? [];
  const robots = data?.topUsers.filter((user) => user.serviceAccount) ?? [];

  return (
    <>
      <h1>Overview</h1>
      <form className="filters" aria-label="Overview settings" onSubmit={(event) => event.preventDefault()}>
        <label>Window{' '}
          <select value={windowKey} onChange={(event) => set('window', event.target.value)}>
            {WINDOWS.map(([key, label]) => <option key={key} value={key}>{label}</option>)}
          </select>
        </label>
        <label>Stack by{' '}
          <select value={by} onChange={(event) => set('by', event.target.value)}>
            <option value="namespace">namespace</option>
            <option value="user">user</option>
          </select>
        </label>
      </form>
      {error && <ErrorNotice error={error} />}
      {loading && !data && <p aria-busy="true">Loading…</p>}
      {data && (
        <>
          <section className="card" aria-labelledby="chart-title">
            <h2 id="chart-title">Changes over time, by {by} <span className="muted">({data.counted} changes{data.truncated ? ', newest only' : ''})</span></h2>
            <div className="chart" role="img" aria-label={`Stacked bar chart of ${data.counted} changes by ${by}: ${data.series.map((series) => `${series.key || 'cluster-scoped'} ${series.total}`).join(', ')}`}>
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
                  <XAxis dataKey="time" stroke="var(--muted)" fontSize={12} />
                  <YAxis allowDecimals={false} stroke="var(--muted)" fontSize={12} />
                  <Tooltip contentStyle={{ background: 'var(--card)', color: 'var(--fg)', border: '1px solid var(--border)' }} />
                  <Legend />
                  {data.series.map((series, i) => (
                    <Bar key={series.key} dataKey={series.key || '(cluster)'} stackId="changes" fill={COLOURS[i % COLOURS.length]} isAnimationActive={false} />
                  ))}
                </BarChart>
              </ResponsiveContainer>
            </div>
          </section>
          <div className="grid">
            <section className="card" aria-labelledby="objects-title">
              <h2 id="objects-title">Most changed objects</h2>
              <table>
                <thead><tr><th scope="col">Object</th><th scope="col">Changes</th><th scope="col">Last</th></tr></thead>
                <tbody>
                  {data.topObjects.map((object) => (
                    <tr key={objectLabel(object)}>
                      <td><Link to={objectPath(object)}>{objectLabel(object)}</Link></td>
                      <td className="num">{object.changes}</td>
                      <td><Link to={userPath(object.lastUser)}>{object.lastUser}</Link>, <time dateTime={object.lastTime} title={localTime(object.lastTime)}>{ago(object.lastTime)}</time></td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {data.topObjects.length === 0 && <p className="muted">No changes in this window.</p>}
            </section>
            <section className="card" aria-labelledby="users-title">
              <h2 id="users-title">Most active users</h2>
              <UserTable users={people} label="users" />
              <h3>Service accounts</h3>
              <UserTable users={robots} label="service accounts" />
            </section>
            <section className="card" aria-labelledby="denials-title">
              <h2 id="denials-title">Recent denials by Locks</h2>
              {data.denials.length === 0 ? <p className="muted">No attempt was denied in this window.</p> : (
                <ul className="plain">
                  {data.denials.map((denial) => (
                    <li key={denial.id}>
                      <Link to={userPath(denial.user)}>{denial.user}</Link> tried {denial.operation} of{' '}
                      <Link to={objectPath(denial)}>{objectLabel(denial)}</Link>: denied by Lock <strong>{denial.deniedBy}</strong>,{' '}
                      <time dateTime={denial.time}>{ago(denial.time)}</time>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </div>
        </>
      )}
    </>
  );
}

function UserTable({ users, label }: { users: Activity['topUsers']; label: string }) {
  if (users.length === 0) return <p className="muted">No {label} changed anything in this window.</p>;
  return (
    <table>
      <thead><tr><th scope="col">Who</th><th scope="col">Changes</th></tr></thead>
      <tbody>
        {users.map((user) => (
          <tr key={user.username}><td><Link to={userPath(user.username)}>{user.username}</Link></td><td className="num">{user.changes}</td></tr>
        ))}
      </tbody>
    </table>
  );
}
