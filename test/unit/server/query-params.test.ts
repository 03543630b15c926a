import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HttpError } from '../../../src/api/errors.ts';
import {
  parseBlameQuery, parseChangeQuery, parseChangesQuery, parseEventsQuery, parseHistoryQuery, parseOverviewQuery,
} from '../../../src/server/query-params.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');

function rejects(parse: () => unknown, status: number, message: RegExp): void {
  assert.throws(parse, (error: unknown) => error instanceof HttpError && error.statusCode === status && message.test(error.message));
}

describe('read queries', () => {
  it('parse into the requests the handlers take', () => {
    assert.deepEqual(parseEventsQuery({ namespace: 'demo', operation: 'create', since: '1h', limit: '5', cursor: 'abc', order: 'asc' }, NOW), {
      kind: 'events',
      list: {
        filter: { namespace: 'demo', group: undefined, kind: undefined, name: undefined, user: undefined, userGroup: undefined, operation: 'CREATE', sinceMs: NOW - 3_600_000, untilMs: undefined },
        limit: 5, order: 'asc', continue: 'abc',
      },
    });
    assert.deepEqual(parseBlameQuery({ kind: 'Deployment', name: 'web' }, NOW), { kind: 'blame', object: { namespace: '', kind: 'Deployment', name: 'web' } });
    assert.equal(parseHistoryQuery({ kind: 'Secret', name: 'db', group: '', format: 'diff' }, NOW).format, 'diff');
    assert.deepEqual(parseOverviewQuery({}, NOW, true), { kind: 'overview', sinceMs: NOW - 86_400_000, topUsers: 3, resource: true });
    assert.deepEqual(parseChangeQuery({}, NOW, '12', 'demo', false), { kind: 'change', id: '12', table: false, now: NOW, namespace: 'demo' });
  });

  it('reads kubectl field selectors into filters', () => {
    const read = parseChangesQuery({ fieldSelector: 'target.kind=Deployment,user.username==alice,operation=update', resourceVersion: '0' }, NOW, 'demo', true);
    assert.equal(read.list.filter.kind, 'Deployment');
    assert.equal(read.list.filter.user, 'alice');
    assert.equal(read.list.filter.operation, 'UPDATE');
    assert.equal(read.list.filter.namespace, 'demo');
    assert.equal(read.list.limit, 500);
    assert.equal(read.table, 'Metadata');
  });

  it('rejects times beyond what a date can hold with 400, naming the parameter', () => {
    rejects(() => parseOverviewQuery({ since: '300000000d' }, NOW, false), 400, /^since: "300000000d" is out of range/);
    rejects(() => parseEventsQuery({ until: '99999999999w' }, NOW), 400, /^until: .* out of range/);
    rejects(() => parseHistoryQuery({ kind: 'Pod', name: 'p', since: '1e400s' }, NOW), 400, /^since:/);
  });

  it('rejects unknown field selectors, those named like Object.prototype members included', () => {
    for (const selector of ['metadata.name=x', '__proto__=x', 'constructor=x', 'toString=x', 'hasOwnProperty=x', 'target.kind!=Pod', ',', 'operation=PATCH']) {
      rejects(() => parseChangesQuery({ fieldSelector: selector }, NOW, undefined, false), 400, /^fieldSelector: /);
    }
  });

  it('rejects repeated, unknown and out-of-range parameters', () => {
    rejects(() => parseEventsQuery({ limit: ['1', '2'] }, NOW), 400, /^limit: give it once, not 2 times/);
    rejects(() => parseEventsQuery({ limt: '1' }, NOW), 400, /^limt: unknown parameter/);
    rejects(() => parseEventsQuery({ limit: '1001' }, NOW), 400, /^limit: must be a whole number from 1 to 1000/);
    rejects(() => parseChangesQuery({ watch: 'true' }, NOW, undefined, false), 405, /^watch:/);
    rejects(() => parseChangesQuery({ labelSelector: 'a=b' }, NOW, undefined, false), 400, /^labelSelector:/);
    rejects(() => parseChangeQuery({ x: '1' }, NOW, '1', undefined, false), 400, /^x: unknown parameter/);
  });
});

describe('read queries under fuzzing', () => {
  const names = ['namespace', 'group', 'kind', 'name', 'user', 'userGroup', 'operation', 'since', 'until', 'limit', 'cursor', 'order',
    'format', 'topUsers', 'fieldSelector', 'labelSelector', 'continue', 'clusterScoped', 'includeObject', 'watch', '__proto__', 'constructor'];
  const value = fc.oneof(
    fc.string(),
    fc.constantFrom('1h', '300000000d', '2026-01-02T15:04:05Z', '0', '1000', 'create', 'target.kind=Pod', '__proto__=x', 'true', 'Object'),
    fc.integer({ min: -1e12, max: 1e12 }).map(String),
    fc.array(fc.string(), { minLength: 2, maxLength: 3 }),
  );
  const query = fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string()), value, { maxKeys: 6 });
  const parsers = [
    (q: unknown) => parseEventsQuery(q, NOW),
    (q: unknown) => parseBlameQuery(q, NOW),
    (q: unknown) => parseHistoryQuery(q, NOW),
    (q: unknown) => parseOverviewQuery(q, NOW, true),
    (q: unknown) => parseChangesQuery(q, NOW, undefined, true),
    (q: unknown) => parseChangeQuery(q, NOW, '1', 'demo', false),
  ];

  it('answers every query with a request whose times are real dates, or a 4xx that names a parameter', () => {
    fc.assert(fc.property(query, fc.integer({ min: 0, max: parsers.length - 1 }), (q, which) => {
      try {
        const read = parsers[which]!(q) as { list?: { filter: { sinceMs?: number; untilMs?: number } }; sinceMs?: number; untilMs?: number };
        for (const time of [read.sinceMs, read.untilMs, read.list?.filter.sinceMs, read.list?.filter.untilMs]) {
          if (time !== undefined) assert.doesNotThrow(() => new Date(time).toISOString());
        }
      } catch (error) {
        assert.ok(error instanceof HttpError, `not an HttpError: ${String(error)}`);
        assert.ok(error.statusCode === 400 || error.statusCode === 405);
        assert.match(error.message, /: ./s, 'the message names the parameter, then what was wrong');
      }
    }), { numRuns: 2000 });
  });
});
