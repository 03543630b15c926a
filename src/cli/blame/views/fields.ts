// `kubectl blame TYPE NAME --fields`: the git-blame view, who last changed each field of the object. The server
// blames the recorded history and gives the newest state; the live object, read here, shows what changed outside it.
import { blameAgainst } from '../../../field-blame/field-blame.ts';
import { renderBlame } from '../../../format/field-blame.ts';
import { describeChange } from '../../../history/past.ts';
import { getPast } from '../changes-api.ts';
import { blameSubject } from '../object-views.ts';
import type { FieldsRequest } from '../options.ts';
import { call, liveObject, namespaceFor, noHistory, objectName, paint, pastTarget, printDocument, resolve, type RunContext } from './context.ts';

export async function fieldsView(request: FieldsRequest, ctx: RunContext): Promise<void> {
  const resource = await resolve(ctx, request.type);
  const namespace = namespaceFor(resource, request.namespace, ctx);
  const target = pastTarget(resource, namespace, request.name);
  const doing = { what: 'changes', namespace: namespace ?? '' } as const;
  const [recorded, live] = await Promise.all([
    call(ctx, doing, () => getPast(ctx.session.api, target, 'blame')),
    liveObject(ctx, resource, namespace, request.name),
  ]);
  const hasHistory = recorded.lines.length > 0;
  if (!hasHistory && live === undefined) throw noHistory(resource, request.name, namespace, false, false);
  const isSecret = resource.group === '' && resource.kind === 'Secret';
  const newestState = recorded.newest?.operation === 'DELETE' ? undefined : recorded.state;
  const result = blameAgainst(recorded, recorded.state, blameSubject(newestState, live, isSecret));
  if (request.output === 'json' || request.output === 'yaml') {
    printDocument(ctx, { lines: result.lines }, request.output);
  } else {
    for (const line of renderBlame(result, { now: ctx.now, width: ctx.width, colours: paint(ctx) })) ctx.output.out(line);
  }
  const what = objectName(resource, request.name, namespace);
  if (!hasHistory) {
    ctx.output.note(`note: logistis has recorded no change to ${what}; each line shows its owner from metadata.managedFields`);
  } else if (live === undefined) {
    ctx.output.note(
      recorded.newest?.operation === 'DELETE'
        ? `note: ${what} no longer exists; shown as it was when ${describeChange(recorded.newest)} deleted it`
        : `note: ${what} could not be read; shown as last recorded`,
    );
  }
}
