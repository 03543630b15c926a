// An event's body as both stores keep it (compressed): JSON {"patch", "object"}, plus "oversized" for a review
// too large to read whole. A CREATE's patch is derivable from its object (creationPatch), so it is left out.
import type { ChangeEvent, NewChangeEvent } from '../event.ts';
import { creationPatch } from '../history/patch.ts';
import { parseJson } from '../exact-json.ts';

type EventBody = Pick<ChangeEvent, 'patch' | 'object' | 'oversized'>;

export function encodeEventBody(event: NewChangeEvent): string {
  return JSON.stringify({
    ...(event.operation === 'CREATE' ? {} : { patch: event.patch }),
    object: event.object,
    ...(event.oversized ? { oversized: event.oversized } : {}),
  });
}

export function decodeEventBody(text: string): EventBody {
  const body = parseJson(text) as { patch?: ChangeEvent['patch']; object: ChangeEvent['object']; oversized?: ChangeEvent['oversized'] };
  return {
    patch: body.patch ?? creationPatch(body.object),
    object: body.object,
    ...(body.oversized ? { oversized: body.oversized } : {}),
  };
}
