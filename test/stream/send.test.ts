import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { connectedPair } from './pair.js';

describe('StreamSocket.sendAll', () => {
  it('encodes strings as utf8 unless told otherwise, and sends bytes as they are', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      await pair.client.sendAll('é');
      await pair.client.sendAll('é', { encoding: 'latin1' });
      await pair.client.sendAll(new Uint8Array([1, 2, 3]));
      await pair.client.sendAll('');
      await pair.client.sendAll(new Uint8Array(0));
      const got = await within(pair.peer.recvExactly(6), 5000, 'six bytes');
      assert.deepEqual([...got], [0xc3, 0xa9, 0xe9, 1, 2, 3]);
    } finally {
      await pair.close();
    }
  });

  it('rejects data that is not bytes or text, and unknown encodings, naming them', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      await assert.rejects(
        pair.client.sendAll(42 as never),
        (error: unknown) =>
          error instanceof InvalidArgumentError &&
          /data must be a string or a Uint8Array \(e.g. a Buffer\), got 42/.test(error.message),
      );
      // An object made with Uint8Array's prototype is not one: its length would throw.
      await assert.rejects(
        pair.client.sendAll(Object.create(Uint8Array.prototype) as never),
        (error: unknown) =>
          error instanceof InvalidArgumentError &&
          /^data must be a string or a Uint8Array/.test(error.message),
      );
      await assert.rejects(
        pair.client.sendAll('x', { encoding: 'klingon' as never }),
        (error: unknown) =>
          error instanceof InvalidArgumentError && /encoding .* "klingon"/.test(error.message),
      );
      // Nothing was sent by the failed calls.
      await pair.client.sendAll('ok');
      assert.equal((await within(pair.peer.recv(10), 5000, 'recv')).toString(), 'ok');
    } finally {
      await pair.close();
    }
  });
});
