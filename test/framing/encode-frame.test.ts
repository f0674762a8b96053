import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, FrameDecoder, FrameWriter, MessageTooLargeError } from '../../src/index.js';

describe('encodeFrame', () => {
  it("writes Python's struct.pack('>H') and ('>I') prefixes", () => {
    assert.deepEqual(
      encodeFrame('hi', { prefix: 'uint16be' }),
      Buffer.from('0002' + '6869', 'hex'),
    );
    assert.deepEqual(
      encodeFrame(Buffer.alloc(258, 1), { prefix: 'uint16be' }).subarray(0, 2),
      Buffer.from('0102', 'hex'),
    );
    assert.deepEqual(encodeFrame('hi', { prefix: 'uint32be' }), Buffer.from('000000026869', 'hex'));
    assert.deepEqual(encodeFrame('hi'), Buffer.from('000000026869', 'hex'), 'uint32be by default');
  });

  it('writes unsigned LEB128 varint prefixes', () => {
    const prefixOf = (length: number): string => {
      const frame = encodeFrame(Buffer.alloc(length), { prefix: 'varint' });
      return frame.subarray(0, frame.length - length).toString('hex');
    };
    assert.equal(prefixOf(0), '00');
    assert.equal(prefixOf(1), '01');
    assert.equal(prefixOf(127), '7f');
    assert.equal(prefixOf(128), '8001');
    assert.equal(prefixOf(300), 'ac02');
    assert.equal(prefixOf(16_384), '808001');
  });

  it('encodes text as UTF-8 and counts its bytes, not its characters', () => {
    const frame = encodeFrame('héllo €', { prefix: 'uint16be' });
    assert.equal(frame.readUInt16BE(0), Buffer.byteLength('héllo €'));
    assert.equal(frame.subarray(2).toString('utf8'), 'héllo €');
  });

  it('frames an empty message as a bare prefix', () => {
    assert.deepEqual(encodeFrame('', { prefix: 'uint16be' }), Buffer.from('0000', 'hex'));
    assert.deepEqual(
      encodeFrame(new Uint8Array(0), { prefix: 'varint' }),
      Buffer.from('00', 'hex'),
    );
  });

  it('refuses a message the 2-byte prefix cannot carry, naming the limit', () => {
    assert.equal(encodeFrame(Buffer.alloc(65_535), { prefix: 'uint16be' }).length, 65_537);
    assert.throws(
      () => encodeFrame(Buffer.alloc(65_536), { prefix: 'uint16be' }),
      (error: unknown) =>
        error instanceof MessageTooLargeError &&
        error.size === 65_536 &&
        error.limit === 65_535 &&
        /uint16be length prefix cannot express more than 65535 bytes/.test(error.message),
    );
  });

  it('refuses a message over maxMessageSize, whatever the prefix', () => {
    for (const prefix of ['uint16be', 'uint32be', 'varint'] as const) {
      assert.equal(encodeFrame('x'.repeat(10), { prefix, maxMessageSize: 10 }).length > 10, true);
      assert.throws(
        () => encodeFrame('x'.repeat(11), { prefix, maxMessageSize: 10 }),
        (error: unknown) =>
          error instanceof MessageTooLargeError &&
          error.size === 11 &&
          error.limit === 10 &&
          /maxMessageSize/.test(error.message),
      );
    }
  });

  it('refuses unusable options with an error that names them', () => {
    assert.throws(() => encodeFrame('x', { maxMessageSize: -1 }), /maxMessageSize must be/);
    assert.throws(() => encodeFrame('x', { maxMessageSize: 1.5 }), /maxMessageSize must be/);
    assert.throws(() => encodeFrame('x', { maxMessageSize: 2 ** 40 }), /maxMessageSize must be/);
    assert.throws(
      () => encodeFrame('x', { prefix: 'u16' as 'uint16be' }),
      /prefix must be 'uint16be', 'uint32be' or 'varint', got "u16"/,
    );
    assert.throws(() => new FrameDecoder({ maxMessageSize: NaN }), /maxMessageSize must be/);
    const sink = { write: (): boolean => true };
    assert.throws(() => new FrameWriter(sink, { batchSize: 0 }), /batchSize must be/);
    assert.throws(() => new FrameWriter(sink, { highWaterMark: -5 }), /highWaterMark must be/);
  });
});
