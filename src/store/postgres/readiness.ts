// Whether the PostgreSQL store can serve: a database that cannot be reached at start is retried in the background
// while the server runs (fail open, not ready); one that refuses us (authentication, a newer schema) is an error.
import { describeUrl } from './connection.ts';

const RETRY_MS = 2000;

/**
 * The database could not be reached (refused, unresolvable, timed out, starting up or shutting down), as
 * opposed to refusing us (authentication, a missing database, a newer schema), which no retry fixes.
 */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03'].includes(code)) return true;
  return /timeout|Connection terminated/i.test((error as Error).message);
}

/** Prepares the database (migrations, partitions) until it once succeeds; says why the store is not ready meanwhile. */
export class Readiness {
  /** Set while the schema is not known to be current (the database was unreachable at start): why. */
  notReady: string | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly url: string;
  private readonly prepare: () => Promise<void>;

  constructor(url: string, prepare: () => Promise<void>) {
    this.url = url;
    this.prepare = prepare;
  }

  /** Prepares now; an unreachable database leaves the store not ready and retried, any other failure throws. */
  async start(): Promise<void> {
    try {
      await this.prepare();
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      this.notReady = this.unreachable(error);
      this.retry();
    }
  }

  private unreachable(error: unknown): string {
    return `cannot reach ${describeUrl(this.url)}: ${(error as Error).message}`;
  }

  private retry(): void {
    this.retryTimer = setTimeout(() => {
      this.prepare().then(() => { this.notReady = null; }, (error: unknown) => {
        this.notReady = this.unreachable(error);
        if (!this.stopped) this.retry();
      });
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }
}
