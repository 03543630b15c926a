// `kubectl blame TYPE NAME -f diff`: each change as a header, its change ID (which --revert takes) and a diff
// from the object before it.
import type { ChangeEvent } from '../../../event.ts';
import { renderChangeDiff } from '../../../format/diff.ts';
import { previousObjects } from '../../../history/walk.ts';
import type { ChangesRequest } from '../options.ts';
import { paint, type RunContext } from './context.ts';

/** Each of the first `count` events (newest first), diffed against the object before it among all `events`. */
export function diffLines(events: readonly ChangeEvent[], count: number, request: ChangesRequest, ctx: RunContext): string[] {
  const c = paint(ctx);
  const paired = previousObjects(events);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const { event, previous, known } = paired[i]!;
    const block = renderChangeDiff(event, known ? previous : undefined, {
      now: ctx.now,
      context: request.diff.context,
      format: request.diff.format,
      colours: c,
      maxLineWidth: ctx.width,
    });
    const endOfHeader = block.indexOf('');
    block.splice(endOfHeader < 0 ? block.length : endOfHeader, 0, c.dim(`  change: ${event.id}`));
    if (out.length > 0) out.push('');
    out.push(...block);
  }
  return out;
}
