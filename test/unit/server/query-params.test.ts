// Read queries: the pure step from a validated query to a ReadRequest, and the route schemas as the real app
// applies them (Fastify's validation, the one error formatter) through inject.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { HttpError } from '../../../src/api/errors.ts';
import { blameRequest, changeRequest, changesRequest, eventsRequest, historyRequest, overviewRequest } from '../../../src/server/query-params.ts';
import { createTestApp, type TestApp } from '../../support/app.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const CHANGES = '/apis/audit.logistis.io/v1alpha1/changes';

function rejects(parse: () => unknown, status: number, message: RegExp): void {
  assert.throws(parse, (error: unknown) => error instanceof HttpError && error.statusCode === status && message.test(error.message));
}

describe('read queries', () => {
  it('become the requests the handlers take', () => {
    assert.deepEqual(eventsRequest({ namespace: 'demo', operation: 'create', since: '1h', limit: 5, cursor: 'abc', order: 'asc' }, NOW), {
      kind: 'events',
      list: {
        filter: { namespace: 'demo', group: undefined, kind: undefined, name: undefined, user: undefined, userGroup: undefined, operation: 'CREATE', sinceMs: NOW - 3_600_000, untilMs: undefined },
        limit: 5, order: 'asc', continue: 'abc',
      },
    });
    assert.deepEqual(eventsRequest({}, NOW).list.limit, 100);
    assert.deepEqual(blameRequest({ kind: 'Deployment', name: 'web' }), { kind: 'blame', object: { namespace: '', kind: 'Deployment', name: 'web' } });
    assert.equal(historyRequest({ kind: 'Secret', name: 'db', group: '', format: 'diff' }, NOW).format, 'diff');
    assert.deepEqual(overviewRequest({}, NOW, true), { kind: 'overview', sinceMs: NOW - 86_400_000, topUsers: 3, resource: true });
    assert.deepEqual(changeRequest('12', 'demo', false, NOW), { kind: 'change', id: '12', table: false, now: NOW, namespace: 'demo' });
  });

  it('read kubectl field selectors into filters', () => {
    const read = changesRequest({ fieldSelector: 'target.kind=Deployment,user.username==alice,operation=update', resourceVersion: '0' }, NOW, 'demo', true);
    assert.equal(read.list.filter.kind, 'Deployment');
    assert.equal(read.list.filter.user, 'alice');
    assert.equal(read.list.filter.operation, 'UPDATE');
    assert.equal(read.list.filter.namespace, 'demo');
    assert.equal(read.list.limit, 500);
    assert.equal(read.table, 'Metadata');
    assert.equal(changesRequest({ clusterScoped: 'true', limit: 0 }, NOW, undefined, false).list.filter.namespace, '');
  });

  it('refuse times beyond what a date can hold with 400, naming the parameter', () => {
    rejects(() => overviewRequest({ since: '300000000d' }, NOW, false), 400, /^since: "300000000d" is out of range/);
    rejects(() => eventsRequest({ until: '99999999999w' }, NOW), 400, /^until: .* out of range/);
    rejects(() => historyRequest({ kind: 'Pod', name: 'p', since: '1e400s' }, NOW), 400, /^since:/);
    rejects(() => eventsRequest({ since: '1h', until: '2h' }, NOW), 400, /^since: must be before until/);
  });

  it('refuse unknown field selectors, those named like Object.prototype members included', () => {
    for (const selector of ['metadata.name=x', '__proto__=x', 'constructor=x', 'toString=x', 'hasOwnProperty=x', 'target.kind!=Pod', ',', 'operation=PATCH']) {
      rejects(() => changesRequest({ fieldSelector: selector }, NOW, undefined, false), 400, /^fieldSelector: /);
    }
    rejects(() => changesRequest({ watch: 'true' }, NOW, undefined, false), 405, /^watch:/);
    rejects(() => changesRequest({ labelSelector: 'a=b' }, NOW, undefined, false), 400, /^labelSelector:/);
  });
});

