// The commit log's record frame, and the scan that finds records, a torn tail or damage in a segment's bytes. Pure:
// bytes in, records and findings out (docs/adr/0029-commit-log.md).
//
// A frame: magic "LGR1" (4 bytes) | payload length (u32 BE) | CRC-32 (u32 BE) of the 12 bytes after it and the
// payload | appended-at epoch milliseconds (f64 BE) | payload length (u32 BE, repeated) | payload. The magic lets a
// scan find the next record after a damaged one; the length is written twice so that a torn header is never read as
// a huge record; the CRC covers everything after itself.
import { crc32 } from 'node:zlib';

export const FRAME_MAGIC = 0x4c475231;
export const FRAME_HEADER_BYTES = 24;
/** The largest payload a frame may hold: one event row, its body included, is far smaller. */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

export interface LogRecord {
  /** The record's first byte in the log (segment start + offset). */
  position: number;
  /** The position right after the record: where the next one starts. */
  end: number;
  appendedAtMs: number;
  payload: Buffer;
}

export function frameBytes(payloadLength: number): number {
  return FRAME_HEADER_BYTES + payloadLength;
}

/** The frame header of one payload; the payload itself follows it unchanged (writev, no copy). */
export function frameHeader(payload: Buffer, appendedAtMs: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(FRAME_MAGIC, 0);
  header.writeUInt32BE(payload.length, 4);
  header.writeDoubleBE(appendedAtMs, 12);
  header.writeUInt32BE(payload.length, 20);
  header.writeUInt32BE(crc32(payload, crc32(header.subarray(12, 24))), 8);
  return header;
}

/** The frame of one payload as one buffer (tests, repair). */
export function encodeFrame(payload: Buffer, appendedAtMs: number): Buffer {
  return Buffer.concat([frameHeader(payload, appendedAtMs), payload]);
}

/**
 * A padding record: a valid frame whose payload is all zero bytes (or empty). `logistis log repair` writes one in
 * place of each damaged stretch so that every later record keeps its position (the store's cursor is a position).
 * An event row line (src/store/row-lines.ts) is JSON text and never empty, so it never starts with a zero byte;
 * readers skip padding records.
 */
export function isPadding(payload: Buffer): boolean {
  return payload.length === 0 || payload[0] === 0;
}

/** Padding frames filling exactly `totalBytes` (at least FRAME_HEADER_BYTES), split when over the payload limit. */
export function paddingFrames(totalBytes: number, appendedAtMs: number): Buffer[] {
  if (totalBytes < FRAME_HEADER_BYTES) throw new Error(`padding needs at least ${FRAME_HEADER_BYTES} bytes, got ${totalBytes}`);
  const frames: Buffer[] = [];
  let left = totalBytes;
  while (left > 0) {
    let size = Math.min(left, FRAME_HEADER_BYTES + MAX_PAYLOAD_BYTES);
    // The rest must still hold a whole frame.
    if (left - size > 0 && left - size < FRAME_HEADER_BYTES) size -= FRAME_HEADER_BYTES;
    frames.push(encodeFrame(Buffer.alloc(size - FRAME_HEADER_BYTES), appendedAtMs));
    left -= size;
  }
  return frames;
}

type FrameAt = { record: LogRecord } | { incomplete: true } | { invalid: string };

/** The frame starting at `offset` of `bytes`, if a whole, valid one is there. */
function frameAt(bytes: Buffer, offset: number, base: number): FrameAt {
  if (offset + FRAME_HEADER_BYTES > bytes.length) return { incomplete: true };
  if (bytes.readUInt32BE(offset) !== FRAME_MAGIC) return { invalid: 'no record starts here (bad magic)' };
  const length = bytes.readUInt32BE(offset + 4);
  if (length !== bytes.readUInt32BE(offset + 20)) return { invalid: 'its two length fields differ' };
  if (length > MAX_PAYLOAD_BYTES) return { invalid: `its length ${length} is over the limit` };
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > bytes.length) return { incomplete: true };
  const payload = bytes.subarray(offset + FRAME_HEADER_BYTES, end);
  const expected = bytes.readUInt32BE(offset + 8);
  if (crc32(payload, crc32(bytes.subarray(offset + 12, offset + 24))) !== expected) return { invalid: 'its checksum does not match' };
  return { record: { position: base + offset, end: base + end, appendedAtMs: bytes.readDoubleBE(offset + 12), payload } };
}

/** What a scan found after its last good record. */
export type ScanProblem =
  /** Bytes that hold no whole record and no good record after them: a write cut short (crash, power cut). */
  | { kind: 'torn'; position: number; bytes: number; reason: string }
  /** A bad record with good records after it: damage, which only an operator may decide to drop. */
  | { kind: 'damaged'; position: number; reason: string; nextGoodPosition: number };

export interface ScanResult {
  records: LogRecord[];
  /** The position right after the last good record before any problem. */
  goodEnd: number;
  problem?: ScanProblem;
}

/**
 * Reads every record of `bytes` (a segment's content starting at log position `base`), stopping at the first
 * problem. `complete`: the bytes are the whole rest of the segment, so an incomplete frame at the end is torn; when
 * false (a read of part of a segment), an incomplete frame at the end just ends the scan.
 */
export function scanFrames(bytes: Buffer, base: number, complete = true): ScanResult {
  const records: LogRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const found = frameAt(bytes, offset, base);
    if ('record' in found) {
      records.push(found.record);
      offset = found.record.end - base;
      continue;
    }
    if ('incomplete' in found && !complete) break;
    const reason = 'invalid' in found ? found.invalid : 'the record is cut short';
    const next = nextGoodFrame(bytes, offset + 1, base);
    const problem: ScanProblem = next === undefined
      ? { kind: 'torn', position: base + offset, bytes: bytes.length - offset, reason }
      : { kind: 'damaged', position: base + offset, reason, nextGoodPosition: base + next };
    return { records, goodEnd: base + offset, problem };
  }
  return { records, goodEnd: base + offset };
}

/** The offset of the next whole, valid frame at or after `from`, if any. */
export function nextGoodFrame(bytes: Buffer, from: number, base: number): number | undefined {
  const magic = Buffer.allocUnsafe(4);
  magic.writeUInt32BE(FRAME_MAGIC, 0);
  for (let at = bytes.indexOf(magic, from); at !== -1; at = bytes.indexOf(magic, at + 1)) {
    if ('record' in frameAt(bytes, at, base)) return at;
  }
  return undefined;
}
