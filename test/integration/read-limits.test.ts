// Heavy reads through the real app over a real SQLite store: a history diff of a large, often-changed object is
// answered in bounded time, lists are answered while it runs, a read past its deadline or left by its client stops
// and frees its reader, and a history larger than a page comes in pages with a continue token.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { BlameAnswer } from '../../src/api/field-blame.ts';
import type { HistoryAnswer } from '../../src/api/history.ts';
import type { JsonObject, NewChangeEvent } from '../../src/event.ts';
import { computePatch } from '../../src/history/patch.ts';
import { HISTORY_PAGE_BYTES } from '../../src/read/answer.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

const NAMESPACE = 'big';
/**
 * An object whose history diff takes seconds even on an idle machine, within every bound: 100 versions of 2,000
 * keys, each changing 240 values (480 lines, just under the diff's bound), all in one page.
 */
async function seedHeavy(t: TestApp): Promise<void> {
  await seed(t, 'heavy', 2000, 100, -1, 240);
}
const HEAVY_URL = `/api/v1/history?namespace=${NAMESPACE}&kind=ConfigMap&name=heavy&format=diff`;

/** A ConfigMap of `keys` keys whose first `changed` values name the version. */
function configMap(name: string, keys: number, version: number, changed = keys): JsonObject {
  const data: Record<string, string> = {};
  for (let k = 0; k < keys; k++) data[`key-${k}`] = `value-${k}-version-${k < changed ? version : 0}`;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NAMESPACE }, data };
}

function event(name: string, object: JsonObject, previous: JsonObject | undefined, i: number): NewChangeEvent {
  return {
    time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), requestUid: `${name}-${i}`, operation: previous ? 'UPDATE' : 'CREATE',
    user: { username: 'loader', uid: '', groups: [], extra: {} }, group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps',
    subresource: '', namespace: NAMESPACE, name, objectUid: `uid-${name}`, fieldManager: '', patch: previous ? computePatch(previous, object) : [], object,
  };
}

/**
 * `versions` versions of a ConfigMap of `keys` keys; each changes `changed` values (default all), but version
 * `oneKeyAt` (if given) changes only key-7.
 */
async function seed(t: TestApp, name: string, keys: number, versions: number, oneKeyAt = -1, changed = keys): Promise<void> {
  let previous: JsonObject | undefined;
  const events: NewChangeEvent[] = [];
  for (let v = 0; v < versions; v++) {
    let object = configMap(name, keys, v, changed);
    if (v === oneKeyAt && previous) object = { ...previous, data: { ...(previous['data'] as object), 'key-7': 'changed alone' } };
    events.push(event(name, object, previous, v));
    previous = object;
  }
  for (let i = 0; i < events.length; i += 10) await t.store.append(events.slice(i, i + 10));
}

/** Starts every reader thread (a thread starts on its first read, in about a second on a busy machine). */
async function startReaders(t: TestApp, threads: number): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const answers = await Promise.all(Array.from({ length: threads }, () => t.app.inject('/api/v1/events?limit=1')));
    if (answers.every((answer) => answer.statusCode === 200)) return;
  }
  throw new Error('the reader threads did not start');
}

const historyUrl = (name: string, query = '') => `/api/v1/history?namespace=${NAMESPACE}&kind=ConfigMap&name=${name}${query}`;

describe('a history diff of 100 versions of a 2,000-key ConfigMap', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await seed(t, 'wide', 2000, 100, 50);
  });
  after(async () => { await t.close(); });

  it('is answered within seconds: too large a change is a marker, a small one its diff', async () => {
    const started = performance.now();
    let text = '';
    let token: string | undefined;
    let pages = 0;
    do {
      const response = await t.app.inject(historyUrl('wide', `&format=diff${token ? `&continue=${token}` : ''}`));
      assert.equal(response.statusCode, 200, response.body);
      token = response.headers['logistis-continue'] as string | undefined;
      text += response.body;
      pages += 1;
    } while (token && pages < 20);
    const seconds = (performance.now() - started) / 1000;
    // Before the bound, each version's diff took over a second (over a minute in all).
    assert.ok(seconds < 20, `took ${seconds.toFixed(1)} s`);
    const markers = text.match(/^# diff too large: more than 500 lines changed: from .*\n# {3}to .*; use format=patch for this change$/gm) ?? [];
    // Every update (versions 1 to 99) but version 50 changes all 2,000 values.
    assert.equal(markers.length, 98);
    // The creation is one diff from nothing; version 50 is a correct diff of its one line.
    assert.match(text, /^--- \(nothing\)\n\+\+\+ 2026-01-01T00:00:00\.000Z CREATE by loader \(event 1\)\n@@ -0,0 \+1,2006 @@\n/m);
    assert.match(text, /\n@@ -(\d+),7 \+\1,7 @@\n {3}key-4: value-4-version-49\n {3}key-5: value-5-version-49\n {3}key-6: value-6-version-49\n- {2}key-7: value-7-version-49\n\+ {2}key-7: changed alone\n {3}key-8: value-8-version-49\n/);
  });

  it('goes on from the version before on each page', async () => {
    const first = await t.app.inject(historyUrl('wide', '&format=diff&limit=30'));
    const token = first.headers['logistis-continue'] as string;
    assert.ok(token);
    assert.match(first.body, new RegExp(`# the history goes on: ask again with continue=${token}\n$`));
    const second = await t.app.inject(historyUrl('wide', `&format=diff&limit=30&continue=${token}`));
    // The first diff of the second page is from version 30 (event 30), not from nothing.
    assert.match(second.body, /^# diff too large: more than 500 lines changed: from 2026-01-01T00:00:29\.000Z UPDATE by loader \(event 30\)\n/);
  });
});

