// A cheap check in front of a CEL rule: from the compiled expression's top-level `&&` terms, the ones that compare
// a field of the input with a constant (`request.kind.kind == 'Deployment'`, `object != null`,
// `request.namespace.startsWith('preview-')`, `'key' in object.metadata.labels`, `has(object.spec.replicas)`,
// `object.spec.replicas > 1000`, `request.userInfo.groups.exists(g, g == 'bots')`) are checked on the plain JSON
// before the CEL evaluator runs. A term rules the request out only when its field is there with the type the
// comparison needs and the comparison is false; CEL's `&&` is false when any term is false, whatever the others
// give (errors included), so skipping CEL then changes no result. Anything else, and every missing field, goes to
// CEL as before. Evaluating the CEL program (building its activation and map wrappers) costs several µs a rule;
// these checks cost a few property reads. Pure.
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import type { CelBindings } from './cel.ts';

/** false: the expression is certainly false for these bindings. true: it may be true (evaluate it). */
export type MayMatch = (bindings: CelBindings) => boolean;

type Path = { root: keyof CelBindings; fields: string[] };
const ROOTS = new Set<string>(['request', 'object', 'oldObject']);
const MISSING = Symbol('missing');

/** `request.a.b` → { root: 'request', fields: ['a', 'b'] }; anything but plain field selection → undefined. */
function pathOf(expr: Expr | undefined): Path | undefined {
  const fields: string[] = [];
  for (let at = expr; at; ) {
    const kind = at.exprKind;
    if (kind.case === 'identExpr') return ROOTS.has(kind.value.name) ? { root: kind.value.name as keyof CelBindings, fields: fields.reverse() } : undefined;
    if (kind.case !== 'selectExpr' || kind.value.testOnly) return undefined;
    fields.push(kind.value.field);
    at = kind.value.operand;
  }
  return undefined;
}

/** The field's value, or MISSING when a step is absent or not an object (CEL would give an error there). */
function read(bindings: CelBindings, path: Path): unknown {
  let value: unknown = bindings[path.root];
  for (const field of path.fields) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, field)) return MISSING;
    value = (value as Record<string, unknown>)[field];
  }
  return value;
}

type Constant = { kind: 'string'; value: string } | { kind: 'number'; value: number } | { kind: 'null' };

function constantOf(expr: Expr | undefined): Constant | undefined {
  if (expr?.exprKind.case !== 'constExpr') return undefined;
  const constant = expr.exprKind.value.constantKind;
  switch (constant.case) {
    case 'stringValue': return { kind: 'string', value: constant.value };
    case 'nullValue': return { kind: 'null' };
    case 'int64Value': case 'uint64Value': return { kind: 'number', value: Number(constant.value) };
    case 'doubleValue': return { kind: 'number', value: constant.value };
    default: return undefined;
  }
}

