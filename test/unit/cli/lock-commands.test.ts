// kubectl blame lock / unlock / locks: argument checks and the Lock object built from them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lockCreators, lockObject, parseLockCommand, renderLocksTable } from '../../../src/cli/blame/lock-commands.ts';
import { BlameError } from '../../../src/cli/blame/errors.ts';
import type { Change } from '../../../src/api/change.ts';
import type { JsonObject } from '../../../src/event.ts';
import { cliFixture } from './cluster.ts';
import { assertGolden, CLI_GOLDEN } from '../../support/golden.ts';

const parse = (argv: string[]) => parseLockCommand(argv, () => {});
const NOW = Date.parse('2026-06-12T10:00:00Z');

describe('kubectl blame lock', () => {
  it('builds a namespace Lock with an expiry', () => {
    const request = parse(['lock', 'prod', '--group', 'ops', '--user', 'bob', '--except-group', 'break-glass', '--reason', 'freeze', '--for', '2h']);
    assert.ok(request && request.command === 'lock');
    assert.deepEqual(lockObject(request, { namespaces: ['prod'] }, NOW), {
      apiVersion: 'logistis.io/v1alpha1', kind: 'Lock', metadata: { name: 'lock-prod' },
      spec: {
        target: { namespaces: ['prod'] }, subjects: { users: ['bob'], groups: ['ops'] }, except: { groups: ['break-glass'] },
        expires: '2026-06-12T12:00:00Z', reason: 'freeze',
      },
    });
  });

  it('takes TYPE/NAME with -n', () => {
    const request = parse(['lock', 'deploy/web', '-n', 'shop', '--user', 'bob', '--reason', 'x']);
    assert.ok(request && request.command === 'lock');
    assert.equal(request.type, 'deploy');
    assert.equal(request.name, 'web');
    assert.equal(request.objectNamespace, 'shop');
  });

  const usage: [string[], RegExp][] = [
    [['lock', 'prod', '--reason', 'x'], /--user or --group/],
    [['lock', 'prod', '--group', 'ops'], /--reason is required/],
    [['lock', 'prod', '--group', 'ops', '--reason', 'x', '--for', 'soon'], /--for "soon"/],
    [['lock', 'prod', '-n', 'x', '--group', 'ops', '--reason', 'x'], /-n is only for TYPE\/NAME/],
    [['lock'], /missing required argument/],
    [['unlock'], /missing required argument/],
    [['locks', '-o', 'wide'], /must be one of table, json, yaml/],
  ];
  for (const [argv, message] of usage) {
    it(`usage error: ${argv.join(' ')}`, () => {
      assert.throws(() => parse(argv), (error: unknown) => error instanceof BlameError && error.exitCode === 2 && message.test(error.message));
    });
  }

  it('unlock and locks', () => {
    assert.deepEqual(parse(['unlock', 'freeze', '--context', 'c']), { command: 'unlock', connection: { context: 'c' }, lockName: 'freeze' });
    assert.deepEqual(parse(['locks', '-o', 'yaml']), { command: 'locks', connection: {}, output: 'yaml' });
  });
});

describe('kubectl blame locks', () => {
  const { locks, creates } = cliFixture<{ locks: JsonObject[]; creates: Change[] }>('locks-with-creates.json');

  it('BY is who created the Lock as logistis recorded it: matched by uid, denied attempts and earlier Locks of the same name left out', () => {
    const creators = lockCreators(creates);
    assert.equal(creators.get('7d1c6a52-0000-4000-8000-000000000001'), 'alice@example.com', 'not mallory, whose attempt was denied');
    assert.equal(creators.get('7d1c6a52-0000-4000-8000-000000000002'), 'system:serviceaccount:ci:deployer', 'not carol, who created an earlier Lock of that name');
    assert.equal(creators.size, 3);
    assertGolden(CLI_GOLDEN, 'locks.txt', `${renderLocksTable(locks, creators).join('\n')}\n`);
  });

  it('BY is ? when the history cannot be read, and there is a line for no Locks', () => {
    const lines = renderLocksTable(locks, null);
    assert.match(lines[1]!, /^freeze-prod\s+ns prod\s+groups ops\s+\?\s+2026-06-12T09:58:00Z/);
    assert.deepEqual(renderLocksTable([], new Map()), ['No Locks.']);
  });
});

describe('a denied attempt in the history table', () => {
  it('is marked with the Lock that denied it', async () => {
    const { renderHistoryTable } = await import('../../../src/format/views.ts');
    const event = {
      id: '7', time: '2026-06-12T10:00:00.000Z', requestUid: 'u', operation: 'UPDATE' as const,
      user: { username: 'bob', uid: '', groups: ['ops'], extra: {} }, group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps',
      subresource: '', namespace: 'prod', name: 'c', objectUid: '', fieldManager: '', patch: [{ op: 'replace' as const, path: '/data/v', value: '2' }],
      object: { data: { v: '2' } }, deniedBy: 'freeze-prod',
    };
    const text = renderHistoryTable([event], { now: Date.parse('2026-06-12T10:01:00Z'), width: 120 }).join('\n');
    assert.match(text, /denied: freeze-prod/);
    const allowed = renderHistoryTable([{ ...event, deniedBy: undefined }], { now: Date.parse('2026-06-12T10:01:00Z'), width: 120 }).join('\n');
    assert.match(allowed, /UPDATE +bob/, 'the allowed change is listed');
    assert.doesNotMatch(allowed, /denied/);
  });
});