describe('route schemas, as the app applies them', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  async function refusal(url: string): Promise<{ status: number; message: string }> {
    const response = await t.app.inject(url);
    const body = response.json<{ error?: string; message?: string }>();
    return { status: response.statusCode, message: body.error ?? body.message ?? '' };
  }

  it('refuse repeated, unknown, missing, out-of-range and unlisted values, naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['/api/v1/events?limit=1&limit=2', /^limit: give it once, not 2 times$/],
      ['/api/v1/events?namespace=a&namespace=b&namespace=c', /^namespace: give it once, not 3 times$/],
      ['/api/v1/events?limt=1', /^limt: unknown parameter; known: namespace, group, kind, name, user, userGroup, operation, since, until, limit, cursor, order$/],
      ['/api/v1/events?limit=1001', /^limit: must be a whole number from 1 to 1000, got "1001"$/],
      ['/api/v1/events?limit=ten', /^limit: must be a whole number from 1 to 1000, got "ten"$/],
      ['/api/v1/events?limit=1.5', /^limit: must be a whole number from 1 to 1000, got "1.5"$/],
      ['/api/v1/events?order=up', /^order: must be one of desc, asc, got "up"$/],
      ['/api/v1/history?kind=Deployment', /^name: required$/],
      ['/api/v1/blame?kind=Deployment&name=', /^name: must not be empty$/],
      ['/api/v1/history?kind=Deployment&name=web&format=xml', /^format: must be one of json, patch, diff, yaml, got "xml"$/],
      ['/api/v1/overview?topUsers=21', /^topUsers: must be a whole number from 1 to 20, got "21"$/],
      [`${CHANGES}/12?x=1`, /^x: unknown parameter; this endpoint takes none$/],
      [`${CHANGES}?includeObject=All`, /^includeObject: must be one of None, Metadata, Object, got "All"$/],
      [`${CHANGES}?__proto__=x`, /^__proto__: unknown parameter/],
      ['/api/v1/events/live?nmespace=demo', /^nmespace: unknown parameter/],
      ['/api/v1/events/live?operation=PATCH', /^operation: must be/],
      ['/api/v1/activity?by=kind', /^by: must be one of namespace, user/],
      ['/api/v1/activity?buckets=500', /^buckets: must be a whole number from 1 to 200/],
      ['/api/v1/activity?since=1h&until=2h', /^since: must be before until/],
    ];
    for (const [url, message] of cases) {
      const answer = await refusal(url);
      assert.equal(answer.status, 400, url);
      assert.match(answer.message, message, url);
    }
  });

  it('answer kubectl\'s own list parameters, and refuse a watch with 405', async () => {
    const list = await t.app.inject(`${CHANGES}?resourceVersion=0&timeoutSeconds=30&pretty=true&limit=0`);
    assert.equal(list.statusCode, 200, list.body);
    assert.equal((await refusal(`${CHANGES}?watch=true`)).status, 405);
  });

  const names = ['namespace', 'group', 'kind', 'name', 'user', 'userGroup', 'operation', 'since', 'until', 'limit', 'cursor', 'order',
    'format', 'topUsers', 'fieldSelector', 'labelSelector', 'continue', 'clusterScoped', 'includeObject', 'watch', '__proto__', 'constructor'];
  const value = fc.oneof(
    fc.string(),
    fc.constantFrom('1h', '300000000d', '2026-01-02T15:04:05Z', '0', '1000', 'create', 'target.kind=Pod', '__proto__=x', 'true', 'Object', 'Deployment'),
    fc.integer({ min: -1e12, max: 1e12 }).map(String),
    fc.array(fc.string(), { minLength: 2, maxLength: 3 }),
  );
  const query = fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ minLength: 1 })), value, { maxKeys: 6 });
  const urls = ['/api/v1/events', '/api/v1/blame', '/api/v1/history', '/api/v1/overview', CHANGES, '/apis/audit.logistis.io/v1alpha1/namespaces/demo/changes/1',
    '/apis/audit.logistis.io/v1alpha1/overview'];

  it('answer every query, or refuse it with a 4xx whose message names a parameter (never a 500)', async () => {
    await fc.assert(fc.asyncProperty(query, fc.constantFrom(...urls), async (q, url) => {
      const response = await t.app.inject({ url, query: q });
      // 404: the change or the object asked for is not recorded; a right answer to a valid query.
      if (response.statusCode < 400 || response.statusCode === 404) return;
      assert.ok([400, 405].includes(response.statusCode), `${url} ${JSON.stringify(q)}: ${response.statusCode} ${response.body}`);
      const body = response.json<{ error?: string; message?: string }>();
      assert.match(body.error ?? body.message ?? '', /: ./s, 'the message names the parameter, then what was wrong');
    }), { numRuns: 600 });
  });
});
