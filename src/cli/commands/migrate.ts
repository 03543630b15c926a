// `logistis migrate --from sqlite:PATH --to postgres://…`: copies a store, with a progress bar; run it again
// after an interruption and it goes on where it stopped.
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { ConfigError } from '../../config/serve-config.ts';
import { parseStoreSpec } from '../../store/index.ts';
import { PostgresEventStore } from '../../store/postgres/postgres-store.ts';
import { copySqliteStore } from '../../store/copy.ts';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('copy the events of a SQLite store into a PostgreSQL store (resumable: run it again to go on)')
    .requiredOption('--from <store>', 'the store to copy: sqlite:PATH')
    .requiredOption('--to <store>', 'the store to copy into: postgres://… (PG* environment variables apply)')
    .option('--password-file <file>', 'file holding the PostgreSQL password')
    .option('--batch-size <n>', 'events per transaction', '1000')
    .option('--no-progress', 'print no progress bar')
    .action(async (flags: { from: string; to: string; passwordFile?: string; batchSize: string; progress: boolean }) => {
      const spec = (flag: string, value: string) => {
        try {
          return parseStoreSpec(value);
        } catch (error) {
          throw new ConfigError(`${flag}: ${(error as Error).message.replace(/^--store /, '')}`);
        }
      };
      const from = spec('--from', flags.from);
      const to = spec('--to', flags.to);
      if (from.driver !== 'sqlite') throw new ConfigError('--from: must be sqlite:PATH');
      if (to.driver !== 'postgres') throw new ConfigError('--to: must be postgres://…');
      const batchSize = Number(flags.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError(`--batch-size: must be a whole number of at least 1, got "${flags.batchSize}"`);
      // The source already kept its limits; the copy keeps everything it holds.
      const target = await PostgresEventStore.open(
        { url: to.location, poolSize: 2, ...(flags.passwordFile ? { passwordFile: flags.passwordFile } : {}) },
        { maxEventsPerObject: Number.MAX_SAFE_INTEGER, maxAgeMs: Number.MAX_SAFE_INTEGER },
      );
      const bar = flags.progress && process.stderr.isTTY
        ? new SingleBar({ format: 'copying [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic)
        : undefined;
      let started = false;
      try {
        const result = await copySqliteStore(from.location, target, ({ copied, total }) => {
          if (!bar) return;
          if (!started) {
            bar.start(total, copied);
            started = true;
          } else bar.update(copied);
        }, batchSize);
        bar?.stop();
        const resumed = result.resumedAfter > 0 ? ` (resumed after source event ${result.resumedAfter})` : '';
        console.log(`copied ${result.copied} events from ${flags.from}${resumed}`);
      } finally {
        bar?.stop();
        await target.close();
      }
    });
}
