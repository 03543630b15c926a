// The review caches: how long an answer and a refusal are kept, by what key, and that a failed review is not kept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cachedAccessReviewer, cachedTokenReviewer } from '../../../../src/server/auth/cached-reviewers.ts';
import type { AccessAttributes, AccessDecision, RequestUser } from '../../../../src/server/auth/types.ts';

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000;
  return { now: () => time, advance: (ms) => { time += ms; } };
}

const alice: RequestUser = { username: 'alice', uid: 'u1', groups: ['dev'], extra: {} };
const listChanges: AccessAttributes = { verb: 'list', namespace: 'shop' };

/** A token reviewer that knows one token and counts its calls. */
function countingTokens(): { review: (token: string) => Promise<RequestUser | null>; calls: string[] } {
  const calls: string[] = [];
  return { calls, review: async (token) => { calls.push(token); return token === 'good' ? alice : null; } };
}

describe('cached token reviews', () => {
  it('keeps an accepted token 10 s', async () => {
    const clock = manualClock();
    const inner = countingTokens();
    const tokens = cachedTokenReviewer(inner, clock);
    assert.deepEqual(await tokens.review('good'), alice);
    clock.advance(9_900);
    assert.deepEqual(await tokens.review('good'), alice);
    assert.equal(inner.calls.length, 1);
    clock.advance(200);
    assert.deepEqual(await tokens.review('good'), alice);
    assert.equal(inner.calls.length, 2, 'asked again after 10 s');
  });

  it('keeps a rejected token only 2 s', async () => {
    const clock = manualClock();
    const inner = countingTokens();
    const tokens = cachedTokenReviewer(inner, clock);
    assert.equal(await tokens.review('bad'), null);
    clock.advance(1_900);
    assert.equal(await tokens.review('bad'), null);
    assert.equal(inner.calls.length, 1, 'the refusal is cached');
    clock.advance(200);
    assert.equal(await tokens.review('bad'), null);
    assert.equal(inner.calls.length, 2, 'asked again after 2 s');
  });

  it('asks once for a burst of reviews of one token, and apart for another token', async () => {
    const inner = countingTokens();
    const tokens = cachedTokenReviewer(inner);
    const answers = await Promise.all([tokens.review('good'), tokens.review('good'), tokens.review('bad')]);
    assert.deepEqual(answers, [alice, alice, null]);
    assert.deepEqual(inner.calls.sort(), ['bad', 'good']);
  });

  it('keeps no failed review', async () => {
    let calls = 0;
    const tokens = cachedTokenReviewer({ review: async () => { calls += 1; if (calls === 1) throw new Error('API server down'); return alice; } });
    await assert.rejects(tokens.review('good'), /API server down/);
    assert.deepEqual(await tokens.review('good'), alice);
    assert.equal(calls, 2);
  });
});

describe('cached access reviews', () => {
  function countingAccess(allowed: boolean): { review: (user: RequestUser, attributes: AccessAttributes) => Promise<AccessDecision>; calls: number } {
    const counter = { calls: 0, review: async () => { counter.calls += 1; return { allowed, reason: allowed ? '' : 'no RBAC' }; } };
    return counter;
  }

  it('keeps an allowance 10 s and a denial 2 s', async () => {
    for (const [allowed, ttl] of [[true, 10_000], [false, 2_000]] as const) {
      const clock = manualClock();
      const inner = countingAccess(allowed);
      const access = cachedAccessReviewer(inner, clock);
      assert.equal((await access.review(alice, listChanges)).allowed, allowed);
      clock.advance(ttl - 100);
      assert.equal((await access.review(alice, listChanges)).allowed, allowed);
      assert.equal(inner.calls, 1, `cached below ${ttl} ms`);
      clock.advance(200);
      await access.review(alice, listChanges);
      assert.equal(inner.calls, 2, `asked again after ${ttl} ms`);
    }
  });

  it('asks again for another user, group or request', async () => {
    const inner = countingAccess(true);
    const access = cachedAccessReviewer(inner);
    await access.review(alice, listChanges);
    await access.review({ ...alice, groups: ['ops'] }, listChanges);
    await access.review({ ...alice, username: 'bob' }, listChanges);
    await access.review(alice, { ...listChanges, namespace: 'web' });
    await access.review(alice, listChanges);
    assert.equal(inner.calls, 4);
  });
});
