// `kubectl blame [TYPE NAME] --revert ID`: the manifest that restores an object as it was before one change.
import { fromChange } from '../../../api/change.ts';
import type { ChangeEvent } from '../../../event.ts';
import { eventKey } from '../../../format/diff.ts';
import { materializeEach } from '../../../history/walk.ts';
import { getChange, listChanges, MAX_OBJECT_HISTORY, type ChangeScope, type ChangeSelector } from '../changes-api.ts';
import { describeEvent, revertTo } from '../object-views.ts';
import type { RevertRequest } from '../options.ts';
import { call, namespaceFor, printDocument, requireHistory, resolve, type RunContext } from './context.ts';

export async function revertView(request: RevertRequest, ctx: RunContext): Promise<void> {
  let history: ChangeEvent[];
  if (request.type !== undefined && request.name !== undefined) {
    const resource = await resolve(ctx, request.type);
    history = await requireHistory(ctx, resource, namespaceFor(resource, request.namespace, ctx), request.name);
  } else {
    // Only the ID: find the change in the namespace, then read its object's history.
    const namespace = request.namespace ?? ctx.session.defaultNamespace;
    const change = await call(ctx, { what: 'change', namespace, id: request.changeId }, () => getChange(ctx.session.api, namespace, request.changeId));
    const target = change.target;
    const scope: ChangeScope = target.namespace === '' ? { clusterScoped: true } : { namespace: target.namespace };
    const selector: ChangeSelector = { group: target.group, kind: target.kind, name: target.name, order: 'asc' };
    const page = await call(ctx, { what: 'changes', namespace: target.namespace }, () => listChanges(ctx.session.api, scope, selector, MAX_OBJECT_HISTORY));
    history = materializeEach(
      page.items.filter((c) => c.target.group === target.group && c.target.kind === target.kind && c.target.name === target.name).map(fromChange),
    );
  }
  const { manifest, change, later } = revertTo(history, request.changeId);
  const comments = [
    `${eventKey(change)} as it was before the change by ${describeEvent(change)}`,
    'kubectl apply -f - restores every field below; kubectl replace -f - also drops fields added since',
  ];
  printDocument(ctx, manifest, request.output, comments);
  if (later.length > 0) {
    ctx.output.note(`note: this manifest also undoes ${later.length} later change${later.length === 1 ? '' : 's'}:`);
    for (const e of later) ctx.output.note(`  ${describeEvent(e)}`);
  }
}
