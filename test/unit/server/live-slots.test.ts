// The live-stream caps' bookkeeping: per server, per caller, and a released slot is free again.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LiveStreamSlots } from '../../../src/server/routes/live.ts';

describe('live stream slots', () => {
  it('refuses a caller over its own cap, then anyone over the server cap', () => {
    const slots = new LiveStreamSlots({ perServer: 3, perUser: 2 });
    assert.equal(slots.take('user alice'), null);
    assert.equal(slots.take('user alice'), null);
    assert.equal(slots.take('user alice'), 'user');
    assert.equal(slots.take('user bob'), null);
    assert.equal(slots.take('user carol'), 'server');
    assert.equal(slots.open, 3, 'a refusal takes nothing');
  });

  it('frees a slot on release, and ignores a release of nothing held', () => {
    const slots = new LiveStreamSlots({ perServer: 2, perUser: 1 });
    assert.equal(slots.take('user alice'), null);
    assert.equal(slots.take('user alice'), 'user');
    slots.release('user alice');
    slots.release('user alice');
    slots.release('user nobody');
    assert.equal(slots.open, 0);
    assert.equal(slots.take('user alice'), null);
    assert.equal(slots.take('user bob'), null);
    assert.equal(slots.take('user carol'), 'server');
  });
});
