// One object: its history with a diff per change, the per-field blame, the object as it was at a chosen time,
// and a manifest that reverts a change. View, diff mode and time are in the URL.
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import type { BlameAnswer } from '../../../src/api/blame.ts';
import type { HistoryAnswer } from '../../../src/api/history.ts';
import type { ChangeEvent, JsonObject } from '../../../src/api/event.ts';
import { query } from '../api.ts';
import { ErrorNotice } from '../components/Auth.tsx';
import { Diff, YamlBlock, YamlLine } from '../components/Yaml.tsx';
import { ago, applyManifest, localTime, objectLabel, operationLabel, toYaml, userPath, type ObjectRef } from '../format.ts';
import { useApi } from '../useApi.ts';

const VIEWS = [['history', 'History'], ['blame', 'Blame'], ['at', 'As it was']] as const;

export function ObjectPage() {
  const [params, setParams] = useSearchParams();
  const ref: ObjectRef = { namespace: params.get('namespace') ?? '', group: params.get('group') ?? '', kind: params.get('kind') ?? '', name: params.get('name') ?? '' };
  const view = params.get('view') ?? 'history';
  const set = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) if (value === null) next.delete(key); else next.set(key, value);
    setParams(next);
  };
  if (!ref.kind || !ref.name) return <p>Name an object: <code>?namespace=demo&amp;kind=Deployment&amp;name=web</code>.</p>;
  const objectQuery = { namespace: ref.namespace, kind: ref.kind, name: ref.name, group: params.has('group') ? ref.group : undefined };
  return (
    <>
      <h1><span className="mono">{objectLabel(ref)}</span></h1>
      <div role="tablist" aria-label="Views of this object" className="tabs">
        {VIEWS.map(([key, label]) => (
          <button key={key} role="tab" type="button" aria-selected={view === key} aria-controls="object-view" id={`tab-${key}`} onClick={() => set({ view: key })}>{label}</button>
        ))}
      </div>
      <div id="object-view" role="tabpanel" aria-labelledby={`tab-${view}`}>
        {view === 'blame' ? <BlameView objectQuery={objectQuery} />
          : view === 'at' ? <AtView objectQuery={objectQuery} at={params.get('at')} onAt={(at) => set({ at })} />
          : <HistoryView objectQuery={objectQuery} mode={params.get('diff') === 'split' ? 'split' : 'inline'} onMode={(diff) => set({ diff })} focus={params.get('change')} />}
      </div>
    </>
  );
}

type ObjectQueryParams = Record<string, string | undefined>;

function HistoryView({ objectQuery, mode, onMode, focus }: { objectQuery: ObjectQueryParams; mode: 'inline' | 'split'; onMode(mode: string): void; focus: string | null }) {
  const { data, error, loading } = useApi<HistoryAnswer>(`/api/v1/history${query(objectQuery)}`);
  if (error) return <ErrorNotice error={error} />;
  if (loading || !data) return <p aria-busy="true">Loading…</p>;
  if (data.items.length === 0) return <p className="muted">No recorded changes of this object.</p>;
  const entries = data.items.map((event, i) => ({ event, before: previousState(data.items, i) })).reverse();
  return (
    <>
      <fieldset className="segmented">
        <legend>Diff</legend>
        {(['inline', 'split'] as const).map((value) => (
          <label key={value}><input type="radio" name="diff" value={value} checked={mode === value} onChange={() => onMode(value)} /> {value === 'inline' ? 'inline' : 'side by side'}</label>
        ))}
      </fieldset>
      <ol className="history">
        {entries.map(({ event, before }) => <HistoryEntry key={event.id} event={event} before={before} mode={mode} open={focus === null || focus === event.id} />)}
      </ol>
    </>
  );
}

/** The object before event i: the state after the previous event, none before a creation or after a deletion. */
function previousState(items: ChangeEvent[], i: number): JsonObject | null {
  const previous = items[i - 1];
  if (!previous || previous.operation === 'DELETE' || previous.deniedBy) return i > 0 && previous?.deniedBy ? previousState(items, i - 1) : null;
  return previous.object;
}

function HistoryEntry({ event, before, mode, open }: { event: ChangeEvent; before: JsonObject | null; mode: 'inline' | 'split'; open: boolean }) {
  const [showRevert, setShowRevert] = useState(false);
  const after = event.operation === 'DELETE' ? '' : toYaml(event.object);
  const beforeText = event.operation === 'CREATE' || !before ? '' : toYaml(before);
  const deletedText = event.operation === 'DELETE' ? toYaml(event.object) : beforeText;
  return (
    <li className="card" id={`change-${event.id}`}>
      <details open={open}>
        <summary>
          <span className={`op op-${event.operation.toLowerCase()}`}>{operationLabel(event)}</span>{' '}
          by {event.user.username}{' '}
          <time dateTime={event.time} title={localTime(event.time)}>{ago(event.time)}</time>{' '}
          <span className="muted">change {event.id}{event.fieldManager ? ` · ${event.fieldManager}` : ''}</span>
          {event.deniedBy && <span className="deny"> denied by Lock {event.deniedBy}</span>}
        </summary>
        <p className="who-line">
          <Link to={userPath(event.user.username)}>{event.user.username}</Link> <span className="muted">({event.user.groups.join(', ')})</span> at {localTime(event.time)}
        </p>
        <Diff before={event.operation === 'DELETE' ? deletedText : beforeText} after={after} mode={mode} label={`Change ${event.id} by ${event.user.username}`} />
        {!event.deniedBy && (
          <>
            <button type="button" onClick={() => setShowRevert(!showRevert)} aria-expanded={showRevert}>{showRevert ? 'Hide revert' : 'Revert this change'}</button>
            {showRevert && <Revert event={event} before={event.operation === 'DELETE' ? event.object : before} />}
          </>
        )}
      </details>
    </li>
  );
}

