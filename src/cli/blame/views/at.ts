// `kubectl blame TYPE NAME --at TIME`: the object as it was at a time, rebuilt from its recorded history.
import { eventKey } from '../../../format/diff.ts';
import { describeEvent, objectAtOrExplain } from '../object-views.ts';
import type { AtRequest } from '../options.ts';
import { namespaceFor, printDocument, requireHistory, resolve, type RunContext } from './context.ts';

export async function atView(request: AtRequest, ctx: RunContext): Promise<void> {
  const resource = await resolve(ctx, request.type);
  const namespace = namespaceFor(resource, request.namespace, ctx);
  const history = await requireHistory(ctx, resource, namespace, request.name);
  const { event, object } = objectAtOrExplain(history, request.at);
  const comments = [
    `${eventKey(event)} as it was at ${new Date(request.at).toISOString()}`,
    `last changed before then by ${describeEvent(event)}`,
  ];
  if (resource.group === '' && resource.kind === 'Secret') comments.push('Secret values are the fingerprints logistis recorded, never the values');
  printDocument(ctx, object, request.output, comments);
}
