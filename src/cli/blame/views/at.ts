// `kubectl blame TYPE NAME --at TIME`: the object as it was at a time, as the server rebuilds it from its history.
import { describeChange, objectLabel } from '../../../history/past.ts';
import { getPast } from '../changes-api.ts';
import { BlameError } from '../errors.ts';
import type { AtRequest } from '../options.ts';
import { call, liveObject, namespaceFor, noHistory, pastTarget, printDocument, resolve, type RunContext } from './context.ts';

export async function atView(request: AtRequest, ctx: RunContext): Promise<void> {
  const resource = await resolve(ctx, request.type);
  const namespace = namespaceFor(resource, request.namespace, ctx);
  const at = new Date(request.at).toISOString();
  const answer = await call(ctx, { what: 'changes', namespace: namespace ?? '' }, () =>
    getPast(ctx.session.api, pastTarget(resource, namespace, request.name), 'state', at));
  if (answer.refused?.reason === 'no-history') {
    throw noHistory(resource, request.name, namespace, (await liveObject(ctx, resource, namespace, request.name)) !== undefined, false);
  }
  if (answer.refused || !answer.state || !answer.change) throw new BlameError(answer.refused?.message ?? 'logistis answered no state');
  const comments = [
    `${objectLabel(answer.object)} as it was at ${at}`,
    `last changed before then by ${describeChange(answer.change)}`,
  ];
  if (resource.group === '' && resource.kind === 'Secret') comments.push('Secret values are the fingerprints logistis recorded, never the values');
  printDocument(ctx, answer.state, request.output, comments);
}
