// The one error type of kubectl-blame: every failure a person can act on becomes a BlameError with a message
// that says what went wrong and what to do, and the exit code. Only src/cli/kubectl-blame.ts prints them.

/** The command line was wrong (unknown flag, bad value, flags that do not go together): like kubectl, 2. */
export const EXIT_USAGE = 2;
/** Anything else that stopped us (not installed, forbidden, not found, unreachable). */
export const EXIT_FAILURE = 1;

export class BlameError extends Error {
  override name = 'BlameError';
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A usage error: the message, and the exit code 2. */
export function usageError(message: string): BlameError {
  return new BlameError(message, EXIT_USAGE);
}
