import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Scoreboard } from '../../src/reliable/scoreboard.js';
import {
  decodePacket,
  encodeData,
  FLAG_FIRST,
  FLAG_LAST,
  type DataPacket,
} from '../../src/reliable/wire.js';

/** The timestamp and epoch a DATA datagram carries. */
function stampsOf(datagram: Buffer): { timestamp: number; epoch: number } {
  const packet = decodePacket(datagram) as DataPacket;
  return { timestamp: packet.timestamp, epoch: packet.epoch };
}

describe('Scoreboard: what a send hands out is never written again', () => {
  it('a segment sent again, or given a new epoch, is a copy: the bytes of the earlier send stay as they were sent', () => {
    const board = new Scoreboard();
    board.push(encodeData(7, 0, 0, 1, FLAG_FIRST | FLAG_LAST, Buffer.from('hello')));
    const first = board.sendNext(1000);
    const sent = Buffer.from(first);
    // A send may still hold `first` (the native path sends at the next tick; a full socket
    // queues it): it must leave as it was when it was handed out.
    board.markAllLost();
    const again = board.resend(board.nextLost(), 2000);
    assert.notEqual(again, first);
    assert.deepEqual(first, sent);
    assert.notEqual(stampsOf(again).timestamp, stampsOf(first).timestamp);

    board.setEpoch(9);
    assert.equal(stampsOf(again).epoch, 1, 'the resent datagram kept its epoch');
    const probe = board.resendNewest(3000);
    assert.equal(stampsOf(probe).epoch, 9);
    assert.deepEqual(first, sent);
    assert.equal(decodePacket(probe)?.type, decodePacket(first)?.type);
  });
});
