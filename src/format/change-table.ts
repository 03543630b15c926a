// `kubectl get changes`: the server-side Table (meta.k8s.io/v1) kubectl prints, with the same ages and patch
// descriptions as kubectl-blame.
import type { Change } from '../api/change.ts';
import { relativeTime } from './time.ts';
import { describeOversized, describePatch } from './patch.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const COLUMNS = [
  { name: 'Name', type: 'string', format: 'name', description: 'Change id', priority: 0 },
  { name: 'Age', type: 'string', format: '', description: 'When the change was made', priority: 0 },
  { name: 'Operation', type: 'string', format: '', description: 'CREATE, UPDATE or DELETE', priority: 0 },
  { name: 'User', type: 'string', format: '', description: 'Who made the change', priority: 0 },
  { name: 'Object', type: 'string', format: '', description: 'Kind/name of the changed object', priority: 0 },
  { name: 'State', type: 'string', format: '', description: 'confirmed by the watch, pending, not-applied (it never happened) or unattributed (seen, no request explains it)', priority: 0 },
  { name: 'Patch', type: 'string', format: '', description: 'What changed', priority: 1 },
  { name: 'Manager', type: 'string', format: '', description: 'Field manager (the tool)', priority: 1 },
];

/** Who made the change; for an unattributed one, the field manager marked as a guess. */
export function userCell(change: Pick<Change, 'user' | 'authorGuess'>): string {
  if (change.user.username) return change.user.username;
  return change.authorGuess ? `${change.authorGuess.manager}? (guess)` : '<unknown>';
}

export function changeTable(changes: readonly Change[], continueToken: string | undefined, includeObject: IncludeObject, now: number) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: continueToken ? { continue: continueToken } : {},
    columnDefinitions: COLUMNS,
    rows: changes.map((change) => ({
      cells: [
        change.metadata.name,
        relativeTime(change.time, now),
        change.operation,
        userCell(change),
        `${change.target.kind}/${change.target.name}`,
        change.state ?? '',
        [...(change.oversized ? [describeOversized(change.oversized)] : []),
          ...describePatch(change.patch, undefined, { operation: change.operation }).filter((line) => !change.oversized || line !== '(no change)')].join('; '),
        change.fieldManager,
      ],
      object: includeObject === 'None'
        ? undefined
        : includeObject === 'Object'
          ? change
          : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: change.metadata },
    })),
  };
}
