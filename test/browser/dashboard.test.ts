/// <reference lib="dom" />
// The dashboard in Debian's Chromium (playwright-core) against the real `logistis serve`, seeded by posting real
// AdmissionReviews to its capture endpoint: each page shows the recorded history, filters change the list, a
// live change appears without a reload, diff and blame name the right people, axe finds no serious violation,
// and with --auth kubernetes a missing token gets the explained 401. Screenshots go to test-artifacts/browser/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import { startServer, type ServerProcess } from '../../harness/server-process.ts';
import { testCertificate, type TestCertificate } from '../../harness/tls.ts';
import { ARTIFACTS, SHOWN, launchChromium as launch, screenshot, seriousViolations } from '../support/browser.ts';
import { parse as parseYaml } from 'yaml';
import { parseArguments } from '../../src/cli/blame/options.ts';
import { runBlame } from '../../src/cli/blame/run.ts';
import { TestCluster } from '../unit/cli/cluster.ts';
import { DEFAULT_PRESETS } from '../../src/rules/presets.ts';

/**
 * kubectl blame's output for `argv`, against the same running server the dashboard reads: the API server's part
 * (discovery) is recorded, every changes-API request goes to the server, as the aggregation layer would send it.
 */
async function kubectlBlame(server: ServerProcess, argv: string[]): Promise<string> {
  const cluster = new TestCluster({}, async (path, query) => {
    const answer = await server.request('GET', `${path}?${new URLSearchParams(query).toString()}`);
    return { status: answer.status, body: JSON.parse(answer.body) as unknown };
  });
  const out: string[] = [];
  const now = Date.now();
  const request = parseArguments(argv, { env: {}, now, writeOut: (text) => out.push(text) });
  assert.ok(request);
  await runBlame(request, { session: cluster.session('demo'), now, colour: false, width: 200, output: { out: (line) => out.push(line), note: () => undefined } });
  return out.join('\n');
}

// In the order a team would have made them: alice creates web, bob scales it, alice labels it and changes the
// image; a config map, secrets, a pod and a custom resource around it.
const SEED = ['crd-create', 'deployment-create', 'configmap-create', 'deployment-scale', 'deployment-patch-label', 'secret-apply-create',
  'secret-update', 'configmap-create-v1beta1', 'pod-create', 'custom-resource-create', 'secret-create-generic', 'deployment-apply-image'];

async function shoot(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
}