type Term = (bindings: CelBindings) => boolean;

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '_<_': (a, b) => a < b, '_<=_': (a, b) => a <= b, '_>_': (a, b) => a > b, '_>=_': (a, b) => a >= b,
};
const MIRRORED: Record<string, string> = { '_<_': '_>_', '_<=_': '_>=_', '_>_': '_<_', '_>=_': '_<=_' };

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** A check for one `&&` term: false only when CEL would give false for it; undefined when the term is not one we know. */
function termCheck(expr: Expr): Term | undefined {
  const kind = expr.exprKind;
  if (kind.case === 'selectExpr' && kind.value.testOnly) {
    // has(a.b.c): false when a.b is an object without c.
    const parent = pathOf(kind.value.operand);
    if (!parent) return undefined;
    const field = kind.value.field;
    return (b) => {
      const value = read(b, parent);
      return typeof value !== 'object' || value === null || Array.isArray(value) || Object.hasOwn(value, field);
    };
  }
  if (kind.case === 'comprehensionExpr') return existsCheck(kind.value);
  if (kind.case !== 'callExpr') return undefined;
  const call = kind.value;
  const [left, right] = call.args;
  if ((call.function === '_==_' || call.function === '_!=_') && call.args.length === 2) {
    const path = pathOf(left) ?? pathOf(right);
    const constant = constantOf(right) ?? constantOf(left);
    if (!path || !constant || constant.kind === 'number') return undefined;
    const equal = call.function === '_==_';
    if (constant.kind === 'null') {
      // Any JSON value compares with null; only a field that is absent gives an error.
      return (b) => {
        const value = read(b, path);
        return value === MISSING || (value === null) === equal;
      };
    }
    return (b) => {
      const value = read(b, path);
      return typeof value !== 'string' || (value === constant.value) === equal;
    };
  }
  if (call.function in COMPARISONS && call.args.length === 2) {
    const leftPath = pathOf(left);
    const path = leftPath ?? pathOf(right);
    const constant = constantOf(leftPath ? right : left);
    if (!path || constant?.kind !== 'number') return undefined;
    const compare = COMPARISONS[leftPath ? call.function : MIRRORED[call.function]!]!;
    return (b) => {
      const value = read(b, path);
      return typeof value !== 'number' || compare(value, constant.value);
    };
  }
  if ((call.function === 'startsWith' || call.function === 'endsWith' || call.function === 'contains') && call.args.length === 1) {
    const path = pathOf(call.target);
    const constant = constantOf(left);
    if (!path || constant?.kind !== 'string') return undefined;
    const method = call.function;
    return (b) => {
      const value = read(b, path);
      if (typeof value !== 'string') return true;
      return method === 'startsWith' ? value.startsWith(constant.value) : method === 'endsWith' ? value.endsWith(constant.value) : value.includes(constant.value);
    };
  }
  if (call.function === '@in' && call.args.length === 2) {
    const constant = constantOf(left);
    const path = pathOf(right);
    if (!path || constant?.kind !== 'string') return undefined;
    return (b) => {
      const value = read(b, path);
      if (isStringList(value)) return value.includes(constant.value);
      // A JSON object is a map with string keys: `in` tests its keys.
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return Object.hasOwn(value, constant.value);
      return true;
    };
  }
  return undefined;
}

/** `list.exists(x, x == 'c')` as the parser expands it: false when the list holds strings and not 'c'. */
function existsCheck(c: Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value']): Term | undefined {
  const path = pathOf(c.iterRange);
  if (!path || c.iterVar2 !== '' || c.accuInit?.exprKind.case !== 'constExpr') return undefined;
  const init = c.accuInit.exprKind.value.constantKind;
  if (init.case !== 'boolValue' || init.value !== false) return undefined;
  if (c.result?.exprKind.case !== 'identExpr' || c.result.exprKind.value.name !== c.accuVar) return undefined;
  const step = c.loopStep?.exprKind;
  if (step?.case !== 'callExpr' || step.value.function !== '_||_' || step.value.args.length !== 2) return undefined;
  const [accu, test] = step.value.args;
  if (accu?.exprKind.case !== 'identExpr' || accu.exprKind.value.name !== c.accuVar) return undefined;
  if (test?.exprKind.case !== 'callExpr' || test.exprKind.value.function !== '_==_') return undefined;
  const [a, b] = test.exprKind.value.args;
  const isIterVar = (e: Expr | undefined) => e?.exprKind.case === 'identExpr' && e.exprKind.value.name === c.iterVar;
  const constant = isIterVar(a) ? constantOf(b) : isIterVar(b) ? constantOf(a) : undefined;
  if (constant?.kind !== 'string') return undefined;
  return (bindings) => {
    const value = read(bindings, path);
    return !isStringList(value) || value.includes(constant.value);
  };
}

function conjuncts(expr: Expr, into: Expr[] = []): Expr[] {
  const kind = expr.exprKind;
  if (kind.case === 'callExpr' && kind.value.function === '_&&_') for (const arg of kind.value.args) conjuncts(arg, into);
  else into.push(expr);
  return into;
}

/** The prefilter of a parsed expression, or undefined when none of its `&&` terms can be checked cheaply. */
export function celPrefilter(root: Expr): MayMatch | undefined {
  const terms = conjuncts(root).map(termCheck).filter((term): term is Term => term !== undefined);
  if (terms.length === 0) return undefined;
  return (bindings) => {
    for (const term of terms) if (!term(bindings)) return false;
    return true;
  };
}
