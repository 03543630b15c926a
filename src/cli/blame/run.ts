// Runs one parsed kubectl-blame request: picks its view (one file each in views/) and hands it the context.
// Nothing here prints an error: failures are thrown as BlameError for the entry point.
import type { BlameRequest } from './options.ts';
import { atView } from './views/at.ts';
import { changesView } from './views/changes.ts';
import type { RunContext } from './views/context.ts';
import { fieldsView } from './views/fields.ts';
import { overviewView } from './views/overview.ts';
import { revertView } from './views/revert.ts';

export type { Output, RunContext } from './views/context.ts';

export async function runBlame(request: BlameRequest, ctx: RunContext): Promise<void> {
  switch (request.view) {
    case 'overview':
      return overviewView(request, ctx);
    case 'changes':
      return changesView(request, ctx);
    case 'fields':
      return fieldsView(request, ctx);
    case 'at':
      return atView(request, ctx);
    case 'revert':
      return revertView(request, ctx);
  }
}
