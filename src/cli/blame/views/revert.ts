// `kubectl blame [TYPE NAME] --revert ID`: the manifest that restores an object as it was before one change, as
// the server builds it (or its reason not to).
import { describeChange, objectLabel } from '../../../history/past.ts';
import { getChange, getPast, type PastTarget } from '../changes-api.ts';
import { BlameError } from '../errors.ts';
import type { RevertRequest } from '../options.ts';
import { call, liveObject, namespaceFor, noHistory, pastTarget, printDocument, resolve, type RunContext } from './context.ts';

export async function revertView(request: RevertRequest, ctx: RunContext): Promise<void> {
  let target: PastTarget;
  let missing: (() => Promise<BlameError>) | undefined;
  if (request.type !== undefined && request.name !== undefined) {
    const resource = await resolve(ctx, request.type);
    const namespace = namespaceFor(resource, request.namespace, ctx);
    const name = request.name;
    target = pastTarget(resource, namespace, name);
    missing = async () => noHistory(resource, name, namespace, (await liveObject(ctx, resource, namespace, name)) !== undefined, false);
  } else {
    // Only the ID: find the change in the namespace, then ask for its object's past.
    const namespace = request.namespace ?? ctx.session.defaultNamespace;
    const change = await call(ctx, { what: 'change', namespace, id: request.changeId }, () => getChange(ctx.session.api, namespace, request.changeId));
    const { group, kind, name } = change.target;
    target = { group, kind, name, namespace: change.target.namespace === '' ? undefined : change.target.namespace };
  }
  const answer = await call(ctx, { what: 'changes', namespace: target.namespace ?? '' }, () =>
    getPast(ctx.session.api, target, 'revert', request.changeId));
  if (answer.refused?.reason === 'no-history' && missing) throw await missing();
  if (answer.refused || !answer.manifest || !answer.change) throw new BlameError(answer.refused?.message ?? 'logistis answered no manifest');
  const comments = [
    `${objectLabel(answer.object)} as it was before the change by ${describeChange(answer.change)}`,
    'kubectl apply -f - restores every field below; kubectl replace -f - also drops fields added since',
  ];
  printDocument(ctx, answer.manifest, request.output, comments);
  if (answer.later.length > 0) {
    ctx.output.note(`note: this manifest also undoes ${answer.later.length} later change${answer.later.length === 1 ? '' : 's'}:`);
    for (const later of answer.later) ctx.output.note(`  ${describeChange(later)}`);
  }
}
