// `kubectl blame TYPE NAME --fields`: the git-blame view, who last changed each field of the object.
import type { JsonObject } from '../../../event.ts';
import { blameObject } from '../../../blame/field-blame.ts';
import { renderBlame } from '../../../format/blame.ts';
import { blameSubject, describeEvent } from '../object-views.ts';
import type { FieldsRequest } from '../options.ts';
import { liveObject, namespaceFor, noHistory, objectHistory, objectName, paint, printDocument, resolve, type RunContext } from './context.ts';

export async function fieldsView(request: FieldsRequest, ctx: RunContext): Promise<void> {
  const resource = await resolve(ctx, request.type);
  const namespace = namespaceFor(resource, request.namespace, ctx);
  const [history, live] = await Promise.all([
    objectHistory(ctx, resource, namespace, request.name),
    liveObject(ctx, resource, namespace, request.name),
  ]);
  if (history.length === 0 && live === undefined) throw noHistory(resource, request.name, namespace, false, false);
  const isSecret = resource.group === '' && resource.kind === 'Secret';
  const result = blameObject(history, blameSubject(history, live, isSecret));
  if (request.output === 'json' || request.output === 'yaml') {
    printDocument(ctx, { lines: result.lines } as JsonObject, request.output);
  } else {
    for (const line of renderBlame(result, { now: ctx.now, width: ctx.width, colours: paint(ctx) })) ctx.output.out(line);
  }
  const what = objectName(resource, request.name, namespace);
  if (history.length === 0) {
    ctx.output.note(`note: logistis has recorded no change to ${what}; each line shows its owner from metadata.managedFields`);
  } else if (live === undefined) {
    const newest = history[history.length - 1]!;
    ctx.output.note(
      newest.operation === 'DELETE'
        ? `note: ${what} no longer exists; shown as it was when ${describeEvent(newest)} deleted it`
        : `note: ${what} could not be read; shown as last recorded`,
    );
  }
}
