import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  InvalidArgumentError,
  MessageStream,
  StreamServer,
  TimeoutError,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { collectGarbage } from '../helpers/resources.js';

const sockets: Socket[] = [];
const closers: { close(): Promise<void> }[] = [];
after(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

/** Bytes of Buffers alive after a full collection: what the gathered frames hold. */
function bufferBytes(): number {
  collectGarbage();
  return process.memoryUsage().arrayBuffers;
}

const PEERS = 8;
const ANNOUNCED = 16 * 1024 * 1024 - 1;
const SENT = 3 * 1024 * 1024;

/**
 * A peer that announces a message of 16 MiB - 1 byte, sends 3 MiB of it and stops, keeping the
 * connection open: what twenty peers did to hold 387 MB of a server for as long as they liked.
 */
async function stallingPeer(port: number): Promise<{ hungUp: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  // Watched from the start: the server may hang up before the last peer has connected.
  socket.resume();
  const hungUp = new Promise((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
  await within(once(socket, 'connect'), 5000, 'connect');
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(ANNOUNCED);
  socket.write(prefix);
  socket.write(Buffer.alloc(SENT, 0x5a));
  return { hungUp };
}

describe('MessageStream peers that leave a large message incomplete', () => {
  it('fail with a TimeoutError after partialFrameTimeout, are hung up on, and their bytes are freed', async () => {
    const server = await StreamServer.listen('127.0.0.1:0');
    closers.push(server);
    const before = bufferBytes();
    const hungUp: Promise<unknown>[] = [];
    // Each outcome is taken as it comes (a receive may fail while later peers still connect).
    const outcomes: Promise<unknown>[] = [];
    for (let i = 0; i < PEERS; i++) {
      hungUp.push((await stallingPeer(server.localEndpoint.port)).hungUp);
      const stream = new MessageStream(await within(server.accept(), 5000, 'accept'), {
        prefix: 'uint32be',
        partialFrameTimeout: 1000,
      });
      closers.push(stream);
      outcomes.push(
        stream.recv().then(
          (message) => message,
          (error: unknown) => error,
        ),
      );
    }
    const results = await within(Promise.all(outcomes), 10_000, 'the receives to fail');
    for (const reason of results) {
      assert.ok(reason instanceof TimeoutError, String(reason));
      assert.match(reason.message, /incomplete for 1000 ms .*partialFrameTimeout/);
    }
    await within(Promise.all(hungUp), 5000, 'every stalling peer to be hung up on');
    const held = bufferBytes() - before;
    // Gathering, the peers' frames held 8 x 4 MiB; a margin for the runtime's own buffers.
    assert.ok(held < 8 * 1024 * 1024, `buffers still held: ${(held / 1048576).toFixed(1)} MiB`);
  });

  it('still receives a large message that arrives slowly but within the timeout', async () => {
    const server = await StreamServer.listen('127.0.0.1:0');
    closers.push(server);
    const peer = connect(server.localEndpoint.port, '127.0.0.1');
    sockets.push(peer);
    await within(once(peer, 'connect'), 5000, 'connect');
    const stream = new MessageStream(await within(server.accept(), 5000, 'accept'), {
      prefix: 'uint32be',
      partialFrameTimeout: 3000,
    });
    closers.push(stream);
    const receiving = stream.recv();
    const message = Buffer.alloc(600_000, 7);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(message.length);
    peer.write(prefix);
    for (let at = 0; at < message.length; at += 200_000) {
      peer.write(message.subarray(at, at + 200_000));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const received = await within(receiving, 5000, 'the slow message');
    assert.ok(received !== null && received.equals(message));
  });

  it('refuses a partialFrameTimeout that is not a number of milliseconds', () => {
    const socket = { remoteEndpoint: { host: '127.0.0.1', port: 1 } } as never;
    assert.throws(
      () => new MessageStream(socket, { partialFrameTimeout: -1 }),
      InvalidArgumentError,
    );
  });
});