describe('the dashboard at /ui/ (auth none)', () => {
  let dir: string;
  let tls: TestCertificate;
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  const ids = new Map<string, string>();

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'logistis-browser-'));
    tls = await testCertificate(join(dir));
    server = await startServer(['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--store', `sqlite:${join(dir, 'events.db')}`, '--auth', 'none',
      '--capture-presets', ['exec', ...DEFAULT_PRESETS].join(',')], { caFile: tls.caFile });
    for (const name of SEED) {
      const response = await server.request('POST', '/capture', withFreshUid(loadFixture(name)));
      assert.equal(response.status, 200, `${name}: ${response.body}`);
    }
    const events = JSON.parse((await server.request('GET', '/api/v1/events?limit=100')).body) as { items: { id: string; kind: string; name: string; user: { username: string }; operation: string }[] };
    for (const event of events.items) ids.set(`${event.operation} ${event.kind} ${event.name} ${event.user.username}`, event.id);
    browser = await launch();
    context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true, viewport: { width: 1280, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (path: string) => `https://127.0.0.1:${server.port}${path}`;

  it('overview: changes over time, most changed objects, most active users, the open-server banner', async () => {
    const page = await context.newPage();
    await page.goto(url('/ui/'));
    await page.getByRole('heading', { name: 'Overview' }).waitFor({ timeout: SHOWN });
    await page.getByText(/runs with --auth none/).waitFor({ timeout: SHOWN });
    await page.getByRole('heading', { name: /Changes over time, by namespace/ }).waitFor({ timeout: SHOWN });
    const objects = page.locator('section', { has: page.getByRole('heading', { name: 'Most changed objects' }) });
    await assert.doesNotReject(objects.getByRole('link', { name: 'Deployment.apps demo/web' }).waitFor({ timeout: SHOWN }));
    const webRow = objects.getByRole('row', { name: /Deployment\.apps demo\/web/ });
    assert.match(await webRow.innerText(), /\b4\b/, 'web was changed four times');
    const users = page.locator('section', { has: page.getByRole('heading', { name: 'Most active users' }) });
    assert.deepEqual(await users.locator('table').first().locator('tbody td:first-child').allInnerTexts(), ['alice', 'bob', 'admin']);
    assert.ok(await page.locator('.chart svg .recharts-bar-rectangle').count() > 0, 'the chart has bars');
    assert.deepEqual(await seriousViolations(page), []);
    await shoot(page, 'overview');

    // Stacking by user is a deep link of its own.
    await page.getByLabel('Stack by').selectOption('user');
    await page.waitForURL(/by=user/);
    await page.getByRole('heading', { name: /Changes over time, by user/ }).waitFor({ timeout: SHOWN });
    await page.locator('.recharts-legend-item-text', { hasText: 'alice' }).waitFor({ timeout: SHOWN });
    const link = page.url();
    const second = await context.newPage();
    await second.goto(link);
    await second.getByRole('heading', { name: /Changes over time, by user/ }).waitFor({ timeout: SHOWN });
    assert.equal(await second.getByLabel('Stack by').inputValue(), 'user');
    await second.close();
    await page.close();
  });

  it('object: history with diffs naming who changed what, blame, the object at a time, a revert manifest', async () => {
    const page = await context.newPage();
    await page.goto(url('/ui/object?namespace=demo&kind=Deployment&name=web'));
    const entries = page.locator('ol.history > li');
    await entries.first().waitFor({ timeout: SHOWN });
    const scale = entries.filter({ hasText: 'UPDATE scale' }).last();
    assert.match(await scale.locator('summary').innerText(), /by bob/);
    const scaleDiff = await scale.locator('pre.diff').innerText();
    assert.match(scaleDiff, /^-\s+replicas: 2$/m);
    assert.match(scaleDiff, /^\+\s+replicas: 3$/m);
    const label = entries.filter({ has: page.locator('pre.diff', { hasText: 'tier: frontend' }) }).last();
    assert.match(await label.locator('summary').innerText(), /UPDATE by alice/);
    await page.getByLabel('side by side').click();
    await page.waitForURL(/diff=split/);
    await scale.locator('table.diff td.add', { hasText: 'replicas: 3' }).waitFor({ timeout: SHOWN });
    await scale.locator('table.diff td.del', { hasText: 'replicas: 2' }).waitFor({ timeout: SHOWN });
    assert.deepEqual(await seriousViolations(page), []);
    await shoot(page, 'object-history');
    // One screen of it, the picture in the README (docs/images/dashboard.png is a copy).
    await page.screenshot({ path: join(ARTIFACTS, 'readme-object-history.png') });

    // Reverting bob's scale gives back the Deployment as it was before it: two replicas, no server-set fields.
    await scale.getByRole('button', { name: 'Revert this change' }).click();
    const manifest = await scale.getByLabel(/Revert manifest for change/).innerText();
    assert.match(manifest, /^kind: Deployment$/m);
    assert.match(manifest, /^ {2}replicas: 2$/m);
    assert.doesNotMatch(manifest, /resourceVersion|uid:|managedFields|^status:/m);
    // kubectl blame gives the same manifest: both show the server's one rule of the past.
    const scaleId = ids.get('UPDATE Deployment web bob')!;
    assert.deepEqual(parseYaml(await kubectlBlame(server, ['deploy/web', '--revert', scaleId, '-o', 'yaml'])), parseYaml(manifest));

    await page.getByRole('tab', { name: 'Blame' }).click();
    await page.waitForURL(/view=blame/);
    const blame = page.locator('table.blame tbody tr');
    await blame.first().waitFor({ timeout: SHOWN });
    const authorOf = async (path: string) => {
      const rows = await blame.evaluateAll((trs) => trs.map((tr) => ({ path: tr.getAttribute('data-path'), who: tr.querySelector('td.who')?.textContent ?? '' })));
      let who = '';
      for (const row of rows) {
        if (row.who) who = row.who;
        if (row.path === path) return who;
      }
      return undefined;
    };
    assert.equal(await authorOf('/spec/replicas'), 'bob');
    assert.equal(await authorOf('/metadata/labels/tier'), 'alice');
    // kubectl blame --fields names the same author on every line (no live object: both blame the recorded one).
    const cliLines = (JSON.parse(await kubectlBlame(server, ['deploy/web', '--fields', '-o', 'json'])) as { lines: { path: string; author: { username: string } | null }[] }).lines;
    for (const line of cliLines.filter((entry) => entry.author && entry.path)) assert.equal(await authorOf(line.path), line.author!.username, line.path);
    assert.deepEqual(await seriousViolations(page), []);
    await shoot(page, 'object-blame');

    // As it was right after alice created it: before bob's scale, one link pasted from an incident channel.
    const created = ids.get('CREATE Deployment web alice')!;
    const history = JSON.parse((await server.request('GET', '/api/v1/history?namespace=demo&kind=Deployment&name=web')).body) as { items: { id: string; time: string }[] };
    const createdAt = history.items.find((item) => item.id === created)!.time;
    await page.goto(url(`/ui/object?namespace=demo&kind=Deployment&name=web&view=at&at=${encodeURIComponent(createdAt)}`));
    const asItWas = page.getByLabel(/The object as it was at/);
    await asItWas.waitFor({ timeout: SHOWN });
    assert.match(await asItWas.innerText(), /^ {2}replicas: 2$/m);
    assert.match(await page.locator('#object-view').innerText(), /CREATE by alice/);
    assert.deepEqual(parseYaml(await kubectlBlame(server, ['deploy/web', '--at', createdAt, '-o', 'yaml'])), parseYaml(await asItWas.innerText()));
    await shoot(page, 'object-at');
    await page.close();
  });

  it('timeline: filters change the list and the URL, and a new change appears without a reload', async () => {
    const page = await context.newPage();
    await page.goto(url('/ui/timeline'));
    const items = page.locator('.change-list li.change');
    await items.first().waitFor({ timeout: SHOWN });
    assert.equal(await items.count(), SEED.length);
    await page.getByLabel('User', { exact: true }).fill('bob');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/user=bob/);
    await page.waitForFunction(() => document.querySelectorAll('.change-list li.change').length === 4, undefined, { timeout: SHOWN });
    for (const text of await items.locator('.by').allInnerTexts()) assert.equal(text, 'by bob');
    await page.getByLabel('Kind').fill('Deployment');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/kind=Deployment/);
    await page.waitForFunction(() => document.querySelectorAll('.change-list li.change').length === 1, undefined, { timeout: SHOWN });
    assert.match(await items.first().innerText(), /UPDATE scale[\s\S]*Deployment\.apps demo\/web[\s\S]*by bob/);

    // Live: bob scales web again; the page shows it on top without a reload, and a change by alice stays out.
    await page.getByText('Live: new changes appear at the top').waitFor({ timeout: SHOWN });
    await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });
    assert.equal((await server.request('POST', '/capture', withFreshUid(loadFixture('deployment-patch-label')))).status, 200);
    assert.equal((await server.request('POST', '/capture', withFreshUid(loadFixture('deployment-scale')))).status, 200);
    await page.waitForFunction(() => document.querySelectorAll('.change-list li.change').length === 2, undefined, { timeout: SHOWN });
    assert.match(await items.first().innerText(), /UPDATE scale[\s\S]*by bob/);
    assert.equal(await items.first().evaluate((element) => element.classList.contains('fresh')), true);
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');
    assert.deepEqual(await seriousViolations(page), []);
    await shoot(page, 'timeline');
    await page.close();
  });

  it('user: what one user or group changed', async () => {
    const page = await context.newPage();
    await page.goto(url('/ui/user?user=alice'));
    await page.getByRole('heading', { name: 'User alice' }).waitFor({ timeout: SHOWN });
    const items = page.locator('.change-list li.change');
    await items.first().waitFor({ timeout: SHOWN });
    for (const text of await items.locator('.by').allInnerTexts()) assert.equal(text, 'by alice');
    assert.match(await page.locator('.chips').innerText(), /demo · Deployment: 4/);
    assert.deepEqual(await seriousViolations(page), []);
    await shoot(page, 'user');
    await page.goto(url('/ui/user?group=ops'));
    await page.getByRole('heading', { name: 'Group ops' }).waitFor({ timeout: SHOWN });
    await items.first().waitFor({ timeout: SHOWN });
    for (const text of await items.locator('.by').allInnerTexts()) assert.equal(text, 'by bob');
    await page.close();
  });

  it('object: a kubectl exec between two changes is shown, but is never the state before the next one or a revert', async () => {
    const pod = withFreshUid(loadFixture('pod-create'));
    const created = pod.request.object as { metadata: { labels: Record<string, string> } };
    const exec = withFreshUid(loadFixture('pod-create'));
    Object.assign(exec.request, {
      kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, requestKind: { group: '', version: 'v1', kind: 'PodExecOptions' },
      subResource: 'exec', requestSubResource: 'exec', operation: 'CONNECT', oldObject: null, options: null,
      userInfo: { username: 'mallory', uid: 'uid-mallory', groups: ['system:authenticated'] },
      object: { kind: 'PodExecOptions', apiVersion: 'v1', stdin: true, tty: true, container: 'main', command: ['sh'] },
    });
    const label = withFreshUid(loadFixture('pod-create'));
    Object.assign(label.request, {
      operation: 'UPDATE', oldObject: structuredClone(created),
      object: { ...structuredClone(created), metadata: { ...structuredClone(created).metadata, labels: { ...created.metadata.labels, release: 'canary' } } },
    });
    for (const review of [exec, label]) assert.equal((await server.request('POST', '/capture', review)).status, 200);
    const history = JSON.parse((await server.request('GET', '/api/v1/history?namespace=demo&kind=Pod&name=worker')).body) as { items: { id: string; operation: string }[] };
    const labelId = history.items.find((item) => item.operation === 'UPDATE')!.id;

    const page = await context.newPage();
    await page.goto(url('/ui/object?namespace=demo&kind=Pod&name=worker'));
    const entries = page.locator('ol.history > li');
    await entries.first().waitFor({ timeout: SHOWN });
    const connect = entries.filter({ hasText: 'CONNECT exec' });
    assert.equal(await connect.count(), 1);
    assert.equal(await connect.getByRole('button', { name: 'Revert this change' }).count(), 0, 'a kubectl exec is not a state to revert to');
    const update = entries.filter({ hasText: 'UPDATE by alice' });
    const diff = await update.locator('pre.diff').innerText();
    assert.match(diff, /^\+\s+release: canary$/m);
    assert.doesNotMatch(diff, /PodExecOptions|command/, 'the state before the update is the created pod, not the exec options');
    await update.getByRole('button', { name: 'Revert this change' }).click();
    const manifest = await update.getByLabel(/Revert manifest for change/).innerText();
    assert.match(manifest, /^kind: Pod$/m);
    assert.deepEqual(parseYaml(await kubectlBlame(server, ['pod/worker', '--revert', labelId, '-o', 'yaml'])), parseYaml(manifest));
    await page.close();
  });

  it('dark and on a phone: the same pages, no serious axe violation', async () => {
    const phone = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true, viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    await page.goto(url('/ui/timeline?namespace=demo'));
    await page.locator('.change-list li.change').first().waitFor({ timeout: SHOWN });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(13, 17, 23)', 'dark theme from the system preference');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px too wide)`);
    assert.deepEqual(await seriousViolations(page), []);
    await shoot(page, 'timeline-phone-dark');
    await page.goto(url('/ui/?window=24h'));
    await page.getByRole('heading', { name: 'Most changed objects' }).waitFor({ timeout: SHOWN });
    assert.deepEqual(await seriousViolations(page), []);
    await shoot(page, 'overview-phone-dark');
    await phone.close();
  });
});

