/// <reference lib="dom" />
// The dashboard against a real control plane: changes made with kubectl as alice and bob reach the page through
// the webhook, and the page reads with the user's own token (TokenReview, SubjectAccessReview): alice sees her
// namespace, live, is told why the cluster-wide overview answers 403, a rejected token gets the explained 401.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.ts';
import { startLogistis, type Logistis } from '../../harness/logistis.ts';
import { SHOWN, launchChromium, screenshot, seriousViolations } from '../support/browser.ts';

describe('dashboard with --auth kubernetes on a real control plane', () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  let browser: Browser;
  let ns: string;

  before(async () => {
    cp = await startControlPlane();
    logistis = await startLogistis(cp);
    ns = await cp.createNamespace('dash');
    for (const user of ['alice', 'bob']) await cp.grant(user, 'edit', ns);
    await cp.grant('alice', 'logistis-viewer', ns);
    await cp.kubectl('alice', ['-n', ns, 'create', 'configmap', 'settings', '--from-literal=mode=fast']);
    await cp.kubectl('bob', ['-n', ns, 'label', 'configmap', 'settings', 'owner=ops']);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await logistis?.stop();
    await cp?.stop();
  });

  async function signIn(page: Page, token: string): Promise<void> {
    await page.getByLabel('Bearer token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('signs alice in with her token, shows her namespace live, and explains 403 and 401', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${logistis.url}/ui/timeline?namespace=${ns}&kind=ConfigMap`);
    await page.getByRole('heading', { name: 'Sign in with a Kubernetes token' }).waitFor({ timeout: SHOWN });
    await signIn(page, cp.token('alice'));
    await page.getByText('Signed in as').waitFor({ timeout: SHOWN });
    assert.match(await page.locator('header').innerText(), /Signed in as alice/);
    const items = page.locator('.change-list li.change');
    await page.waitForFunction(() => document.querySelectorAll('.change-list li.change').length === 2, undefined, { timeout: SHOWN })
      .catch(async (error: unknown) => { throw new Error(`${error instanceof Error ? error.message : String(error)}; the page shows: ${await page.locator('main').innerText()}`); });
    assert.deepEqual(await items.locator('.by').allInnerTexts(), ['by bob', 'by alice']);

    // A change bob makes with kubectl shows up without a reload.
    await page.getByText('Live: new changes appear at the top').waitFor({ timeout: SHOWN });
    await cp.kubectl('bob', ['-n', ns, 'label', 'configmap', 'settings', 'tier=backend']);
    await page.waitForFunction(() => document.querySelectorAll('.change-list li.change').length === 3, undefined, { timeout: SHOWN });
    assert.match(await items.first().innerText(), /UPDATE[\s\S]*ConfigMap[\s\S]*settings[\s\S]*by bob/);
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'e2e-timeline-alice');

    // The overview reads every namespace: alice may read only hers.
    await page.getByRole('link', { name: 'Overview' }).click();
    const forbidden = page.getByRole('alert');
    await forbidden.waitFor({ timeout: SHOWN });
    const text = await forbidden.innerText();
    assert.match(text, /403 Forbidden: you are signed in, but your Kubernetes RBAC does not allow this read/);
    assert.match(text, /user "alice" cannot list changes\.audit\.logistis\.io across all namespaces/);
    assert.match(text, /logistis-viewer/);
    await screenshot(page, 'e2e-overview-403');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, 'not-a-token-the-cluster-knows');
    await page.getByText(/401 Unauthorized: the Kubernetes API server did not accept this token/).waitFor({ timeout: SHOWN });
    assert.doesNotMatch(await page.evaluate(() => JSON.stringify(localStorage)), /not-a-token-the-cluster-knows/, 'tokens stay out of localStorage');
    await context.close();
  });

  it('the admin sees the cluster overview', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${logistis.url}/ui/?window=1h`);
    await signIn(page, cp.token('admin'));
    const objects = page.locator('section', { has: page.getByRole('heading', { name: 'Most changed objects' }) });
    await objects.getByRole('link', { name: `ConfigMap ${ns}/settings` }).waitFor({ timeout: SHOWN });
    // alice's create, bob's label, and bob's live label of the test before.
    assert.match(await objects.getByRole('row', { name: new RegExp(`ConfigMap ${ns}/settings`) }).innerText(), /\b3\b[\s\S]*bob/);
    assert.equal(await page.getByText(/runs with --auth none/).count(), 0);
    await screenshot(page, 'e2e-overview-admin');
    await context.close();
  });
});
