// One timer per Lock's expiry, so its status says Expired when it expires rather than at the next resync.
// Enforcement needs no timer (matching compares the expiry with the time of each request); the status does.
/** setTimeout's largest delay (about 24.8 days); a longer one would fire at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** Timers can fire a millisecond early; the Lock must already be expired when we look. */
const MARGIN_MS = 5;

export class ExpiryTimers {
  readonly #onExpiry: (name: string) => void;
  readonly #now: () => number;
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();

  constructor(onExpiry: (name: string) => void, now: () => number = Date.now) {
    this.#onExpiry = onExpiry;
    this.#now = now;
  }

  /** Arms a timer for each Lock (name → expiry, ms since the epoch) that expires in the future; drops the rest. */
  set(expiries: ReadonlyMap<string, number>): void {
    const now = this.#now();
    for (const [name, armed] of this.#timers) {
      if (expiries.get(name) !== armed.at) this.#clear(name);
    }
    for (const [name, at] of expiries) {
      if (at > now && !this.#timers.has(name)) this.#arm(name, at);
    }
  }

  /** Names with a timer armed (for tests and health). */
  armed(): string[] {
    return [...this.#timers.keys()];
  }

  stop(): void {
    for (const name of [...this.#timers.keys()]) this.#clear(name);
  }

  #arm(name: string, at: number): void {
    const delay = at - this.#now() + MARGIN_MS;
    const timer = setTimeout(() => {
      this.#timers.delete(name);
      if (this.#now() < at) this.#arm(name, at); // a step of a long wait
      else this.#onExpiry(name);
    }, Math.min(Math.max(delay, 0), MAX_DELAY_MS));
    timer.unref();
    this.#timers.set(name, { at, timer });
  }

  #clear(name: string): void {
    clearTimeout(this.#timers.get(name)?.timer);
    this.#timers.delete(name);
  }
}
