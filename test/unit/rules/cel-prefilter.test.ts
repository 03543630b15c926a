// The CEL prefilter may only rule out what CEL itself would not match: over the real recorded reviews (and variants
// that make each term true, false, missing or of another type), a rule with the prefilter matches exactly when the
// same rule without it does. And it does rule out the benchmark's rules without running CEL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from '@bufbuild/cel';
import { parseAdmissionReview, type AdmissionRequest } from '../../../src/admission/review.ts';
import { celPrefilter } from '../../../src/rules/cel-prefilter.ts';
import { compileCel, type CelBindings } from '../../../src/rules/cel.ts';
import { parseRulesDocument } from '../../../src/rules/rule-set.ts';
import { fixtureNames, loadFixture } from '../../../harness/fixtures.ts';

const EXPRESSIONS = [
  "request.kind.kind == 'Deployment'",
  "'Deployment' == request.kind.kind && request.operation != 'DELETE'",
  "request.namespace.startsWith('preview-') && request.operation == 'UPDATE'",
  "request.userInfo.username.endsWith(':deployer') || request.namespace == 'default'",
  "request.name.contains('web') && object != null",
  "object == null",
  "oldObject != null && oldObject.metadata.name == 'web'",
  "object != null && has(object.spec.replicas) && object.spec.replicas > 2",
  "2 < object.spec.replicas",
  "object.spec.replicas >= 3 && object.spec.replicas <= 3.0",
  "has(object.metadata.labels) && 'app' in object.metadata.labels",
  "'app' in object.metadata.labels && object.metadata.labels['app'] == 'web'",
  "'system:authenticated' in request.userInfo.groups",
  "request.userInfo.groups.exists(g, g == 'system:masters')",
  "request.userInfo.groups.exists(g, 'system:authenticated' == g) && request.kind.kind == 'Pod'",
  "object.metadata.labels.exists(k, k == 'app')",
  "!(request.kind.kind == 'Secret') && request.dryRun == false",
  "request.missing.field == 'x' && request.kind.kind == 'Pod'",
  "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/'))",
];

type Variant = { name: string; request: AdmissionRequest };
type Json = Record<string, Record<string, unknown>>;

function variants(): Variant[] {
  const out: Variant[] = [];
  for (const fixture of fixtureNames()) {
    const review = loadFixture(fixture);
    out.push({ name: fixture, request: parseAdmissionReview(review).request });
    const changed = structuredClone(review);
    const request: Record<string, unknown> = changed.request;
    request['namespace'] = 'preview-7';
    request['name'] = 'web';
    request['userInfo'] = { username: 'system:serviceaccount:ci:deployer', groups: ['system:masters', 'system:authenticated'] };
    const object = request['object'] as Json | null | undefined;
    if (object) {
      object['metadata'] = { ...object['metadata'], name: 'web', labels: { app: 'web' } };
      object['spec'] = { ...object['spec'], replicas: 3 };
    }
    const oldObject = request['oldObject'] as Json | null | undefined;
    if (oldObject) oldObject['metadata'] = { ...oldObject['metadata'], name: 'web' };
    out.push({ name: `${fixture} (changed to match)`, request: parseAdmissionReview(changed).request });
    const oddTypes = structuredClone(review);
    const odd = oddTypes.request['object'] as Json | null | undefined;
    if (odd) {
      odd['metadata'] = { ...odd['metadata'], labels: ['app'] };
      odd['spec'] = { ...odd['spec'], replicas: '3' };
    }
    out.push({ name: `${fixture} (fields of other types)`, request: parseAdmissionReview(oddTypes).request });
  }
  return out;
}

const bindingsOf = (request: AdmissionRequest): CelBindings => ({ request, object: request.object, oldObject: request.oldObject });
const matches = (result: boolean | Error): boolean => result === true;

describe('CEL prefilter', () => {
  const all = variants();
  for (const expression of EXPRESSIONS) {
    it(`matches exactly as CEL does: ${expression}`, () => {
      const withPrefilter = compileCel(expression, 'test');
      const celOnly = compileCel(expression, 'test', { prefilter: false });
      for (const { name, request } of all) {
        const bindings = bindingsOf(request);
        assert.equal(matches(withPrefilter(bindings)), matches(celOnly(bindings)), `${expression} on ${name}`);
      }
    });
  }

  it('has nothing to check in expressions without a top-level comparison of a field with a constant', () => {
    assert.equal(celPrefilter(parse("request.kind.kind == request.resource.resource").expr), undefined);
    assert.equal(celPrefilter(parse("request.operation == 'CREATE' || request.operation == 'UPDATE'").expr), undefined);
    assert.equal(celPrefilter(parse("size(request.userInfo.groups) > 3").expr), undefined);
  });

  it("rules the benchmark's five rules out on every recorded review without running CEL", () => {
    const document = parseRulesDocument(readFileSync(new URL('../../../bench/rules.yaml', import.meta.url), 'utf8'), 'bench/rules.yaml');
    const sources = document.rules.map((rule) => (rule as { expression: string }).expression);
    assert.equal(sources.length, 5);
    for (const source of sources) {
      const mayMatch = celPrefilter(parse(source).expr);
      assert.ok(mayMatch, `a prefilter for ${source}`);
      for (const fixture of fixtureNames()) {
        assert.equal(mayMatch(bindingsOf(parseAdmissionReview(loadFixture(fixture)).request)), false, `${source} on ${fixture}`);
      }
    }
  });
});
