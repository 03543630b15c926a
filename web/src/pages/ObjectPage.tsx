// One object: its history with a diff per change, the per-field blame, the object as it was at a chosen time,
// and a manifest that reverts a change. View, diff mode and time are in the URL.
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import type { BlameAnswer } from '../../../src/api/field-blame.ts';
import type { HistoryAnswer, HistoryEntry as HistoryItem, RevertAnswer, StateAnswer } from '../../../src/api/history.ts';
import type { JsonObject } from '../../../src/api/event.ts';
import { getJson, query } from '../api.ts';
import { ErrorNotice } from '../components/Auth.tsx';
import { Diff, YamlBlock, YamlLine } from '../components/Yaml.tsx';
import { ago, localTime, objectLabel, operationLabel, oversizedLabel, toYaml, userPath, type ObjectRef } from '../format.ts';
import { useApi } from '../useApi.ts';

const VIEWS = [['history', 'History'], ['blame', 'Blame'], ['at', 'As it was']] as const;
/** More pages than a history of the server's retention has; a guard against a server that never ends. */
const MAX_HISTORY_PAGES = 100;

/** Every page of a history: the server ends a page at 1,000 events or 8 MiB, with a `continue` token. */
async function getWholeHistory(path: string, signal: AbortSignal): Promise<HistoryAnswer> {
  const first = await getJson<HistoryAnswer>(path, signal);
  const items = [...first.items];
  let token = first.continue;
  for (let pages = 1; token && pages < MAX_HISTORY_PAGES; pages++) {
    const page = await getJson<HistoryAnswer>(`${path}&continue=${encodeURIComponent(token)}`, signal);
    items.push(...page.items);
    token = page.continue;
  }
  return { object: first.object, items };
}

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

function HistoryView({ objectQuery, mode, onMode, focus }: { objectQuery: ObjectQueryParams; mode: 'inline' | 'split'; onMode: (mode: string) => void; focus: string | null }) {
  const { data, error, loading } = useApi<HistoryAnswer>(`/api/v1/history${query(objectQuery)}`, getWholeHistory);
  if (error) return <ErrorNotice error={error} />;
  if (loading || !data) return <p aria-busy="true">Loading…</p>;
  if (data.items.length === 0) return <p className="muted">No recorded changes of this object.</p>;
  // The server says which event holds the state before each one (the same rule as kubectl blame's diffs).
  const objects = new Map(data.items.map((event) => [event.id, event.object]));
  const entries = data.items.map((event) => ({ event, before: event.previousId === undefined ? null : objects.get(event.previousId) ?? null })).reverse();
  return (
    <>
      <fieldset className="segmented">
        <legend>Diff</legend>
        {(['inline', 'split'] as const).map((value) => (
          <label key={value}><input type="radio" name="diff" value={value} checked={mode === value} onChange={() => onMode(value)} /> {value === 'inline' ? 'inline' : 'side by side'}</label>
        ))}
      </fieldset>
      <ol className="history">
        {entries.map(({ event, before }) => <HistoryEntry key={event.id} objectQuery={objectQuery} event={event} before={before} mode={mode} open={focus === null || focus === event.id} />)}
      </ol>
    </>
  );
}

function HistoryEntry({ objectQuery, event, before, mode, open }: { objectQuery: ObjectQueryParams; event: HistoryItem; before: JsonObject | null; mode: 'inline' | 'split'; open: boolean }) {
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
        {event.oversized && <p className="deny">{oversizedLabel(event.oversized)}; the diff shows the metadata only.</p>}
        <Diff before={event.operation === 'DELETE' ? deletedText : beforeText} after={after} mode={mode} label={`Change ${event.id} by ${event.user.username}`} />
        {event.madeState && (
          <>
            <button type="button" onClick={() => setShowRevert(!showRevert)} aria-expanded={showRevert}>{showRevert ? 'Hide revert' : 'Revert this change'}</button>
            {showRevert && <Revert objectQuery={objectQuery} changeId={event.id} />}
          </>
        )}
      </details>
    </li>
  );
}

/** The revert manifest as the server builds it (the same as `kubectl blame --revert`), or its reason not to. */
function Revert({ objectQuery, changeId }: { objectQuery: ObjectQueryParams; changeId: string }) {
  const [copied, setCopied] = useState(false);
  const { data, error, loading } = useApi<RevertAnswer>(`/api/v1/revert${query({ ...objectQuery, change: changeId })}`);
  if (error) return <ErrorNotice error={error} />;
  if (loading || !data) return <p aria-busy="true">Loading…</p>;
  if (data.refused || !data.manifest) {
    return (
      <div className="revert" role="note">
        <p className="refusal">{data.refused?.message ?? 'No manifest.'}</p>
        {data.refused?.command && <p>Instead: <code>{data.refused.command}</code></p>}
      </div>
    );
  }
  const manifest = toYaml(data.manifest);
  const copy = () => void navigator.clipboard?.writeText(manifest).then(() => setCopied(true), () => setCopied(false));
  return (
    <div className="revert">
      <p>The object as it was before change {changeId}; apply it with <code>kubectl apply -f -</code>.
        {data.later.length > 0 ? ` It undoes ${data.later.length} later change${data.later.length === 1 ? '' : 's'} too.` : ''}</p>
      <button type="button" onClick={copy}>Copy manifest</button> <span role="status">{copied ? 'Copied' : ''}</span>
      <YamlBlock text={manifest} label={`Revert manifest for change ${changeId}`} />
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

/** The object as it was at a time, as the server rebuilds it (the same as `kubectl blame --at`). */
function AtView({ objectQuery, at, onAt }: { objectQuery: ObjectQueryParams; at: string | null; onAt: (at: string) => void }) {
  const chosen = at ?? new Date().toISOString();
  const { data, error, loading } = useApi<StateAnswer>(`/api/v1/state${query({ ...objectQuery, at: chosen })}`);
  const change = data?.change;
  return (
    <>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>As it was at
          <input type="datetime-local" step="1" value={toLocalInput(chosen)} onChange={(event) => event.target.value && onAt(new Date(event.target.value).toISOString())} />
        </label>
      </form>
      {error && <ErrorNotice error={error} />}
      {loading && <p aria-busy="true">Loading…</p>}
      {data?.refused && <p className="refusal">{data.refused.message}</p>}
      {data?.state && change && (
        <>
          <p>Last change before {localTime(chosen)}: {operationLabel(change)} by <Link to={userPath(change.username)}>{change.username}</Link>, {localTime(change.time)} (change {change.id}).</p>
          <YamlBlock text={toYaml(data.state)} label={`The object as it was at ${chosen}`} />
        </>
      )}
    </>
  );
}