describe('reads beside a heavy read', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await seedHeavy(t);
    await seed(t, 'small', 3, 1);
    await startReaders(t, 2);
  });
  after(async () => { await t.close(); });

  it('a list is answered promptly while a history diff runs', async () => {
    let heavyDone = 0;
    const heavy = t.app.inject(HEAVY_URL).then((response) => { heavyDone = performance.now(); return response; });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const list = await t.app.inject('/api/v1/events?limit=1');
    const listDone = performance.now();
    assert.equal(list.statusCode, 200);
    assert.equal((await heavy).statusCode, 200);
    assert.ok(listDone < heavyDone, 'the list was answered while the history still ran');
    assert.ok(listDone - started < 1000, `the list took ${(listDone - started).toFixed(0)} ms`);
  });
});

describe('a read past its deadline', () => {
  let t: TestApp;
  before(async () => {
    // One reader thread: a read that went on after its deadline would hold up the next.
    t = await createTestApp({ reads: { threads: 1, timeoutMs: 300 } });
    await seedHeavy(t);
    await startReaders(t, 1);
  });
  after(async () => { await t.close(); });

  it('is answered 504 and stopped, and the reader is free afterwards', async () => {
    const started = performance.now();
    const response = await t.app.inject(HEAVY_URL);
    assert.equal(response.statusCode, 504);
    assert.match((response.json<{ error: string }>()).error, /longer than 0\.3s \(--read-timeout\).*since\/until/);
    assert.ok(performance.now() - started < 1500, `answered after ${(performance.now() - started).toFixed(0)} ms`);
    // The whole history diff takes seconds: a read that went on would hold the one thread that long.
    const list = performance.now();
    assert.equal((await t.app.inject('/api/v1/events?limit=1')).statusCode, 200);
    assert.ok(performance.now() - list < 500, `the next read waited ${(performance.now() - list).toFixed(0)} ms`);
  });
});

describe('a read whose client goes', () => {
  let t: TestApp;
  let base: string;
  before(async () => {
    t = await createTestApp({ reads: { threads: 1, timeoutMs: 60_000 } });
    await seedHeavy(t);
    await startReaders(t, 1);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  after(async () => { await t.close(); });

  it('stops, and frees the reader for the next', async () => {
    const gone = httpRequest(`${base}${HEAVY_URL}`);
    gone.on('error', () => undefined);
    gone.end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    gone.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const list = await fetch(`${base}/api/v1/events?limit=1`);
    assert.equal(list.status, 200);
    // The whole history diff takes seconds on the one reader thread.
    assert.ok(performance.now() - started < 500, `the next read waited ${(performance.now() - started).toFixed(0)} ms`);
  });
});

describe('a history larger than a page', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await seed(t, 'huge', 6000, 60);
  });
  after(async () => { await t.close(); });

  it('comes in pages of at most the byte cap, each with a continue token, every event once', async () => {
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    let largest = 0;
    do {
      const response = await t.app.inject(historyUrl('huge', token ? `&continue=${token}` : ''));
      assert.equal(response.statusCode, 200);
      largest = Math.max(largest, response.body.length);
      const page = response.json<HistoryAnswer>();
      assert.equal(response.headers['logistis-continue'], page.continue);
      ids.push(...page.items.map((item) => item.id));
      token = page.continue;
      pages += 1;
    } while (token && pages < 100);
    assert.deepEqual(ids, Array.from({ length: 60 }, (_, i) => String(i + 1)));
    assert.ok(pages > 1, `${pages} pages`);
    // The cap counts event bodies; an answer adds each event's metadata.
    assert.ok(largest < HISTORY_PAGE_BYTES * 1.1, `largest page ${largest} bytes`);
  });

  it('is blamed from its newest events up to the cap, saying from which on', async () => {
    const response = await t.app.inject(`/api/v1/blame?namespace=${NAMESPACE}&kind=ConfigMap&name=huge`);
    assert.equal(response.statusCode, 200);
    const blame = response.json<BlameAnswer>();
    const from = Number(blame.partialFrom);
    // Each version's body holds 6,000 values twice (object and patch): the cap holds some, not all 60.
    assert.ok(from > 1 && from < 60, `partialFrom ${blame.partialFrom}`);
    const key = blame.lines.find((line) => line.text.startsWith('  key-0:'))!;
    assert.equal(key.author?.eventId, '60');
  });

  it('refuses a token it did not issue with 400, naming the parameter', async () => {
    const response = await t.app.inject(historyUrl('huge', '&continue=bm9wZQ'));
    assert.equal(response.statusCode, 400);
    assert.match((response.json<{ error: string }>()).error, /continue/);
  });
});
