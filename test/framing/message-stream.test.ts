import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { within } from '../helpers/bounded.js';
import {
  AbortError,
  encodeFrame,
  FrameTooLargeError,
  IncompleteReadError,
  MessageStream,
  MessageTooLargeError,
  ProtocolError,
  SocketClosedError,
  StreamSocket,
  TimeoutError,
  InvalidArgumentError,
} from '../../src/index.js';
import type { LengthPrefix, MessageConnection } from '../../src/index.js';
import { FrameCollector } from './loopback.js';
import { RawPeer, receiveAll, withPair, write } from './raw-peer.js';

describe('MessageStream over a loopback TCP connection', () => {
  const peer = new RawPeer();
  before(() => peer.listen('127.0.0.1'));
  after(() => peer.close());

  it('receives many frames that arrive in one segment, then a clean end', async () => {
    await withPair(peer, { prefix: 'uint16be' }, async (stream, socket) => {
      const sent = Array.from({ length: 2000 }, (_, i) => (i % 7 === 0 ? '' : `frame ${i}`));
      socket.end(Buffer.concat(sent.map((m) => encodeFrame(m, { prefix: 'uint16be' }))));
      assert.deepEqual(await receiveAll(stream), sent);
      assert.equal(await within(stream.recv(), 1_000, 'receive after end'), null);
    });
  });

  it('joins frames split across writes anywhere, prefix included', async () => {
    for (const prefix of ['uint16be', 'uint32be', 'varint'] as LengthPrefix[]) {
      await withPair(peer, { prefix }, async (stream, socket) => {
        const sent = ['', 'a', 'x'.repeat(300), 'y'.repeat(5000), 'last'];
        const bytes = Buffer.concat(sent.map((m) => encodeFrame(m, { prefix })));
        // Cut into pieces of 1, 2, 3, ... bytes, each written (and awaited) on its own.
        for (let at = 0, size = 1; at < bytes.length; at += size, size = (size % 97) + 1) {
          await write(socket, bytes.subarray(at, at + size));
        }
        socket.end();
        assert.deepEqual(await receiveAll(stream), sent, prefix);
      });
    }
  });

  it('holds back an incomplete message until its last byte comes', async () => {
    await withPair(peer, {}, async (stream, socket) => {
      const frame = encodeFrame('patience');
      await write(socket, frame.subarray(0, 6));
      await assert.rejects(stream.recv({ timeout: 100 }), TimeoutError);
      const controller = new AbortController();
      const aborted = stream.recv({ signal: controller.signal });
      controller.abort();
      await assert.rejects(aborted, AbortError);
      await write(socket, frame.subarray(6));
      const message = await within(stream.recv(), 5_000, 'the completed message');
      assert.equal(message?.toString(), 'patience');
    });
  });

  it('serves receives in call order, with and without a deadline', async () => {
    await withPair(peer, {}, async (stream, socket) => {
      const plain = stream.recv();
      const expiring = stream.recv({ timeout: 20 });
      const controller = new AbortController();
      const abortable = stream.recv({ signal: controller.signal });
      const last = stream.recv();
      await assert.rejects(within(expiring, 5_000, 'the expiring receive'), TimeoutError);
      await write(socket, Buffer.concat(['one', 'two', 'three'].map((m) => encodeFrame(m))));
      const texts = await within(Promise.all([plain, abortable, last]), 5_000, 'the messages');
      assert.deepEqual(
        texts.map((m) => m?.toString()),
        ['one', 'two', 'three'],
      );
    });
  });

  it('refuses a receive timeout beyond the timer limit, and waits for timeout Infinity', async () => {
    await withPair(peer, {}, async (stream, socket) => {
      await assert.rejects(
        stream.recv({ timeout: 2 ** 40 }),
        (e: unknown) => e instanceof InvalidArgumentError && /from 0 to 2147483647/.test(e.message),
      );
      const receiving = stream.recv({ timeout: Infinity });
      await write(socket, Buffer.concat([encodeFrame('no hurry'), encodeFrame('held')]));
      assert.equal((await within(receiving, 5_000, 'the message'))?.toString(), 'no hurry');
      // Checked even when a message is already there, which stays for the next receive.
      await assert.rejects(stream.recv({ timeout: Number.NaN }), InvalidArgumentError);
      assert.equal((await within(stream.recv(), 5_000, 'held'))?.toString(), 'held');
    });
  });

  it('refuses an announcement over maxMessageSize and closes the connection', async () => {
    await withPair(peer, { prefix: 'uint32be', maxMessageSize: 1000 }, async (stream, socket) => {
      const closed = once(socket, 'close');
      await write(
        socket,
        Buffer.concat([encodeFrame('ok 1'), encodeFrame('ok 2'), Buffer.from('000003e9', 'hex')]),
      );
      assert.equal((await within(stream.recv(), 5_000, 'first'))?.toString(), 'ok 1');
      assert.equal((await within(stream.recv(), 5_000, 'second'))?.toString(), 'ok 2');
      await assert.rejects(
        within(stream.recv(), 5_000, 'the refusal'),
        (error: unknown) =>
          error instanceof FrameTooLargeError &&
          error.size === 1001 &&
          error.limit === 1000 &&
          error.endpoint?.port === peer.endpoint.port &&
          /receive from 127\.0\.0\.1:\d+: peer announced a 1001-byte message/.test(error.message),
      );
      await within(closed, 5_000, 'the peer to see the connection close');
      await assert.rejects(stream.recv(), FrameTooLargeError, 'later receives fail alike');
    });
  });

  it('reports a malformed varint prefix as a protocol error', async () => {
    await withPair(peer, { prefix: 'varint' }, async (stream, socket) => {
      await write(socket, Buffer.alloc(9, 0xff));
      await assert.rejects(within(stream.recv(), 5_000, 'the refusal'), ProtocolError);
    });
  });

  it('raises IncompleteReadError when the peer ends mid-message', async () => {
    await withPair(peer, { prefix: 'uint16be' }, async (stream, socket) => {
      const frame = encodeFrame('cut short', { prefix: 'uint16be' });
      socket.end(
        Buffer.concat([encodeFrame('whole', { prefix: 'uint16be' }), frame.subarray(0, 5)]),
      );
      assert.equal((await within(stream.recv(), 5_000, 'whole'))?.toString(), 'whole');
      await assert.rejects(
        within(stream.recv(), 5_000, 'the incomplete read'),
        (error: unknown) =>
          error instanceof IncompleteReadError &&
          error.expected === 9 &&
          error.partial.toString() === 'cut' &&
          error.endpoint?.port === peer.endpoint.port,
      );
    });
  });

  it('raises IncompleteReadError when the peer ends mid-prefix', async () => {
    await withPair(peer, { prefix: 'uint32be' }, async (stream, socket) => {
      socket.end(Buffer.from('0000', 'hex'));
      await assert.rejects(
        within(stream.recv(), 5_000, 'the incomplete read'),
        (error: unknown) => error instanceof IncompleteReadError && error.expected === 4,
      );
    });
  });

  it('sends messages the peer decodes, coalescing those of one tick', async () => {
    const socket = await within(StreamSocket.connect(peer.endpoint), 5_000, 'connect');
    const remote = await peer.accept();
    // The real socket, counting the writes the stream hands it.
    let sendAlls = 0;
    const counted: MessageConnection = {
      remoteEndpoint: socket.remoteEndpoint,
      sendAll: (data) => {
        sendAlls++;
        return socket.sendAll(data);
      },
      recv: (bufsize) => socket.recv(bufsize),
      close: () => socket.close(),
    };
    const stream = new MessageStream(counted, { prefix: 'uint16be' });
    try {
      const collector = new FrameCollector(remote, { prefix: 'uint16be' });
      const sent = Array.from({ length: 5000 }, (_, i) => `n°${i}`);
      for (const m of sent) stream.write(m);
      await within(stream.send(Buffer.from('end')), 5_000, 'send');
      const received = await collector.waitFor(sent.length + 1);
      assert.deepEqual(
        received.map((m) => m.toString()),
        [...sent, 'end'],
      );
      const bytes = received.reduce((sum, m) => sum + 2 + m.length, 0);
      assert.ok(
        sendAlls <= Math.ceil(bytes / (64 * 1024)) + 1,
        `5001 messages (${bytes} bytes) took ${sendAlls} writes`,
      );
    } finally {
      remote.destroy();
      await within(stream.close(), 5_000, 'close');
    }
  });

  it('refuses to send a message the prefix cannot carry, sending nothing', async () => {
    await withPair(peer, { prefix: 'uint16be' }, async (stream, socket) => {
      const collector = new FrameCollector(socket, { prefix: 'uint16be' });
      assert.equal(stream.maxMessageSize, 65_535);
      await assert.rejects(stream.send(Buffer.alloc(65_536)), MessageTooLargeError);
      await within(stream.send('after'), 5_000, 'send');
      const [first] = await collector.waitFor(1);
      assert.equal(first?.toString(), 'after');
    });
  });

  it('close() rejects a pending receive and later calls; iteration ends quietly', async () => {
    await withPair(peer, {}, async (stream) => {
      const pending = assert.rejects(stream.recv(), SocketClosedError);
      const iterated = receiveAll(stream);
      await within(stream.close(), 5_000, 'close');
      await within(pending, 5_000, 'the pending receive');
      assert.deepEqual(await iterated, []);
      await assert.rejects(stream.recv(), SocketClosedError);
      await assert.rejects(stream.send('late'), SocketClosedError);
    });
  });

  it('connects by endpoint with MessageStream.connect, checking options first', async () => {
    await assert.rejects(
      MessageStream.connect(peer.endpoint, { batchSize: 0 }),
      /batchSize must be an integer from 1 up/,
    );
    const stream = await within(
      MessageStream.connect(peer.endpoint, { prefix: 'uint16be' }),
      5_000,
      'connect',
    );
    try {
      const socket = await peer.accept();
      socket.pipe(socket);
      await within(stream.send('round trip'), 5_000, 'send');
      assert.equal((await within(stream.recv(), 5_000, 'echo'))?.toString(), 'round trip');
    } finally {
      await stream.close();
    }
  });

  it('sends and receives at once (the peer echoes every byte)', async () => {
    await withPair(peer, { prefix: 'varint' }, async (stream, socket) => {
      // The peer side here echoes frames back as they come, byte for byte.
      socket.pipe(socket);
      const sent = ['hello', '', 'é'.repeat(50_000), 'bye'];
      for (const m of sent) stream.write(m);
      for (const m of sent) {
        assert.equal((await within(stream.recv(), 5_000, 'echo'))?.toString(), m);
      }
    });
  });
});
