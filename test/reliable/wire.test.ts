import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodePacket,
  encodeAck,
  encodeData,
  encodeFin,
  encodeReset,
  encodeRetry,
  FLAG_FIRST,
  FLAG_LAST,
  PacketType,
  restamp,
  seqAdd,
  seqBefore,
} from '../../src/reliable/wire.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe('reliable protocol wire format', () => {
  it('matches the example of the protocol document byte for byte', () => {
    const hello = Buffer.from('hello');
    const first = encodeData(0x1234abcd, 0, 1_000_000, 0, FLAG_FIRST | FLAG_LAST, hello);
    assert.equal(
      first.toString('hex'),
      'd5520201' + '1234abcd' + '00000000' + '000f4240' + '00000000' + '03' + '68656c6c6f',
    );
    const retry = encodeRetry(0x1234abcd, 0x5eed0001);
    assert.equal(retry.toString('hex'), 'd5520205' + '1234abcd' + '5eed0001');
    const data = encodeData(0x1234abcd, 0, 1_000_400, 0x5eed0001, FLAG_FIRST | FLAG_LAST, hello);
    assert.equal(
      data.toString('hex'),
      'd5520201' + '1234abcd' + '00000000' + '000f43d0' + '5eed0001' + '03' + '68656c6c6f',
    );
    const ack = encodeAck(0x1234abcd, 1, 256, 1_000_400, 0x5eed0001, []);
    assert.equal(
      ack.toString('hex'),
      'd5520202' + '1234abcd' + '00000001' + '00000100' + '000f43d0' + '5eed0001' + '00',
    );
  });

  it('round-trips every packet type', () => {
    fc.assert(
      fc.property(
        u32,
        u32,
        u32,
        u32,
        fc.integer({ min: 0, max: 3 }),
        fc.uint8Array({ maxLength: 1300 }),
        (inc, seq, ts, epoch, flags, payload) => {
          const d = decodePacket(encodeData(inc, seq, ts, epoch, flags, payload));
          assert.deepEqual(d, {
            type: PacketType.Data,
            incarnation: inc,
            seq,
            timestamp: ts,
            epoch,
            flags,
            payload: Buffer.from(payload),
          });
          assert.deepEqual(decodePacket(encodeFin(inc, seq, ts, epoch)), {
            type: PacketType.Fin,
            incarnation: inc,
            seq,
            timestamp: ts,
            epoch,
          });
          assert.deepEqual(decodePacket(encodeReset(inc)), {
            type: PacketType.Reset,
            incarnation: inc,
          });
          assert.deepEqual(decodePacket(encodeRetry(inc, epoch)), {
            type: PacketType.Retry,
            incarnation: inc,
            epoch,
          });
        },
      ),
    );
    fc.assert(
      fc.property(
        u32,
        u32,
        u32,
        u32,
        u32,
        fc.array(fc.record({ start: u32, end: u32 }), { maxLength: 32 }),
        (inc, cum, win, echo, epoch, blocks) => {
          assert.deepEqual(decodePacket(encodeAck(inc, cum, win, echo, epoch, blocks)), {
            type: PacketType.Ack,
            incarnation: inc,
            cumulative: cum,
            window: win,
            echo,
            epoch,
            blocks: blocks.map((b) => ({ ...b })),
          });
        },
      ),
    );
  });

  it('rewrites the timestamp of a datagram sent again', () => {
    const data = encodeData(1, 2, 3, 4, FLAG_FIRST, Buffer.from('x'));
    restamp(data, 99);
    assert.equal((decodePacket(data) as { timestamp: number }).timestamp, 99);
  });

  it('decodes foreign and malformed datagrams to null', () => {
    assert.equal(decodePacket(Buffer.alloc(0)), null);
    assert.equal(decodePacket(Buffer.from('[2024-02-03T12:15:00] Alice:\n\thi')), null);
    const good = encodeAck(1, 2, 3, 4, 5, [{ start: 5, end: 6 }]);
    assert.equal(decodePacket(good.subarray(0, good.length - 1)), null, 'truncated SACK');
    const badVersion = Buffer.from(good);
    badVersion[2] = 1;
    assert.equal(decodePacket(badVersion), null);
    const badType = Buffer.from(encodeReset(1));
    badType[3] = 9;
    assert.equal(decodePacket(badType), null);
    const badFlags = encodeData(1, 2, 3, 4, 0, Buffer.alloc(0));
    badFlags[20] = 0x80;
    assert.equal(decodePacket(badFlags), null);
    const tooManyBlocks = Buffer.from(encodeAck(1, 2, 3, 4, 5, []));
    tooManyBlocks[24] = 200;
    assert.equal(decodePacket(encodeRetry(1, 2).subarray(0, 11)), null, 'truncated RETRY');
    assert.equal(decodePacket(tooManyBlocks), null);
  });

  it('never throws on random or mutated datagrams (fuzz)', () => {
    const seeds = [
      encodeData(7, 8, 9, 10, 3, Buffer.from('payload')),
      encodeAck(7, 8, 9, 10, 11, [
        { start: 9, end: 12 },
        { start: 20, end: 30 },
      ]),
      encodeFin(7, 8, 9, 10),
      encodeReset(7),
      encodeRetry(7, 8),
    ];
    const mutated = fc
      .tuple(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
        fc.nat(64),
      )
      .map(([seed, edits, cut]) => {
        const copy = Buffer.from(seed);
        for (const [at, value] of edits) copy[at % copy.length] = value;
        return copy.subarray(0, Math.max(0, copy.length - (cut % 4 === 0 ? cut % copy.length : 0)));
      });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
          mutated,
        ),
        (datagram) => {
          const packet = decodePacket(datagram);
          if (packet !== null) assert.ok([1, 2, 3, 4, 5].includes(packet.type));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('compares sequence numbers across the 32-bit wrap', () => {
    assert.ok(seqBefore(0xffffffff, 0));
    assert.ok(seqBefore(1, 2));
    assert.ok(!seqBefore(2, 1));
    assert.ok(!seqBefore(5, 5));
    assert.equal(seqAdd(0xffffffff, 2), 1);
  });
});
