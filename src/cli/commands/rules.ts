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
    .description('replay AdmissionReview JSON files (or directories of them) through the capture rules; print what would be recorded and which rule decided')
    .argument('<reviews...>', 'AdmissionReview JSON files or directories')
    .option('--rules <file>', 'capture rules file, as for serve')
    .option('--capture-presets <list>', 'presets, as for serve', DEFAULT_PRESETS.join(','))
    .option('--last-applied <mode>', `${LAST_APPLIED_MODES.join(', ')}`, 'fold')
    .action((paths: string[], options: { rules?: string; capturePresets: string; lastApplied: string }) => {
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
      process.stdout.write(formatReplay(replayReviews(ruleSet, reviewFiles(paths).map(readReview))));
    });
  return rules;
}
