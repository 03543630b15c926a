// The commit log's frame scan (src/log/frame.ts): records found in order, a torn tail told from damage in the middle,
// and the padding records that `logistis log repair` writes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, FRAME_HEADER_BYTES, isPadding, MAX_PAYLOAD_BYTES, nextGoodFrame, paddingFrames, scanFrames } from '../../../src/log/frame.ts';

const BASE = 1000;
const payloads = ['["a",1]\tfirst', '["b",2]\tsecond record', '["c",3]\tthird', '["d",4]\tfourth'].map((text) => Buffer.from(text));
const frames = payloads.map((payload, index) => encodeFrame(payload, 1_700_000_000_000 + index));
const whole = Buffer.concat(frames);
/** Offset of frame `index` in `whole`. */
const at = (index: number) => frames.slice(0, index).reduce((sum, frame) => sum + frame.length, 0);

describe('scanFrames', () => {
  it('reads back every encoded record with its position, end, time and payload', () => {
    const scan = scanFrames(whole, BASE);
    assert.equal(scan.problem, undefined);
    assert.equal(scan.goodEnd, BASE + whole.length);
    assert.deepEqual(scan.records.map((record) => record.payload.toString()), payloads.map((payload) => payload.toString()));
    assert.deepEqual(scan.records.map((record) => record.position), [0, 1, 2, 3].map((index) => BASE + at(index)));
    assert.deepEqual(scan.records.map((record) => record.end), [1, 2, 3, 4].map((index) => BASE + at(index)));
    assert.deepEqual(scan.records.map((record) => record.appendedAtMs), [0, 1, 2, 3].map((index) => 1_700_000_000_000 + index));
  });

  it('finds a torn tail when the last header is cut short', () => {
    const bytes = whole.subarray(0, at(3) + 10);
    const scan = scanFrames(bytes, BASE);
    assert.equal(scan.records.length, 3);
    assert.equal(scan.goodEnd, BASE + at(3));
    assert.deepEqual(scan.problem, { kind: 'torn', position: BASE + at(3), bytes: 10, reason: 'the record is cut short' });
  });

  it('finds a torn tail when the last payload is cut short', () => {
    const bytes = whole.subarray(0, whole.length - 1);
    const scan = scanFrames(bytes, BASE);
    assert.equal(scan.records.length, 3);
    assert.equal(scan.problem?.kind, 'torn');
    assert.equal(scan.problem?.position, BASE + at(3));
    assert.equal(scan.problem?.kind === 'torn' && scan.problem.bytes, frames[3]!.length - 1);
  });

  it('finds a torn tail in a zero-filled end (a file extended but never written)', () => {
    const bytes = Buffer.concat([whole, Buffer.alloc(4096)]);
    const scan = scanFrames(bytes, BASE);
    assert.equal(scan.records.length, 4);
    assert.equal(scan.problem?.kind, 'torn');
    assert.equal(scan.problem?.kind === 'torn' && scan.problem.bytes, 4096);
    assert.match(scan.problem.reason, /bad magic/);
  });

  it('does not call an incomplete end torn when the bytes are only part of a segment', () => {
    const scan = scanFrames(whole.subarray(0, whole.length - 1), BASE, false);
    assert.equal(scan.problem, undefined);
    assert.equal(scan.records.length, 3);
    assert.equal(scan.goodEnd, BASE + at(3));
  });

  it('calls a bad record followed by a good one damage, and names where the good one starts', () => {
    const bytes = Buffer.from(whole);
    bytes[at(1) + FRAME_HEADER_BYTES + 2]! ^= 0xff;
    const scan = scanFrames(bytes, BASE);
    assert.equal(scan.records.length, 1);
    assert.equal(scan.goodEnd, BASE + at(1));
    assert.deepEqual(scan.problem, { kind: 'damaged', position: BASE + at(1), reason: 'its checksum does not match', nextGoodPosition: BASE + at(2) });
    assert.equal(nextGoodFrame(bytes, at(1) + 1, BASE), at(2));
  });

  it('rejects a bad length field without reading past it', () => {
    const differing = Buffer.from(whole);
    differing.writeUInt32BE(1_000_000, at(1) + 4);
    assert.deepEqual(scanFrames(differing, BASE).problem, { kind: 'damaged', position: BASE + at(1), reason: 'its two length fields differ', nextGoodPosition: BASE + at(2) });

    const huge = Buffer.from(whole);
    huge.writeUInt32BE(MAX_PAYLOAD_BYTES + 1, at(1) + 4);
    huge.writeUInt32BE(MAX_PAYLOAD_BYTES + 1, at(1) + 20);
    const hugeScan = scanFrames(huge, BASE);
    assert.equal(hugeScan.problem?.kind, 'damaged');
    assert.match(hugeScan.problem.reason, /over the limit/);

    // Both length fields changed alike: the checksum (which covers the second) catches it.
    const consistent = Buffer.from(whole);
    consistent.writeUInt32BE(3, at(1) + 4);
    consistent.writeUInt32BE(3, at(1) + 20);
    assert.deepEqual(scanFrames(consistent, BASE).problem, { kind: 'damaged', position: BASE + at(1), reason: 'its checksum does not match', nextGoodPosition: BASE + at(2) });
  });

  it('calls a bad last record with nothing good after it torn, not damaged', () => {
    const bytes = Buffer.from(whole);
    bytes[at(3) + FRAME_HEADER_BYTES]! ^= 0x01;
    const scan = scanFrames(bytes, BASE);
    assert.equal(scan.problem?.kind, 'torn');
    assert.equal(scan.records.length, 3);
  });
});

describe('padding records', () => {
  it('fill exactly the bytes asked for, as valid frames whose payload marks them', () => {
    for (const size of [FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + 1, 4096]) {
      const padding = Buffer.concat(paddingFrames(size, 5));
      assert.equal(padding.length, size);
      const scan = scanFrames(padding, BASE);
      assert.equal(scan.problem, undefined);
      assert.equal(scan.records.length, 1);
      assert.ok(isPadding(scan.records[0]!.payload));
    }
    assert.throws(() => paddingFrames(FRAME_HEADER_BYTES - 1, 5), /at least 24 bytes/);
  });

  it('are never mistaken for an event row line', () => {
    for (const payload of payloads) assert.equal(isPadding(payload), false);
  });
});
