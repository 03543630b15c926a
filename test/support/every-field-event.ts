// An event with every field of ChangeEvent set, each to a value no other field holds, so a codec that drops or
// swaps a field shows in a comparison. Typed Required<ChangeEvent>: a field added to the event must be set here.
import type { ChangeEvent } from '../../src/event.ts';

export function everyFieldEvent(timeMs: number, requestUid = 'request-uid-1'): Required<ChangeEvent> {
  return {
    id: '0',
    time: new Date(timeMs).toISOString(),
    requestUid,
    operation: 'UPDATE',
    user: { username: 'user-name', uid: 'user-uid', groups: ['user-group-a', 'user-group-b'], extra: { 'extra-key': ['extra-value'] } },
    group: 'api-group.example.com',
    version: 'v9',
    kind: 'Widget',
    resource: 'widgets',
    subresource: 'status',
    namespace: 'namespace-1',
    name: 'name-1',
    objectUid: 'object-uid-1',
    fieldManager: 'field-manager-1',
    patch: [{ op: 'replace', path: '/spec/size', value: 2 }],
    object: { apiVersion: 'api-group.example.com/v9', kind: 'Widget', metadata: { name: 'name-1', namespace: 'namespace-1' }, spec: { size: 2 } },
    deniedBy: 'lock-1',
    oversized: { reviewBytes: 4_000_000, maxBodyBytes: 3_000_000, omitted: ['metadata.annotations'] },
    state: 'not-applied',
    stateChangedAt: new Date(timeMs + 1234).toISOString(),
    authorGuess: { manager: 'guessed-manager', operation: 'Apply', time: new Date(timeMs - 5000).toISOString() },
  };
}