describe('the dashboard with --auth kubernetes', () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-browser-auth-'));
    const tls = await testCertificate(dir);
    // The server's own kubeconfig: no request here reaches it (a missing token is refused before any review),
    // and the one with a token shows what the server says when it cannot ask the API server.
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: logistis-server}}]', 'contexts: [{name: c, context: {cluster: c, user: u}}]', '',
    ].join('\n'));
    server = await startServer(['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--store', `sqlite:${join(dir, 'events.db')}`,
      '--auth', 'kubernetes', '--kubeconfig', kubeconfig], { caFile: tls.caFile });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for a token, explains the 401, and keeps the token out of localStorage', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`https://127.0.0.1:${server.port}/ui/timeline?user=bob`);
    await page.getByRole('heading', { name: 'Sign in with a Kubernetes token' }).waitFor({ timeout: SHOWN });
    const alert = await page.getByRole('alert').innerText();
    assert.match(alert, /401 Unauthorized: the server does not know who you are yet/);
    assert.match(alert, /no credentials: send a Kubernetes bearer token/);
    assert.equal(await page.getByText(/runs with --auth none/).count(), 0, 'no open-server banner');
    assert.deepEqual(await seriousViolations(page), []);
    await shoot(page, 'sign-in');
    await page.getByLabel('Bearer token').fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/cannot check the token with the Kubernetes API server/).waitFor({ timeout: SHOWN });
    const storage = await page.evaluate(() => ({ local: JSON.stringify(localStorage), session: sessionStorage.getItem('logistis.token') }));
    assert.doesNotMatch(storage.local, /not-a-real-token/);
    assert.equal(storage.session, 'not-a-real-token');
    assert.match(page.url(), /\/ui\/timeline\?user=bob$/, 'the deep link survives signing in');
    await context.close();
  });
});
