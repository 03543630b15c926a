// The subresources registered for their security weight are recorded with what they changed: a CSR approval
// (its change is all status, which normalising otherwise drops) and a namespace finalize. Under the default
// presets too, whether a person or a service account sends them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAdmissionReview, type AdmissionRequest } from '../../../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';
import { decideCapture, type CaptureSettings } from '../../../src/capture/record.ts';
import { compileRuleSet, EMPTY_RULES_DOCUMENT } from '../../../src/rules/rule-set.ts';
import { DEFAULT_PRESETS } from '../../../src/rules/presets.ts';

const NOW = new Date('2026-12-07T10:00:00.000Z');
const settings: CaptureSettings = { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 4), recordUnchanged: false };

function request(fixture: string, username?: string): AdmissionRequest {
  const review = JSON.parse(readFileSync(new URL(`../../fixtures/subresources/${fixture}`, import.meta.url), 'utf8')) as { request: Record<string, unknown> };
  if (username) review.request['userInfo'] = { username, uid: 'u', groups: ['system:serviceaccounts', 'system:authenticated'] };
  return parseAdmissionReview(review).request;
}

describe('security subresources', () => {
  const rules = compileRuleSet(EMPTY_RULES_DOCUMENT, DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS);

  it('records a CSR approval with its Approved condition', () => {
    const decision = decideCapture(request('csr-approval.json'), settings, NOW, 'CertificateSigningRequest');
    assert.ok(decision.record, decision.record ? '' : decision.reason);
    const { event } = decision;
    assert.deepEqual([event.kind, event.subresource, event.name, event.user.username], ['CertificateSigningRequest', 'approval', 'mallory-admin', 'kubernetes-admin']);
    assert.deepEqual(event.patch.map((operation) => [operation.op, operation.path]), [['add', '/status/conditions']]);
    assert.equal((event.object['status'] as { conditions: Array<{ type: string }> }).conditions[0]!.type, 'Approved');
  });

  it('no preset skips an approval, not even one by a service account', () => {
    assert.deepEqual(rules.evaluate(request('csr-approval.json')), { record: true });
    assert.deepEqual(rules.evaluate(request('csr-approval.json', 'system:serviceaccount:csr-approver:kubelet-csr-approver')), { record: true });
  });

  it('still drops the status of an ordinary update', () => {
    const main = request('csr-approval.json');
    const decision = decideCapture({ ...main, subResource: '' }, settings, NOW);
    assert.deepEqual(decision, { record: false, reason: 'unchanged' });
  });

  it('records a namespace finalize that empties spec.finalizers', () => {
    const decision = decideCapture(request('namespace-finalize.json'), settings, NOW, 'Namespace');
    assert.ok(decision.record);
    assert.deepEqual(decision.event.patch, [{ op: 'remove', path: '/spec/finalizers' }]);
    assert.deepEqual(rules.evaluate(request('namespace-finalize.json')), { record: true });
  });
});
