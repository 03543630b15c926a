// Capture rules over the real AdmissionReviews recorded from kube-apiserver (test/fixtures/admission): field
// matchers, CEL, presets and first-match-wins, one table row per case.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdmissionReview, type AdmissionRequest } from '../../../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';
import { RuleCompileError } from '../../../src/rules/cel.ts';
import { compileRuleSet, parseRulesDocument } from '../../../src/rules/rule-set.ts';
import { DEFAULT_PRESETS, parsePresetList, type PresetName } from '../../../src/rules/presets.ts';
import { decideByRules } from '../../../src/rules/decide.ts';
import { globToRegExpSource, compileNames } from '../../../src/rules/glob.ts';
import { loadFixture } from '../../../harness/fixtures.ts';

const NOW = new Date('2026-11-26T12:00:00.000Z');

function request(fixture: string, change: (request: Record<string, unknown>) => void = () => {}): AdmissionRequest {
  const review = structuredClone(loadFixture(fixture));
  change(review.request);
  return parseAdmissionReview(review).request;
}

const asUser = (username: string, groups: string[] = ['system:authenticated']) => (r: Record<string, unknown>) => {
  r['userInfo'] = { username, uid: `uid-${username}`, groups };
};
const CONTROLLER = 'system:serviceaccount:kube-system:replicaset-controller';
const OPERATOR = 'system:serviceaccount:operators:widget-operator';

const USER_RULES = `
rules:
  - name: keep-platform-team
    action: include
    userGroups: ["platform-*"]
  - name: skip-ci-namespaces
    action: exclude
    namespaces: ["ci-*", "preview-?"]
  - name: skip-widgets-by-admin
    action: exclude
    apiGroups: [example.com]
    kinds: [Widget]
    users: [admin]
  - name: skip-big-deployments
    action: exclude
    expression: "request.kind.kind == 'Deployment' && has(object.spec.replicas) && object.spec.replicas > 5"
  - name: skip-owned-pods
    action: exclude
    resources: [pods]
    expression: "has(object.metadata.annotations) && 'example.com/owner' in object.metadata.annotations"
  - name: skip-image-bumps-by-bots
    action: exclude
    operations: [update]
    serviceAccounts: ["ci/*"]
    expression: "oldObject.spec.template.spec.containers[0].image != object.spec.template.spec.containers[0].image"
`;

interface Row {
  title: string;
  request: AdmissionRequest;
  presets?: PresetName[];
  record: boolean;
  rule?: string;
}

