// Token and access reviews cached briefly (lru-cache), so a burst of reads costs one TokenReview and one
// SubjectAccessReview: an answer is kept 10 s, a refusal 2 s, so a token or a grant just made works soon.
import { createHash } from 'node:crypto';
import { LRUCache, type Perf } from 'lru-cache';
import type { AccessAttributes, AccessDecision, AccessReviewer, RequestUser, TokenReviewer } from './types.ts';

export const REVIEW_CACHE_TTL_MS = 10_000;
export const REFUSAL_CACHE_TTL_MS = 2_000;
const MAX_CACHED_REVIEWS = 10_000;

/** lru-cache holds no null: a rejected token is kept as `{ user: null }`. */
interface TokenAnswer { user: RequestUser | null }

/**
 * The reviewer's answers, by a hash of the token (the token itself is never kept). Concurrent reviews of one
 * token share one call; a failed call is not cached. `perf` is the clock, for tests.
 */
export function cachedTokenReviewer(reviewer: TokenReviewer, perf?: Perf): TokenReviewer {
  const cache = new LRUCache<string, TokenAnswer, string>({
    max: MAX_CACHED_REVIEWS,
    ttl: REVIEW_CACHE_TTL_MS,
    ...(perf ? { perf, ttlResolution: 0 } : {}),
    fetchMethod: async (_key, _stale, { options, context: token }) => {
      const user = await reviewer.review(token);
      if (!user) options.ttl = REFUSAL_CACHE_TTL_MS;
      return { user };
    },
  });
  return {
    async review(token) {
      const key = createHash('sha256').update(token).digest('hex');
      const answer = await cache.fetch(key, { context: token });
      return answer?.user ?? null;
    },
  };
}

/** The reviewer's decisions, by user and attributes; a denial is kept for less time than an allowance. */
export function cachedAccessReviewer(reviewer: AccessReviewer, perf?: Perf): AccessReviewer {
  const cache = new LRUCache<string, AccessDecision, { user: RequestUser; attributes: AccessAttributes }>({
    max: MAX_CACHED_REVIEWS,
    ttl: REVIEW_CACHE_TTL_MS,
    ...(perf ? { perf, ttlResolution: 0 } : {}),
    fetchMethod: async (_key, _stale, { options, context }) => {
      const decision = await reviewer.review(context.user, context.attributes);
      if (!decision.allowed) options.ttl = REFUSAL_CACHE_TTL_MS;
      return decision;
    },
  });
  return {
    async review(user, attributes) {
      const key = JSON.stringify([user.username, user.uid, user.groups, user.extra, attributes]);
      const decision = await cache.fetch(key, { context: { user, attributes } });
      // fetch answers undefined only when fetchMethod does, which it never does.
      return decision ?? { allowed: false, reason: 'no access review answer' };
    },
  };
}
