// What the server makes of a watched Lock object: a Lock, or the reason it is ignored (shown in its status).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLock } from '../../../src/locks/lock.ts';
import { statusUpdate } from '../../../src/locks/status.ts';

const NOW = Date.parse('2026-06-12T12:00:00Z');

function object(spec: unknown, status?: unknown) {
  return { apiVersion: 'logistis.io/v1alpha1', kind: 'Lock', metadata: { name: 'freeze', generation: 3 }, spec, ...(status ? { status } : {}) };
}

describe('parseLock', () => {
  it('reads a full Lock, with defaults for what is left out', () => {
    const parsed = parseLock(object({
      target: { namespaces: ['prod'], selector: { matchLabels: { tier: 'db' } } },
      subjects: { groups: ['ops'], serviceAccounts: [{ namespace: 'ci' }] },
      except: { groups: ['break-glass'] },
      expires: '2026-06-12T18:00:00Z',
      reason: ' release freeze ',
    }));
    assert.deepEqual(parsed, {
      ok: true,
      lock: {
        name: 'freeze', generation: 3,
        target: { namespaces: ['prod'], resources: [], names: [], selector: { requirements: [{ key: 'tier', operator: 'In', values: ['db'] }] }, operations: ['CREATE', 'UPDATE', 'DELETE'] },
        subjects: { users: [], groups: ['ops'], serviceAccounts: [{ namespace: 'ci', name: '' }] },
        except: { users: [], groups: ['break-glass'] },
        expiresAt: Date.parse('2026-06-12T18:00:00Z'),
        reason: 'release freeze',
      },
    });
  });

  const problems: [string, unknown, RegExp][] = [
    ['no spec', undefined, /spec is missing/],
    ['nobody to lock', { subjects: {}, reason: 'x' }, /names nobody/],
    ['no reason', { subjects: { users: ['bob'] } }, /spec\.reason is missing/],
    ['a bad operation', { subjects: { users: ['bob'] }, reason: 'x', target: { operations: ['PATCH'] } }, /"PATCH" is not one of CREATE, UPDATE, DELETE/],
    ['a bad expiry', { subjects: { users: ['bob'] }, reason: 'x', expires: 'tomorrow' }, /not an RFC 3339 time/],
    ['In without values', { subjects: { users: ['bob'] }, reason: 'x', target: { selector: { matchExpressions: [{ key: 'tier', operator: 'In' }] } } }, /matchExpressions\[0\]: operator In needs at least one value/],
    ['Exists with values', { subjects: { users: ['bob'] }, reason: 'x', target: { selector: { matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['a'] }] } } }, /takes no values/],
    ['a bad label key', { subjects: { users: ['bob'] }, reason: 'x', target: { selector: { matchLabels: { 'no spaces': 'a' } } } }, /not a valid label key/],
    ['a bad label value', { subjects: { users: ['bob'] }, reason: 'x', target: { selector: { matchLabels: { tier: 'a b' } } } }, /not a valid label value/],
    ['users not a list', { subjects: { users: 'bob' }, reason: 'x' }, /spec\.subjects\.users must be a list/],
  ];
  for (const [name, spec, problem] of problems) {
    it(`ignores a Lock with ${name}, saying why`, () => {
      const parsed = parseLock(object(spec));
      assert.equal(parsed.ok, false);
      if (!parsed.ok) {
        assert.match(parsed.problem, problem);
        assert.equal(parsed.name, 'freeze');
        assert.equal(parsed.generation, 3);
      }
    });
  }

  it('never throws, whatever it is given', () => {
    for (const value of [null, 42, 'lock', [], { metadata: null }, { metadata: { name: 'x' }, spec: [] }]) {
      assert.equal(parseLock(value).ok, false);
    }
  });
});

describe('Lock status', () => {
  const valid = { subjects: { users: ['bob'] }, reason: 'x' };

  it('Active for a valid Lock, Expired after its expiry, Ignored with the problem', () => {
    assert.equal(statusUpdate(parseLock(object(valid)), undefined, NOW)?.phase, 'Active');
    assert.deepEqual(
      statusUpdate(parseLock(object({ ...valid, expires: '2026-06-12T11:00:00Z' })), undefined, NOW),
      { phase: 'Expired', message: 'expired at 2026-06-12T11:00:00.000Z', observedGeneration: 3, lastTransitionTime: '2026-06-12T12:00:00Z' },
    );
    const ignored = statusUpdate(parseLock(object({ subjects: { users: ['bob'] } })), undefined, NOW);
    assert.equal(ignored?.phase, 'Ignored');
    assert.match(ignored.message, /^ignored by logistis: spec\.reason is missing/);
  });

  it('is not rewritten when it already says the same for this generation', () => {
    const current = { phase: 'Active', message: 'enforced by logistis', observedGeneration: 3, lastTransitionTime: '2026-06-01T00:00:00Z' };
    assert.equal(statusUpdate(parseLock(object(valid)), current, NOW), null);
    const newer = statusUpdate(parseLock({ ...object(valid), metadata: { name: 'freeze', generation: 4 } }), current, NOW);
    assert.deepEqual(newer, { ...current, observedGeneration: 4 }, 'same phase: the transition time stays');
  });
});
