// `logistis rules test FILE…`: what the capture rules would keep, for tuning without a cluster.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_NORMALISE_OPTIONS, LAST_APPLIED_MODES, type LastAppliedMode } from '../../admission/normalise.ts';
import { ConfigError } from '../../config/serve-config.ts';
import { RuleCompileError } from '../../rules/cel.ts';
import { DEFAULT_PRESETS, parsePresetList } from '../../rules/presets.ts';
import { formatReplay, replayReviews, type ReplayInput } from '../../rules/replay.ts';
import { loadRuleSet } from '../../rules/rule-set.ts';
import { reviewsFromEvents } from '../../rules/replay.ts';
import { parseStoreSpec } from '../../store/index.ts';
import { SqliteReader } from '../../store/sqlite/sqlite-reader.ts';
import type { ChangeEvent } from '../../event.ts';

/** The newest `limit` events of a store, oldest first. */
async function storeEvents(store: string, limit: number): Promise<ChangeEvent[]> {
  let spec;
  try {
    spec = parseStoreSpec(store);
  } catch (error) {
    throw new ConfigError(`--from-store: ${(error as Error).message}`);
  }
  if (spec.driver !== 'sqlite') throw new ConfigError('--from-store: only sqlite:PATH stores can be replayed in this version');
  if (!statSync(spec.location, { throwIfNoEntry: false })) throw new ConfigError(`--from-store: ${spec.location}: no such file`);
  const reader = SqliteReader.open(spec.location);
  try {
    const events: ChangeEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.listEvents({}, Math.min(500, limit - events.length), cursor, 'desc');
      events.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && events.length < limit);
    return events.reverse();
  } finally {
    reader.close();
  }
}

function reviewFiles(paths: string[]): string[] {
  return paths.flatMap((path) => {
    if (!statSync(path, { throwIfNoEntry: false })) throw new ConfigError(`${path}: no such file or directory`);
    return statSync(path).isDirectory()
      ? readdirSync(path).filter((name) => name.endsWith('.json')).sort().map((name) => join(path, name))
      : [path];
  });
}

function readReview(path: string): ReplayInput {
  try {
    return { source: basename(path), body: JSON.parse(readFileSync(path, 'utf8')) as unknown };
  } catch (error) {
    return { source: basename(path), body: null, error: `not JSON: ${(error as Error).message}` };
  }
}

export function rulesCommand(): Command {
  const rules = new Command('rules').description('work with capture rules');
  rules.command('test')
    .description('replay AdmissionReview JSON files (or directories of them), or a store\'s recent events, through the capture rules; print what would be recorded and which rule decided')
    .argument('[reviews...]', 'AdmissionReview JSON files or directories')
    .option('--from-store <store>', 'replay the newest recorded events of a store instead (sqlite:PATH); objects are as stored: normalised and redacted')
    .option('--limit <n>', 'with --from-store: how many of the newest events', '500')
    .option('--rules <file>', 'capture rules file, as for serve')
    .option('--capture-presets <list>', 'presets, as for serve', DEFAULT_PRESETS.join(','))
    .option('--last-applied <mode>', LAST_APPLIED_MODES.join(', '), 'fold')
    .action(async (paths: string[], options: { rules?: string; capturePresets: string; lastApplied: string; fromStore?: string; limit: string }) => {
      if (options.fromStore === undefined && paths.length === 0) throw new ConfigError('give AdmissionReview files or directories, or --from-store sqlite:PATH');
      if (options.fromStore !== undefined && paths.length > 0) throw new ConfigError('give either review files or --from-store, not both');
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(`--limit: must be a positive whole number, got "${options.limit}"`);
      let presets;
      try {
        presets = parsePresetList(options.capturePresets);
      } catch (error) {
        throw new ConfigError(`--capture-presets: ${(error as Error).message}`);
      }
      if (!(LAST_APPLIED_MODES as readonly string[]).includes(options.lastApplied)) throw new ConfigError(`--last-applied: must be one of ${LAST_APPLIED_MODES.join(', ')}`);
      let ruleSet;
      try {
        ruleSet = loadRuleSet(options.rules ?? '', presets, { ...DEFAULT_NORMALISE_OPTIONS, lastApplied: options.lastApplied as LastAppliedMode });
      } catch (error) {
        if (error instanceof RuleCompileError) throw new ConfigError(`--rules: ${error.message}`);
        throw error;
      }
      const inputs = options.fromStore !== undefined
        ? reviewsFromEvents(await storeEvents(options.fromStore, limit))
        : reviewFiles(paths).map(readReview);
      process.stdout.write(formatReplay(replayReviews(ruleSet, inputs)));
    });
  return rules;
}
