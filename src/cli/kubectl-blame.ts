#!/usr/bin/env node
// `kubectl blame` (also installed as `kubectl logistis`): who changed what in the cluster, read from logistis
// through the Kubernetes API server with the user's own credentials. This is the one place that prints errors.
import { BlameError, EXIT_FAILURE } from './blame/errors.ts';
import { openSession } from './blame/kube-client.ts';
import { commandName, parseArguments } from './blame/options.ts';
import { runBlame } from './blame/run.ts';
import { LOCK_COMMANDS, parseLockCommand, runLockCommand } from './blame/lock-commands.ts';
import { outputWidth, useColour } from './blame/terminal.ts';

const cmd = commandName(process.env);

// A closed pipe (`kubectl blame ... | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

try {
  const now = Date.now();
  const argv = process.argv.slice(2);
  const lockRequest = (LOCK_COMMANDS as readonly string[]).includes(argv[0] ?? '') ? parseLockCommand(argv, (text) => process.stdout.write(text)) : undefined;
  if (lockRequest) await runLockCommand(lockRequest, await openSession(lockRequest.connection), (line) => process.stdout.write(`${line}\n`), now, (line) => process.stderr.write(`${line}\n`));
  const request = lockRequest !== undefined ? null : parseArguments(process.argv.slice(2), { env: process.env, now, writeOut: (text) => process.stdout.write(text) });
  if (request !== null) {
    const facts = { env: process.env, isTTY: process.stdout.isTTY === true, columns: process.stdout.columns };
    const out: string[] = [];
    await runBlame(request, {
      session: await openSession(request.connection),
      now,
      colour: useColour(request.color, facts),
      width: outputWidth(facts),
      output: {
        out: (line) => out.push(line),
        note: (line) => process.stderr.write(`${line}\n`),
      },
    });
    // Written at once, after every request succeeded: a failure never leaves half a manifest on stdout.
    if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
  }
} catch (error) {
  if (error instanceof BlameError) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.exitCode === 2) process.stderr.write(`See '${cmd} --help' for usage.\n`);
    process.exitCode = error.exitCode;
  } else {
    // A bug, not a situation we foresaw: say so, with the stack, so it can be reported.
    process.stderr.write(`error: ${cmd} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}
