// Numbers a double would change (9007199254740993, 1e400, 0.1000000000000000055511151231257827) are kept exactly
// from POST /capture through the store (SQLite and PostgreSQL) and the reader thread to the read API's JSON,
// patches and text.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createTestApp, postReview, type TestApp } from '../support/app.ts';
import { startPostgres, type Postgres } from '../../harness/postgres.ts';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.ts';
import { applyPatch } from '../../src/history/patch.ts';
import { parseJson } from '../../src/exact-json.ts';
import type { ChangeEvent, JsonObject } from '../../src/event.ts';

/** A review of a Widget whose spec is `specText`, JSON text written as is (numbers and all). */
function reviewText(operation: 'CREATE' | 'UPDATE', name: string, specText: string, oldSpecText?: string): string {
  const object = (spec: string) => `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"${name}","namespace":"demo","uid":"uid-${name}"},"spec":${spec}}`;
  return `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"${randomUUID()}",` +
    '"kind":{"group":"example.com","version":"v1","kind":"Widget"},"resource":{"group":"example.com","version":"v1","resource":"widgets"},' +
    `"name":"${name}","namespace":"demo","operation":"${operation}","userInfo":{"username":"alice","groups":["dev"]},` +
    `"object":${object(specText)},"oldObject":${oldSpecText === undefined ? 'null' : object(oldSpecText)}}}`;
}

/** The decimal value a JSON number text stands for, so that `1.50` and `1.5` (and `-0`, `0`) read alike. */
function decimal(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(text);
  assert.ok(match, `not a JSON number: ${text}`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const zeros = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - zeros);
  return `${sign}${digits}e${BigInt(exponent) - BigInt(fraction.length) + BigInt(zeros)}`;
}

/** JSON text read with every number as its decimal value (a string `n:…`) and every string as `s:…`. */
function readValues(text: string): unknown {
  return (JSON.parse as (text: string, reviver: (key: string, value: unknown, context: { source?: string }) => unknown) => unknown)(
    text, (_key, value, context) => (typeof value === 'number' ? `n:${decimal(context.source!)}` : typeof value === 'string' ? `s:${value}` : value));
}

const numberText = fc.oneof(
  fc.constantFrom('9007199254740993', '-9007199254740993', '1e400', '123456789012345678901234567890', '0.1000000000000000055511151231257827', '-1e-400'),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.stringMatching(/^\d{1,40}$/)).map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}.${fraction}`),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^\d{0,20}$/), fc.integer({ min: -400, max: 400 }))
    .map(([first, rest, exponent]) => `${first}${rest ? `.${rest}` : ''}e${exponent}`),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
  fc.integer().map(String),
);
const keyText = fc.constantFrom('a', 'b', 'count', 'ratio', 'list', '__proto__', 'rawJSON', 'x-y', 'é');
const { value: jsonText } = fc.letrec<{ value: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    numberText, numberText, fc.constantFrom('true', 'false', 'null'), fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
    tie('object'), fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`)),
  object: fc.uniqueArray(fc.tuple(keyText, tie('value')), { selector: ([key]) => key, maxLength: 5 })
    .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`),
}));
const specText = jsonText.chain(() => fc.uniqueArray(fc.tuple(keyText, jsonText), { selector: ([key]) => key, minLength: 1, maxLength: 5 })
  .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`));

for (const storeName of ['SQLite', 'PostgreSQL'] as const) describe(`exact numbers through capture, the ${storeName} store and the read API`, () => {
  let t: TestApp;
  let postgres: Postgres | undefined;
  before(async () => {
    if (storeName === 'SQLite') {
      t = await createTestApp();
      return;
    }
    postgres = await startPostgres();
    const store = await PostgresEventStore.open({ url: await postgres.createDatabase('exact_numbers'), poolSize: 4 }, { maxEventsPerObject: 100, maxAgeMs: 30 * 86_400_000 });
    t = await createTestApp({ store });
  });
  after(async () => {
    await t?.close();
    await postgres?.destroy();
  });

  const history = async (name: string): Promise<{ text: string; items: ChangeEvent[] }> => {
    const response = await t.app.inject(`/api/v1/history?namespace=demo&group=example.com&kind=Widget&name=${name}`);
    assert.equal(response.statusCode, 200, response.body);
    return { text: response.body, items: (parseJson(response.body) as { items: ChangeEvent[] }).items };
  };

  it('keeps 9007199254740993, 1e400 and friends in the events, patch, YAML and diff the API answers', async () => {
    const created = '{"count":9007199254740993,"list":[-9007199254740993,1e400,123456789012345678901234567890],"ratio":0.1000000000000000055511151231257827,"plain":[1,1.5,0.1]}';
    const updated = '{"count":9007199254740995,"list":[-9007199254740993,1e400,123456789012345678901234567890],"ratio":0.1000000000000000055511151231257827,"plain":[1,1.5,0.1]}';
    assert.equal((await postReview(t.app, reviewText('CREATE', 'exact', created))).statusCode, 200);
    assert.equal((await postReview(t.app, reviewText('UPDATE', 'exact', updated, created))).statusCode, 200);
    const { text, items } = await history('exact');
    assert.ok(text.includes(`"spec":${created}`), text);
    assert.ok(text.includes(`"spec":${updated}`), text);
    assert.ok(text.includes('"patch":[{"op":"replace","path":"/spec/count","value":9007199254740995}]'), text);
    assert.equal(JSON.stringify(applyPatch(items[0]!.object, items[1]!.patch)), JSON.stringify(items[1]!.object));
    const yaml = (await t.app.inject('/api/v1/history?namespace=demo&group=example.com&kind=Widget&name=exact&format=yaml')).body;
    assert.match(yaml, /^ {2}count: 9007199254740995$/m);
    assert.match(yaml, /^ {2}- 123456789012345678901234567890$/m);
    assert.match(yaml, /^ {2}ratio: 0\.1000000000000000055511151231257827$/m);
    const diff = (await t.app.inject('/api/v1/history?namespace=demo&group=example.com&kind=Widget&name=exact&format=diff')).body;
    assert.match(diff, /^- {2}count: 9007199254740993$/m);
    assert.match(diff, /^\+ {2}count: 9007199254740995$/m);
    const blame = (await t.app.inject('/api/v1/blame?namespace=demo&group=example.com&kind=Widget&name=exact')).json<{ lines: { text: string }[] }>();
    assert.ok(blame.lines.some((line) => line.text === '  count: 9007199254740995'), JSON.stringify(blame.lines));
  });

  it('round-trips random JSON with big, long and tiny numbers exactly (property)', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(specText, specText, async (first, second) => {
      const name = `p${run++}`;
      assert.equal((await postReview(t.app, reviewText('CREATE', name, first))).statusCode, 200);
      assert.equal((await postReview(t.app, reviewText('UPDATE', name, second, first))).statusCode, 200);
      const { text, items } = await history(name);
      const sent = [first, second].map(readValues);
      const stored = (readValues(text) as { items: { object: JsonObject }[] }).items.map((event) => event.object['s:spec'] ?? event.object['spec']);
      assert.deepEqual(stored[0], sent[0]);
      if (items.length === 1) {
        // An UPDATE that changes nothing is not recorded: then the two specs are the same values.
        assert.deepEqual(sent[1], sent[0]);
      } else {
        assert.deepEqual(stored[1], sent[1]);
        // The patch replays exactly (new keys come last: key order is not what is compared).
        assert.deepEqual(readValues(JSON.stringify(applyPatch(items[0]!.object, items[1]!.patch))), readValues(JSON.stringify(items[1]!.object)));
      }
    }), { numRuns: 100 });
  });
});