const rows: Row[] = [
  { title: "a person's apply is recorded by default", request: request('deployment-apply-image.json'), record: true },
  { title: "a person's label patch is recorded", request: request('deployment-patch-label.json'), record: true },
  { title: "a controller's update is skipped", request: request('deployment-patch-label.json', asUser(CONTROLLER)), record: false, rule: 'system-controllers' },
  { title: "the controller manager's own credentials too", request: request('deployment-apply-image.json', asUser('system:kube-controller-manager')), record: false, rule: 'system-controllers' },
  { title: 'a kubelet is skipped', request: request('pod-create.json', (r) => { asUser('system:node:worker-1', ['system:nodes'])(r); (r['object'] as { metadata: { annotations: Record<string, string> } }).metadata.annotations = {}; }), record: false, rule: 'nodes' },
  { title: 'HPA scale updates are skipped', request: request('deployment-scale.json', asUser('system:serviceaccount:kube-system:horizontal-pod-autoscaler')), presets: ['hpa-scale'], record: false, rule: 'hpa-scale' },
  { title: "a person's kubectl scale is recorded", request: request('deployment-scale.json'), record: true },
  { title: "an operator's label-only update is skipped", request: request('deployment-patch-label.json', asUser(OPERATOR)), record: false, rule: 'operator-reconcile' },
  { title: "an operator's image change is recorded", request: request('deployment-apply-image.json', asUser(OPERATOR)), record: true },
  { title: 'a person re-applying the same manifest is skipped as a no-op', request: request('deployment-apply-image.json', (r) => { r['object'] = structuredClone(r['oldObject']); }), record: false, rule: 'no-op-updates' },
  { title: 'status-only churn on the main resource is a no-op', request: request('deployment-status-only.json', (r) => { r['subResource'] = ''; }), record: false, rule: 'no-op-updates' },
  { title: 'with presets off, a controller is recorded', request: request('deployment-patch-label.json', asUser(CONTROLLER)), presets: [], record: true },
  { title: 'glob on user groups includes before any preset', request: request('deployment-patch-label.json', asUser(CONTROLLER, ['platform-admins'])), record: true, rule: 'keep-platform-team' },
  { title: 'namespace glob *', request: request('configmap-create.json', (r) => { r['namespace'] = 'ci-1234'; }), record: false, rule: 'skip-ci-namespaces' },
  { title: 'namespace glob ?', request: request('configmap-create.json', (r) => { r['namespace'] = 'preview-7'; }), record: false, rule: 'skip-ci-namespaces' },
  { title: 'namespace glob ? is one character', request: request('configmap-create.json', (r) => { r['namespace'] = 'preview-77'; }), record: true },
  { title: 'group, kind and user together', request: request('custom-resource-create.json'), record: false, rule: 'skip-widgets-by-admin' },
  { title: 'the same kind by someone else', request: request('custom-resource-create.json', asUser('alice')), record: true },
  { title: 'CEL over object: few replicas are recorded', request: request('deployment-create.json'), record: true },
  { title: 'CEL over object: many replicas are skipped', request: request('deployment-create.json', (r) => { (r['object'] as { spec: { replicas: number } }).spec.replicas = 10; }), record: false, rule: 'skip-big-deployments' },
  { title: "CEL 'in' over a real pod's annotations", request: request('pod-create.json'), record: false, rule: 'skip-owned-pods' },
  { title: 'CEL over oldObject and object by a service account', request: request('deployment-apply-image.json', asUser('system:serviceaccount:ci:deployer')), record: false, rule: 'skip-image-bumps-by-bots' },
  { title: 'the same change by a person', request: request('deployment-apply-image.json', asUser('carol')), record: true },
  { title: "a CEL error (DELETE has no object) does not match", request: request('deployment-delete.json'), record: true },
  { title: 'a Secret update is recorded', request: request('secret-update.json'), record: true },
];

describe('capture rules over recorded reviews', () => {
  const document = parseRulesDocument(USER_RULES, 'test rules');
  for (const row of rows) {
    it(row.title, () => {
      const rules = compileRuleSet(document, row.presets ?? DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS);
      const errors: string[] = [];
      const verdict = rules.evaluate(row.request, { onError: (rule) => errors.push(rule) });
      assert.equal(verdict.record, row.record, `decided by ${verdict.rule ?? 'no rule'}`);
      assert.equal(verdict.rule, row.rule);
      if (row.request.operation === 'DELETE') assert.deepEqual(errors, ['skip-big-deployments']);
    });
  }

  it('counts a skip under the rule that decided, and leaves dry runs to decideCapture', () => {
    const rules = compileRuleSet(document, DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS);
    const skipped: string[] = [];
    const decision = decideByRules(rules, request('deployment-patch-label.json', asUser(CONTROLLER)), NOW, { onSkip: (rule) => skipped.push(rule) });
    assert.deepEqual(decision, { record: false, reason: 'rule' });
    assert.deepEqual(skipped, ['system-controllers']);
    assert.equal(decideByRules(rules, request('deployment-dry-run.json', asUser(CONTROLLER)), NOW), undefined);
    assert.equal(decideByRules(rules, request('deployment-apply-image.json'), NOW), undefined);
  });
});

