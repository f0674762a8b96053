import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DatagramSocket,
  encodeFrame,
  InvalidArgumentError,
  SocketError,
  StreamServer,
  StreamSocket,
} from '../../src/index.js';
import { FaultPlan } from '../../src/chaos/fault-plan.js';
import { within } from '../helpers/bounded.js';

/** Asserts that `error` is the InvalidArgumentError for `argument`, with its parts filled in. */
function assertInvalid(error: unknown, argument: string, actual: unknown): true {
  assert.ok(error instanceof InvalidArgumentError, `an InvalidArgumentError, got ${String(error)}`);
  assert.ok(error instanceof SocketError);
  assert.equal(error.name, 'InvalidArgumentError');
  assert.equal(error.code, 'ERR_INVALID_ARGUMENT');
  assert.equal(error.argument, argument);
  assert.equal(error.actual, actual);
  assert.equal(
    error.message,
    `${argument} must be ${error.expected}, got ${JSON.stringify(actual)}`,
  );
  return true;
}

describe('InvalidArgumentError: one class and one wording for every bad argument', () => {
  it('is what a bad family, a bad prefix and a bad probability throw alike', async () => {
    await assert.rejects(DatagramSocket.bind(0, { family: 'IPv5' as never }), (error) =>
      assertInvalid(error, 'family', 'IPv5'),
    );
    await assert.rejects(StreamServer.listen(0, { family: 'IPv5' as never }), (error) =>
      assertInvalid(error, 'family', 'IPv5'),
    );
    assert.throws(
      () => encodeFrame('x', { prefix: 'u16' as never }),
      (error) => assertInvalid(error, 'prefix', 'u16'),
    );
    assert.throws(
      () => new FaultPlan({ loss: 2 }),
      (error) => assertInvalid(error, 'loss', 2),
    );
  });

  it('names what was expected: the range of an integer, the values of a choice', () => {
    assert.throws(() => encodeFrame('x', { prefix: 'u16' as never }), {
      message: `prefix must be 'uint16be', 'uint32be' or 'varint', got "u16"`,
    });
    assert.throws(
      () => encodeFrame('x', { maxMessageSize: -1 }),
      /^InvalidArgumentError: maxMessageSize must be an integer from 0 to \d+, got -1$/,
    );
  });

  it('rejects a bad timeout before any wait, the same from every socket', async () => {
    const socket = await DatagramSocket.bind('127.0.0.1:0');
    const server = await StreamServer.listen('127.0.0.1:0');
    try {
      const timeout = -5;
      await assert.rejects(socket.recvFrom(10, { timeout }), (error) =>
        assertInvalid(error, 'timeout', timeout),
      );
      await assert.rejects(server.accept({ timeout }), (error) =>
        assertInvalid(error, 'timeout', timeout),
      );
      await assert.rejects(
        within(StreamSocket.connect(server.localEndpoint, { timeout }), 5000, 'connect'),
        (error) => assertInvalid(error, 'timeout', timeout),
      );
    } finally {
      await Promise.all([socket.close(), server.close()]);
    }
  });
});
