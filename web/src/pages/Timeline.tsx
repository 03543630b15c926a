// Every change, newest first, filtered by namespace, kind, name, user, group, operation and time; the filters
// are the URL's query, so a filtered view can be pasted into an incident channel.
import { useState, type SubmitEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ChangeList, type Filter } from '../components/ChangeList.tsx';

const FIELDS = [
  ['namespace', 'Namespace', 'demo'], ['kind', 'Kind', 'Deployment'], ['name', 'Name', 'web'], ['user', 'User', 'alice'],
  ['userGroup', 'User group', 'ops'], ['since', 'Since', '2h or 2026-01-02T15:04:05Z'], ['until', 'Until', 'RFC 3339 or 30m'],
] as const;

export function Timeline() {
  const [params, setParams] = useSearchParams();
  const filter: Filter = Object.fromEntries([...FIELDS.map(([key]) => key), 'operation', 'group'].map((key) => [key, params.get(key) ?? undefined]));
  const [draft, setDraft] = useState<Filter>(filter);
  const apply = (event: SubmitEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, value] of Object.entries(draft)) if (value) next.set(key, value);
    setParams(next);
  };
  const clear = () => { setDraft({}); setParams(new URLSearchParams()); };
  return (
    <>
      <h1>Timeline</h1>
      <form className="filters" aria-label="Filter changes" onSubmit={apply}>
        {FIELDS.map(([key, label, placeholder]) => (
          <label key={key}>{label}
            <input name={key} value={draft[key] ?? ''} placeholder={placeholder} onChange={(event) => setDraft({ ...draft, [key]: event.target.value })} />
          </label>
        ))}
        <label>Operation
          <select name="operation" value={draft['operation'] ?? ''} onChange={(event) => setDraft({ ...draft, operation: event.target.value })}>
            <option value="">any</option>
            {['CREATE', 'UPDATE', 'DELETE', 'CONNECT'].map((op) => <option key={op} value={op}>{op}</option>)}
          </select>
        </label>
        <div className="buttons">
          <button type="submit">Apply filters</button>
          <button type="button" onClick={clear}>Clear</button>
        </div>
      </form>
      <ChangeList filter={filter} />
    </>
  );
}