describe('rule compilation', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['syntax error with its position', '- {name: broken, action: exclude, expression: "request.name == "}', /rule "broken": line 1, column \d+: .*expecting/],
    ['undeclared variable', '- {name: typo, action: exclude, expression: "requst.name == \'x\'"}', /rule "typo": line 1, column 1: undeclared reference "requst"; the variables are request, object, oldObject/],
    ['second line', '- name: two-lines\n  action: exclude\n  expression: "request.name == \'a\' ||\\n  reqest.name == \'b\'"', /line 2, column 3: undeclared reference "reqest"/],
    ['unknown action', '- {name: x, action: drop, users: [a]}', /rule "x": action must be include or exclude/],
    ['unknown key', '- {name: x, action: exclude, user: [a]}', /rule "x": unknown key "user"/],
    ['matches everything', '- {name: x, action: exclude}', /rule "x": matches every request/],
    ['bad name', '- {name: "Skip CI", action: exclude, users: [a]}', /rule 1: name must be lower-case/],
    ['unknown operation', '- {name: x, action: exclude, operations: [PATCH]}', /operations: unknown operation "PATCH"/],
    ['duplicate name', '- {name: x, action: exclude, users: [a]}\n- {name: x, action: exclude, users: [b]}', /rule "x": the name is used twice/],
    ['bad ignore path', 'ignorePaths: [{kinds: [Deployment], paths: ["metadata.annotations[\\"x"]}]', /ignorePaths entry 1: ignore-path .*column 21: unterminated/],
  ];
  for (const [title, text, message] of bad) {
    it(`rejects: ${title}`, () => {
      assert.throws(() => compileRuleSet(parseRulesDocument(text, 'test'), DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS), (error: Error) => {
        assert.ok(error instanceof RuleCompileError, error.name);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('parses preset lists', () => {
    assert.deepEqual(parsePresetList('none'), []);
    assert.deepEqual(parsePresetList('nodes, exec'), ['nodes', 'exec']);
    assert.throws(() => parsePresetList('nodes,hpa'), /unknown preset "hpa"/);
  });

  it('globs match any characters for *, one for ?, and nothing else specially', () => {
    const match = compileNames(['system:serviceaccount:kube-system:*', 'a.b', 'x?z']);
    assert.ok(match('system:serviceaccount:kube-system:job-controller'));
    assert.ok(!match('system:serviceaccount:default:x'));
    assert.ok(match('a.b'));
    assert.ok(!match('aXb'));
    assert.ok(match('xyz'));
    assert.ok(!match('xz'));
    assert.equal(globToRegExpSource('ci-*.x'), '^ci-.*\\.x$');
  });
});

describe('pod CONNECT (the exec preset)', () => {
  // Shaped like the API server's review for `kubectl exec web -c app -- sh -c date`: the options are the object.
  const exec = request('pod-create.json', (r) => {
    r['operation'] = 'CONNECT';
    r['subResource'] = 'exec';
    r['kind'] = { group: '', version: 'v1', kind: 'PodExecOptions' };
    r['name'] = 'web';
    r['object'] = { kind: 'PodExecOptions', apiVersion: 'v1', stdin: true, stdout: true, tty: true, container: 'app', command: ['sh', '-c', 'date'] };
    r['oldObject'] = null;
    r['options'] = null;
  });

  it('records who ran which command in which container when the preset is on', async () => {
    const { describeChange } = await import('../../../src/format/patch.ts');
    const decision = decideByRules(compileRuleSet(parseRulesDocument('', 't'), [...DEFAULT_PRESETS, 'exec'], DEFAULT_NORMALISE_OPTIONS), exec, NOW);
    assert.ok(decision?.record);
    const { event } = decision;
    assert.equal(event.operation, 'CONNECT');
    assert.deepEqual([event.kind, event.resource, event.subresource, event.name, event.user.username], ['Pod', 'pods', 'exec', 'web', 'alice']);
    assert.deepEqual(event.object['command'], ['sh', '-c', 'date']);
    assert.deepEqual(describeChange({ ...event, id: '1' }, undefined), ['exec ["sh","-c","date"] in app (tty)']);
  });

  it('leaves CONNECT to decideCapture (not recorded) when the preset is off', () => {
    assert.equal(decideByRules(compileRuleSet(parseRulesDocument('', 't'), DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS), exec, NOW), undefined);
  });
});
