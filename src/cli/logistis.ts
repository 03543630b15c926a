#!/usr/bin/env node
// `logistis`: one command per file under commands/; this is the one place that prints errors.
import { Command, CommanderError } from 'commander';
import { serveCommand } from './commands/serve.ts';
import { rulesCommand } from './commands/rules.ts';
import { webhookConfigCommand } from './commands/webhook-config.ts';
import { migrateCommand } from './commands/migrate.ts';
import { logCommand } from './commands/log.ts';
import { ConfigError } from '../config/serve-config.ts';

const program = new Command('logistis')
  .description('Records who changed what in a Kubernetes cluster, when and how.')
  .version(process.env['npm_package_version'] ?? '0.1.0')
  .exitOverride()
  .showHelpAfterError(false)
  .addCommand(serveCommand())
  .addCommand(rulesCommand())
  .addCommand(webhookConfigCommand())
  .addCommand(migrateCommand())
  .addCommand(logCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its own message (unknown flag, missing value, help).
    process.exit(error.exitCode);
  }
  const message = error instanceof Error ? error.message : String(error);
  console.error(`logistis: ${message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
