// The request uids the SQLite writer stored in the last few minutes, so that a retried review (the API server
// sends the same uid again after a timeout or a dropped connection) is stored once. It replaces a unique index on
// events.request_uid: the API server's uids are random, so that index dirtied one page per insert wherever it
// landed, and its cost grew with the store (docs/adr/0015-recent-request-uids.md). Pure; the clock is passed in.
//
// Each uid is kept as its 128 bits (a lower-case uuid's hex digits, or an MD5 of any other string) in an
// open-addressing table of 17 bytes a slot (the bits, and whether the slot is used), in two generations: lookups see both, and when the newer one is `windowMs` old the
// older is dropped. A uid is remembered for at least `windowMs` and at most twice that.
import { createHash } from 'node:crypto';

// Lower case only, as the API server writes them: a uid is its exact string (an upper-case spelling is another uid).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INITIAL_SLOTS = 1024;

/**
 * How long the writer remembers a request uid at least (at most twice that): the API server retries a webhook call
 * within its request's own timeout (60 s by default), so a retry comes well inside it.
 */
export const RETRY_WINDOW_MS = 120_000;

/** A uid's 128 bits as four 32-bit words. */
function keyOf(uid: string, into: Uint32Array): void {
  if (UUID.test(uid)) {
    into[0] = Number.parseInt(uid.slice(0, 8), 16);
    into[1] = Number.parseInt(uid.slice(9, 13) + uid.slice(14, 18), 16);
    into[2] = Number.parseInt(uid.slice(19, 23) + uid.slice(24, 28), 16);
    into[3] = Number.parseInt(uid.slice(28, 36), 16);
    return;
  }
  // Not a uuid (other clients, tests): its digest, which differs from every uuid's bits but with negligible chance.
  const digest = createHash('md5').update(uid).digest();
  for (let i = 0; i < 4; i++) into[i] = digest.readUInt32BE(i * 4);
}

class UidTable {
  readonly startedMs: number;
  private words: Uint32Array;
  private used: Uint8Array;
  private slots: number;
  size = 0;

  constructor(startedMs: number, slots = INITIAL_SLOTS) {
    this.startedMs = startedMs;
    this.slots = slots;
    this.words = new Uint32Array(slots * 4);
    this.used = new Uint8Array(slots);
  }

  /** The slot that holds this key, or the empty one where it would go. */
  private slotOf(key: Uint32Array): number {
    const mask = this.slots - 1;
    // The low word of a uuid is random already; mixing the others in keeps non-random uids apart.
    let slot = (Math.imul(key[0]! ^ key[3]!, 0x9e3779b1) ^ key[1]! ^ key[2]!) & mask;
    for (;;) {
      if (this.used[slot] === 0) return slot;
      const at = slot * 4;
      if (this.words[at] === key[0] && this.words[at + 1] === key[1] && this.words[at + 2] === key[2] && this.words[at + 3] === key[3]) return slot;
      slot = (slot + 1) & mask;
    }
  }

  has(key: Uint32Array): boolean {
    return this.used[this.slotOf(key)] === 1;
  }

  add(key: Uint32Array): void {
    const slot = this.slotOf(key);
    if (this.used[slot] === 1) return;
    this.used[slot] = 1;
    this.words.set(key, slot * 4);
    this.size++;
    if (this.size * 4 > this.slots * 3) this.grow();
  }

  private grow(): void {
    const { words, used, slots } = this;
    this.slots = slots * 2;
    this.words = new Uint32Array(this.slots * 4);
    this.used = new Uint8Array(this.slots);
    this.size = 0;
    const key = new Uint32Array(4);
    for (let slot = 0; slot < slots; slot++) {
      if (used[slot] === 0) continue;
      key.set(words.subarray(slot * 4, slot * 4 + 4));
      this.add(key);
    }
  }

  get bytes(): number {
    return this.words.byteLength + this.used.byteLength;
  }
}

export class RecentRequestUids {
  readonly windowMs: number;
  private current: UidTable;
  private previous: UidTable | null = null;
  private readonly key = new Uint32Array(4);

  constructor(windowMs: number, nowMs: number) {
    if (!(windowMs > 0)) throw new Error(`recent request uids: window ${windowMs} ms must be positive`);
    this.windowMs = windowMs;
    this.current = new UidTable(nowMs);
  }

  private rotate(nowMs: number): void {
    if (nowMs - this.current.startedMs < this.windowMs) return;
    // Idle for two windows or more: the newer generation is as stale as the older one.
    this.previous = nowMs - this.current.startedMs < 2 * this.windowMs ? this.current : null;
    this.current = new UidTable(nowMs);
  }

  has(uid: string, nowMs: number): boolean {
    this.rotate(nowMs);
    keyOf(uid, this.key);
    return this.current.has(this.key) || (this.previous?.has(this.key) ?? false);
  }

  add(uid: string, nowMs: number): void {
    this.rotate(nowMs);
    keyOf(uid, this.key);
    this.current.add(this.key);
  }

  /** Uids remembered (both generations) and the bytes their tables take, for tests and the bench. */
  get stats(): { uids: number; bytes: number } {
    return {
      uids: this.current.size + (this.previous?.size ?? 0),
      bytes: this.current.bytes + (this.previous?.bytes ?? 0),
    };
  }
}
