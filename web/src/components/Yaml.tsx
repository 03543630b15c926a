// YAML, highlighted line by line (highlight.js), as plain lines, inline diffs and side-by-side diffs.
import hljs from 'highlight.js/lib/core';
import yamlLanguage from 'highlight.js/lib/languages/yaml';
import { diffLines } from 'diff';

hljs.registerLanguage('yaml', yamlLanguage);

/** highlight.js escapes the text it returns, so the HTML is safe to insert. */
export function YamlLine({ text }: { text: string }) {
  return <code dangerouslySetInnerHTML={{ __html: hljs.highlight(text, { language: 'yaml', ignoreIllegals: true }).value || '\u200b' }} />;
}

export function YamlBlock({ text, label }: { text: string; label: string }) {
  return (
    <pre className="yaml" aria-label={label} tabIndex={0}>
      {text.replace(/\n$/, '').split('\n').map((line, i) => <span className="line" key={i}><YamlLine text={line} />{'\n'}</span>)}
    </pre>
  );
}

export interface DiffRow {
  kind: 'same' | 'del' | 'add' | 'change' | 'skip';
  left?: string;
  right?: string;
}

function split(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

/** Pure: before → after as rows; unchanged runs longer than 2·context are cut to their ends. */
export function diffRows(before: string, after: string, context = 3): DiffRow[] {
  const rows: DiffRow[] = [];
  const parts = diffLines(before, after);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.removed && parts[i + 1]?.added) {
      const left = split(part.value);
      const right = split(parts[i + 1]!.value);
      for (let j = 0; j < Math.max(left.length, right.length); j++) rows.push({ kind: 'change', left: left[j], right: right[j] });
      i++;
    } else if (part.removed) {
      for (const line of split(part.value)) rows.push({ kind: 'del', left: line });
    } else if (part.added) {
      for (const line of split(part.value)) rows.push({ kind: 'add', right: line });
    } else {
      const lines = split(part.value);
      const first = i === 0;
      const last = i === parts.length - 1;
      const keepHead = first ? 0 : context;
      const keepTail = last ? 0 : context;
      if (lines.length > keepHead + keepTail + 1) {
        for (const line of lines.slice(0, keepHead)) rows.push({ kind: 'same', left: line, right: line });
        rows.push({ kind: 'skip', left: `${lines.length - keepHead - keepTail} unchanged lines` });
        for (const line of lines.slice(lines.length - keepTail)) rows.push({ kind: 'same', left: line, right: line });
      } else {
        for (const line of lines) rows.push({ kind: 'same', left: line, right: line });
      }
    }
  }
  return rows;
}

export function Diff({ before, after, mode, label }: { before: string; after: string; mode: 'inline' | 'split'; label: string }) {
  const rows = diffRows(before, after);
  if (rows.every((row) => row.kind === 'same' || row.kind === 'skip')) return <p className="muted">No change to the recorded object (after normalising).</p>;
  if (mode === 'split') {
    return (
      <table className="diff split" aria-label={label}>
        <thead><tr><th scope="col">Before</th><th scope="col">After</th></tr></thead>
        <tbody>
          {rows.map((row, i) => row.kind === 'skip'
            ? <tr key={i} className="skip"><td colSpan={2}>⋯ {row.left}</td></tr>
            : (
              <tr key={i}>
                <td className={row.kind === 'del' || row.kind === 'change' ? (row.left === undefined ? 'empty' : 'del') : row.left === undefined ? 'empty' : ''}>
                  {row.left !== undefined && <YamlLine text={row.left} />}
                </td>
                <td className={row.kind === 'add' || row.kind === 'change' ? (row.right === undefined ? 'empty' : 'add') : row.right === undefined ? 'empty' : ''}>
                  {row.right !== undefined && <YamlLine text={row.right} />}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    );
  }
  const lines: { sign: string; text: string; kind: string }[] = [];
  for (const row of rows) {
    if (row.kind === 'skip') lines.push({ sign: '⋯', text: row.left ?? '', kind: 'skip' });
    else if (row.kind === 'same') lines.push({ sign: ' ', text: row.left ?? '', kind: '' });
    else {
      if (row.left !== undefined) lines.push({ sign: '-', text: row.left, kind: 'del' });
      if (row.right !== undefined) lines.push({ sign: '+', text: row.right, kind: 'add' });
    }
  }
  // Inline: removed lines of a changed block first, then the added ones, as a unified diff shows them.
  const ordered = reorderInline(lines);
  return (
    <pre className="diff inline" aria-label={label} tabIndex={0}>
      {ordered.map((line, i) => (
        <span key={i} className={`line ${line.kind}`}><span className="sign" aria-label={line.kind === 'del' ? 'removed' : line.kind === 'add' ? 'added' : undefined}>{line.sign}</span>{line.kind === 'skip' ? <code>{line.text}</code> : <YamlLine text={line.text} />}{'\n'}</span>
      ))}
    </pre>
  );
}

function reorderInline<T extends { kind: string }>(lines: T[]): T[] {
  const out: T[] = [];
  let dels: T[] = [];
  let adds: T[] = [];
  const flush = () => { out.push(...dels, ...adds); dels = []; adds = []; };
  for (const line of lines) {
    if (line.kind === 'del') dels.push(line);
    else if (line.kind === 'add') adds.push(line);
    else { flush(); out.push(line); }
  }
  flush();
  return out;
}
