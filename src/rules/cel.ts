// CEL expressions of capture rules, over the variables Kubernetes gives admission matchConditions: `request`
// (the AdmissionRequest), `object` and `oldObject` (null where the operation has none). Compiled once at start;
// evaluating one is pure.
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { celPrefilter } from './cel-prefilter.ts';
import { holdsExactNumber, isExactNumber } from '../exact-json.ts';

export const CEL_VARIABLES = ['request', 'object', 'oldObject'] as const;

/** A rule's expression did not compile; the message names the rule, the line and column, and what was wrong. */
export class RuleCompileError extends Error {
  override name = 'RuleCompileError';
}

export interface CelBindings {
  request: unknown;
  object: unknown;
  oldObject: unknown;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A copy with each number kept exactly (exact-json.ts) as CEL reads numbers: an integer in int64's range as a CEL
 * int (a bigint: exact), anything else as the double JSON.parse would make. Keys are defined, `__proto__` too.
 */
function withCelNumbers(value: unknown): unknown {
  if (isExactNumber(value)) {
    if (/^-?\d+$/.test(value.rawJSON)) {
      const integer = BigInt(value.rawJSON);
      if (integer >= INT64_MIN && integer <= INT64_MAX) return integer;
    }
    return Number(value.rawJSON);
  }
  if (Array.isArray(value)) return value.map(withCelNumbers);
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    Object.defineProperty(copy, key, { value: withCelNumbers(child), writable: true, enumerable: true, configurable: true });
  }
  return copy;
}

/** true or false; `Error` when the expression failed on this input (a missing field, a wrong type). */
export type CelPredicate = (bindings: CelBindings) => boolean | Error;

// The `strings` extension (lowerAscii, split, …) is part of Kubernetes' CEL environment too.
const env = celEnv({ funcs: strings });

function position(source: string, offset: number): string {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/** Names used but bound neither by the environment nor by a macro's loop variable (`x` in `all(x, …)`). */
function unknownVariables(root: Expr): Array<{ name: string; id: bigint }> {
  const found: Array<{ name: string; id: bigint }> = [];
  const visit = (expr: Expr | undefined, bound: ReadonlySet<string>): void => {
    if (!expr) return;
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'identExpr':
        if (!bound.has(kind.value.name)) found.push({ name: kind.value.name, id: expr.id });
        return;
      case 'selectExpr':
        return visit(kind.value.operand, bound);
      case 'callExpr':
        visit(kind.value.target, bound);
        for (const arg of kind.value.args) visit(arg, bound);
        return;
      case 'listExpr':
        for (const element of kind.value.elements) visit(element, bound);
        return;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value, bound);
          visit(entry.value, bound);
        }
        return;
      case 'comprehensionExpr': {
        const c = kind.value;
        visit(c.iterRange, bound);
        visit(c.accuInit, bound);
        const inner = new Set([...bound, c.iterVar, c.iterVar2, c.accuVar].filter(Boolean));
        visit(c.loopCondition, inner);
        visit(c.loopStep, inner);
        visit(c.result, inner);
        return;
      }
      default:
        return;
    }
  };
  visit(root, new Set(CEL_VARIABLES));
  return found;
}

export interface CompileCelOptions {
  /** Check the cheap top-level `&&` terms on the JSON before running CEL (cel-prefilter.ts); off only to measure it. */
  prefilter?: boolean;
}

/** Compiles `source`, or throws RuleCompileError naming `where` (e.g. `rule "skip-ci"`). */
export function compileCel(source: string, where: string, options: CompileCelOptions = {}): CelPredicate {
  if (source.trim() === '') throw new RuleCompileError(`${where}: the expression is empty`);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    const { location, rawMessage } = error as { location?: { start?: { offset?: number } }; rawMessage?: string };
    const offset = location?.start?.offset;
    const message = rawMessage ?? (error as Error).message;
    throw new RuleCompileError(`${where}: ${offset === undefined ? '' : `${position(source, offset)}: `}${message}`);
  }
  const unknown = unknownVariables(parsed.expr);
  if (unknown.length > 0) {
    const first = unknown[0]!;
    const offset = parsed.sourceInfo?.positions[first.id.toString()];
    throw new RuleCompileError(`${where}: ${offset === undefined ? '' : `${position(source, offset)}: `}undeclared reference "${first.name}"; the variables are ${CEL_VARIABLES.join(', ')}`);
  }
  let evaluate: (bindings: CelBindings) => unknown;
  try {
    // Plain JSON objects are CEL maps at run time; the declared input types only know protobuf messages.
    evaluate = plan(env, parsed) as unknown as (bindings: CelBindings) => unknown;
  } catch (error) {
    throw new RuleCompileError(`${where}: ${(error as Error).message}`);
  }
  // Most rules are false for most requests, and their top-level `&&` terms usually say so from one field.
  const mayMatch = options.prefilter === false ? undefined : celPrefilter(parsed.expr);
  return (bindings) => {
    if (mayMatch && !mayMatch(bindings)) return false;
    // CEL would read an exact number as a map with a `rawJSON` key.
    const result = evaluate(holdsExactNumber(bindings) ? (withCelNumbers(bindings) as CelBindings) : bindings);
    if (typeof result === 'boolean') return result;
    if (isCelError(result)) return result;
    return new Error(`the expression gave ${typeof result === 'object' && result !== null ? 'a value' : String(result)}, not true or false`);
  };
}
