// Presets the API server can evaluate itself become webhook matchConditions, so it does not even call us for
// them. Only presets that need nothing but `request` qualify; and only when no user rule includes anything
// (an include rule runs before the presets and could bring back what a matchCondition would hide). Pure.
import { isGlob } from './glob.ts';
import { presetNeedsObject, presetSpec, type PresetName } from './presets.ts';
import type { RuleSpec } from './rules.ts';

export interface MatchCondition {
  name: string;
  expression: string;
}

const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function nameTest(field: string, pattern: string): string {
  if (!isGlob(pattern)) return `${field} == ${quote(pattern)}`;
  const star = pattern.indexOf('*');
  if (star === pattern.length - 1 && !pattern.includes('?')) return `${field}.startsWith(${quote(pattern.slice(0, -1))})`;
  const regex = `^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`;
  return `${field}.matches(${quote(regex)})`;
}

/** The CEL that is true when the rule's name matchers match; throws for a field with no CEL form here. */
export function ruleSpecToCel(spec: RuleSpec): string {
  const parts: string[] = [];
  const any = (field: string, patterns: string[] | undefined) => {
    if (patterns) parts.push(patterns.length === 1 ? nameTest(field, patterns[0]!) : `(${patterns.map((p) => nameTest(field, p)).join(' || ')})`);
  };
  any('request.operation', spec.operations);
  any('request.resource.resource', spec.resources);
  any('request.subResource', spec.subresources);
  any('request.resource.group', spec.apiGroups);
  any('request.namespace', spec.namespaces);
  any('request.userInfo.username', spec.users);
  for (const field of ['userGroups', 'serviceAccounts', 'kinds', 'expression'] as const) {
    if (spec[field] !== undefined) throw new Error(`rule "${spec.name}": ${field} has no matchCondition form here`);
  }
  return parts.join(' && ');
}

/** matchConditions (all must be true to call the webhook) for the presets that need no object. */
export function presetMatchConditions(presets: readonly PresetName[], userRulesInclude: boolean): MatchCondition[] {
  if (userRulesInclude) return [];
  return presets
    .filter((name) => !presetNeedsObject(name) && presetSpec(name).action === 'exclude')
    .map((name) => ({ name: `not-preset-${name}`, expression: `!(${ruleSpecToCel(presetSpec(name))})` }));
}