function Revert({ event, before }: { event: ChangeEvent; before: JsonObject | null }) {
  const [copied, setCopied] = useState(false);
  if (event.operation === 'CREATE') {
    const type = event.group ? `${event.resource}.${event.group}` : event.resource;
    return <p>Change {event.id} created the object; reverting it means deleting it: <code>kubectl delete {type} {event.name}{event.namespace ? ` -n ${event.namespace}` : ''}</code></p>;
  }
  if (event.kind === 'Secret' && event.group === '') {
    return <p>This is a Secret: logistis recorded its values only as fingerprints, so it cannot print a manifest that restores them. Restore them from where they are kept.</p>;
  }
  if (!before) return <p>The object before change {event.id} is not in the recorded history, so it cannot be rebuilt.</p>;
  const manifest = toYaml(applyManifest(before));
  const copy = () => void navigator.clipboard?.writeText(manifest).then(() => setCopied(true), () => setCopied(false));
  return (
    <div className="revert">
      <p>The object as it was before change {event.id}; apply it with <code>kubectl apply -f -</code>. It undoes every later change too.</p>
      <button type="button" onClick={copy}>Copy manifest</button> <span role="status">{copied ? 'Copied' : ''}</span>
      <YamlBlock text={manifest} label={`Revert manifest for change ${event.id}`} />
    </div>
  );
}

function BlameView({ objectQuery }: { objectQuery: ObjectQueryParams }) {
  const { data, error, loading } = useApi<BlameAnswer>(`/api/v1/blame${query(objectQuery)}`);
  if (error) return <ErrorNotice error={error} />;
  if (loading || !data) return <p aria-busy="true">Loading…</p>;
  return (
    <table className="blame" aria-label="Who last changed each field">
      <thead><tr><th scope="col">Who</th><th scope="col">When</th><th scope="col">Field</th></tr></thead>
      <tbody>
        {data.lines.map((line, i) => {
          const same = i > 0 && data.lines[i - 1]!.author?.eventId === line.author?.eventId && data.lines[i - 1]!.author?.username === line.author?.username;
          return (
            <tr key={i} data-path={line.path}>
              <td className="who">{line.author && !same ? <><Link to={userPath(line.author.username)}>{line.author.username}</Link>{line.author.source === 'managedFields' ? <span className="muted" title="from managedFields: a guess, not a recorded change"> (manager)</span> : null}</> : null}</td>
              <td className="when">{line.author && !same ? <time dateTime={line.author.time} title={localTime(line.author.time)}>{ago(line.author.time)}</time> : null}</td>
              <td><YamlLine text={line.text} /></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 19);
}

function AtView({ objectQuery, at, onAt }: { objectQuery: ObjectQueryParams; at: string | null; onAt(at: string): void }) {
  const chosen = at ?? new Date().toISOString();
  const until = new Date(Date.parse(chosen) + 1).toISOString();
  const { data, error, loading } = useApi<HistoryAnswer>(`/api/v1/history${query({ ...objectQuery, until })}`);
  const last = data?.items.filter((event) => !event.deniedBy).at(-1);
  return (
    <>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>As it was at
          <input type="datetime-local" step="1" value={toLocalInput(chosen)} onChange={(event) => event.target.value && onAt(new Date(event.target.value).toISOString())} />
        </label>
      </form>
      {error && <ErrorNotice error={error} />}
      {loading && <p aria-busy="true">Loading…</p>}
      {data && !last && <p>The object did not exist yet at {localTime(chosen)}, or its recorded history starts later.</p>}
      {last?.operation === 'DELETE' && <p>The object was deleted by <Link to={userPath(last.user.username)}>{last.user.username}</Link> at {localTime(last.time)}.</p>}
      {last && last.operation !== 'DELETE' && (
        <>
          <p>Last change before {localTime(chosen)}: {operationLabel(last)} by <Link to={userPath(last.user.username)}>{last.user.username}</Link>, {localTime(last.time)} (change {last.id}).</p>
          <YamlBlock text={toYaml(last.object)} label={`The object as it was at ${chosen}`} />
        </>
      )}
    </>
  );
}
