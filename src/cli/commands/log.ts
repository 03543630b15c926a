// `logistis log check` and `logistis log repair`: what an operator runs when the server refuses to start on a damaged
// commit log (LogDamagedError). Both work on the directory alone, without a store. Exit codes: 0 the log is usable
// (clean, or only a torn tail the server cuts by itself), 1 damaged (or repair refused), 2 a usage error.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../config/serve-config.ts';
import { checkLog, NotALogError, repairLog, type LogCheck, type LogProblem, type LogRepair } from '../../log/log-check.ts';

/** The exit code of `check` for what it found. */
export function checkExitCode(check: LogCheck): number {
  return check.status === 'damaged' ? 1 : 0;
}

const KIND_NAMES: Record<LogProblem['kind'], string> = { 'torn-tail': 'torn tail', damaged: 'damaged', gap: 'gap between segments' };

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function problemLine(problem: LogProblem): string {
  const size = problem.kind === 'gap' ? '' : ` (${plural(problem.bytes, 'byte')})`;
  return `  ${problem.file} byte ${problem.offset}: ${KIND_NAMES[problem.kind]}${size}: ${problem.reason}`;
}

export function formatCheck(check: LogCheck): string {
  const lines = [`commit log ${check.dir}${check.logId ? ` (log id ${check.logId})` : ' (no log-id file)'}`];
  for (const segment of check.segments) {
    const padding = segment.paddingRecords > 0 ? ` (${segment.paddingRecords} padding from a repair)` : '';
    lines.push(`${segment.file}  ${plural(segment.records, 'record')}${padding}  ${plural(segment.bytes, 'byte')}`);
    for (const problem of segment.problems) lines.push(problemLine(problem));
  }
  const counts = (['damaged', 'gap', 'torn-tail'] as const)
    .map((kind) => [kind, check.problems.filter((problem) => problem.kind === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${KIND_NAMES[kind]}`);
  const verdict = {
    clean: 'clean',
    'torn-tail': 'only the last segment ends in a torn write, which the server cuts off by itself at start',
    damaged: check.problems.some((problem) => problem.kind === 'gap')
      ? 'damaged: the server refuses to start; a missing segment cannot be repaired'
      : `damaged: the server refuses to start; "logistis log repair --log-dir ${check.dir}" keeps the good records`,
  }[check.status];
  lines.push(`summary: ${plural(check.segments.length, 'segment')}, ${plural(check.records, 'record')}, ${plural(check.bytes, 'byte')}; ${counts.length > 0 ? `${counts.join(', ')}; ` : ''}${verdict}`);
  return lines.join('\n');
}

export function formatRepair(repair: LogRepair): string {
  if (repair.outcome === 'clean') return `${formatCheck(repair.before)}\nrepair: nothing to repair`;
  if (repair.outcome === 'refused') return `${formatCheck(repair.before)}\nrepair refused: ${repair.refusal}`;
  const lines = [`repaired commit log ${repair.dir}`];
  for (const segment of repair.segments) {
    const extras = [
      segment.paddingRecords > 0 ? `${segment.paddingRecords} padding written in their place` : '',
      segment.droppedGoodRecords > 0 ? `${plural(segment.droppedGoodRecords, 'good record')} given up with a damaged stretch too short for padding` : '',
      segment.cutBytes > 0 ? `torn tail of ${plural(segment.cutBytes, 'byte')} cut off` : '',
    ].filter(Boolean);
    lines.push(`${segment.file}  kept ${plural(segment.keptRecords, 'record')} (${plural(segment.keptBytes, 'byte')}), dropped ${plural(segment.droppedRecords, 'record')} (${plural(segment.droppedBytes + segment.cutBytes, 'byte')})${extras.length > 0 ? `; ${extras.join('; ')}` : ''}`);
  }
  lines.push(`total: kept ${plural(repair.keptRecords, 'record')} (${plural(repair.keptBytes, 'byte')}), dropped ${plural(repair.droppedRecords, 'record')} (${plural(repair.droppedBytes, 'byte')}); every kept record keeps its position, so the store's cursor stays valid`);
  if (repair.after) lines.push(`after repair: ${repair.after.status}`);
  return lines.join('\n');
}

/** Commander's usage errors exit 2 here, like the other usage errors of these commands. */
function usageExit(error: CommanderError): never {
  throw error.exitCode === 1 ? new CommanderError(2, error.code, error.message) : error;
}

function run<T>(dir: string, action: (dir: string) => T): T {
  try {
    return action(dir);
  } catch (error) {
    if (error instanceof NotALogError) throw new ConfigError(error.message);
    throw error;
  }
}

export function logCommand(): Command {
  const log = new Command('log').description('check or repair the commit log (--log-dir of serve), without a store').exitOverride(usageExit);
  log.addCommand(new Command('check')
    .description('scan every segment and list every torn or damaged record and missing segment; changes nothing')
    .requiredOption('--log-dir <dir>', 'the commit log directory')
    .option('--json', 'print the findings as one JSON document')
    .exitOverride(usageExit)
    .action((flags: { logDir: string; json?: boolean }) => {
      const check = run(flags.logDir, checkLog);
      console.log(flags.json ? JSON.stringify(check, null, 2) : formatCheck(check));
      process.exitCode = checkExitCode(check);
    }));
  log.addCommand(new Command('repair')
    .description('keep every good record at its position, replace damaged ones by padding, cut a torn tail (stop the server first)')
    .requiredOption('--log-dir <dir>', 'the commit log directory')
    .option('--json', 'print what was kept and dropped as one JSON document')
    .exitOverride(usageExit)
    .action((flags: { logDir: string; json?: boolean }) => {
      const repair = run(flags.logDir, repairLog);
      console.log(flags.json ? JSON.stringify(repair, null, 2) : formatRepair(repair));
      process.exitCode = repair.outcome === 'refused' || repair.after?.status === 'damaged' ? 1 : 0;
    }));
  return log;
}
