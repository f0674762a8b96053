/**
 * `sendAll` on a connection with nothing queued in Node hands its bytes straight to the kernel
 * (with the native addon; without it, through the socket's own write), and what the kernel does
 * not take goes the ordinary way after them. Either way the peer must see the same stream:
 * every byte in order, however sends of buffers and strings overlap; a reset reported as a
 * reset; the event loop given its turns while the peer takes every send at once; and sends that
 * count as traffic for the idle timeout.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import diagnostics_channel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it, mock } from 'node:test';
import {
  ConnectionResetError,
  SocketClosedError,
  StreamSocket,
  TimeoutError,
} from '../../src/index.js';
import { nativeAddon } from '../../src/internal/native-addon.js';
import { writeToKernel } from '../../src/stream/kernel-write.js';
import { until, within } from '../helpers/bounded.js';
import { pattern } from '../helpers/child.js';
import { pythonTcpPeers, work } from './python-tcp-peer.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const peers = pythonTcpPeers();

describe('StreamSocket.sendAll with nothing queued before it', () => {
  it('keeps a stream whole and in order across overlapping sends of buffers and strings', async () => {
    // The Python peer reads it all and answers with the count and the SHA-256 it received. Its
    // small receive buffer keeps the window small, so that the kernel often takes only part
    // of a send.
    const peer = peers.start(['serve', '127.0.0.1', 4096]);
    const ready = (await peer.nextLine(10_000)).split(' ');
    assert.equal(ready[0], 'READY', `the peer said ${ready.join(' ')}`);
    const socket = peers.track(
      await within(
        StreamSocket.connect({ host: '127.0.0.1', port: Number(ready[1]) }),
        5000,
        'connect',
      ),
    );
    // Sends started together, without waiting: a later one finds the earlier ones' rest
    // queued in Node (when the kernel took only part), or nothing queued (when it took all).
    const sizes = [1, 1000, 64 * KiB, MiB, 3, 5000, 2 * MiB, 17];
    const digest = createHash('sha256');
    let offset = 0;
    for (let batch = 0; batch < 6; batch++) {
      const sends: Promise<void>[] = [];
      for (const [i, size] of sizes.entries()) {
        const piece = pattern(offset, size);
        digest.update(piece);
        offset += size;
        // Every third piece as text, one byte per character.
        sends.push(
          i % 3 === 2
            ? socket.sendAll(piece.toString('latin1'), { encoding: 'latin1' })
            : socket.sendAll(piece),
        );
      }
      await within(Promise.all(sends), 20_000, `sends of batch ${batch}`);
    }
    await within(socket.shutdown('write'), 10_000, 'shutdown');
    const answer: Buffer[] = [];
    // Bounded: each read takes at least one byte, or ends the loop.
    for (let reads = 0; reads < 10_000; reads++) {
      const data = await within(socket.recv(65536), 20_000, 'the answer');
      if (data.length === 0) break;
      answer.push(data);
    }
    const text = Buffer.concat(answer).toString('utf8');
    const summary = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
    assert.deepEqual(summary, { received: offset, sha256: digest.digest('hex') });
  });

  it("hands a plain connection's bytes to the kernel itself, but not past Node's queue", async (t) => {
    if (nativeAddon() === undefined) {
      t.skip("without the native addon, every send is the socket's own write");
      return;
    }
    // Every send test above passes on Node's write alone: this one shows the direct path is
    // the one taken where it may be, and not where bytes wait in Node (corked here).
    const server = createServer();
    const sockets: Socket[] = [];
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const accepted = once(server, 'connection');
      const writer = connect((server.address() as AddressInfo).port, '127.0.0.1');
      sockets.push(writer);
      await within(once(writer, 'connect'), 5000, 'connect');
      const [reader] = (await within(accepted, 5000, 'the connection')) as [Socket];
      sockets.push(reader);
      const received: Buffer[] = [];
      reader.on('data', (chunk: Buffer) => received.push(chunk));
      assert.equal(writeToKernel(writer, pattern(0, KiB)), KiB, 'taken by the kernel at once');
      assert.equal(writer.writableLength, 0, 'nothing went through Node');
      writer.cork();
      assert.equal(writeToKernel(writer, pattern(KiB, KiB)), 0, 'written while corked');
      writer.write(pattern(KiB, KiB));
      writer.uncork();
      await until(() => Buffer.concat(received).length >= 2 * KiB, 5000, 'the bytes');
      assert.ok(Buffer.concat(received).equals(pattern(0, 2 * KiB)), 'bytes differ');
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('refuses a send whose socket a send subscriber shut down for writing', async () => {
    // A dsock:stream:send subscriber runs inside sendAll, after its checks: a shutdown there
    // must not let the bytes go out after the end of the stream.
    const { socket, peer } = await peers.accept('push', [0, 'hold']);
    assert.equal(await peer.nextLine(10_000), 'SENT');
    let shutdown: Promise<void> | undefined;
    const onSend = (): void => {
      shutdown ??= socket.shutdown('write');
      shutdown.catch(() => undefined);
    };
    diagnostics_channel.subscribe('dsock:stream:send', onSend);
    try {
      await assert.rejects(
        within(socket.sendAll(pattern(0, KiB)), 10_000, 'sendAll'),
        SocketClosedError,
      );
    } finally {
      diagnostics_channel.unsubscribe('dsock:stream:send', onSend);
    }
  });

  it('rejects with ConnectionResetError once the peer has reset the connection', async () => {
    const { socket, peer } = await peers.accept('push', [0, 'reset']);
    assert.equal(await peer.nextLine(10_000), 'RESET');
    const piece = pattern(0, 64 * KiB);
    let failure: unknown;
    // Bounded: the reset is there before the first send; a few may go out before it is seen.
    for (let sends = 0; sends < 100 && failure === undefined; sends++) {
      try {
        await within(socket.sendAll(piece), 10_000, 'sendAll');
      } catch (error) {
        failure = error;
      }
    }
    assert.ok(failure instanceof ConnectionResetError, `failed with ${String(failure)}`);
    await assert.rejects(within(socket.sendAll(piece), 10_000, 'sendAll after the reset'));
  });

  it('gives the event loop a turn while the peer takes every send at once', async () => {
    const { socket, peer } = await peers.accept('push', [0, 'hold']);
    assert.equal(await peer.nextLine(10_000), 'SENT');
    const piece = pattern(0, KiB);
    let turned = false;
    setImmediate(() => (turned = true));
    let sends = 0;
    // Bounded: without a turn in 100,000 sends, the loop stops and the test fails.
    for (; !turned && sends < 100_000; sends++) {
      await within(socket.sendAll(piece), 10_000, `send ${sends}`);
    }
    assert.ok(turned, `no turn of the event loop in ${sends} sends`);
    assert.ok(sends <= 32, `${sends} sends went before the event loop had a turn`);
  });

  it('settles every send while the timers are mocked, and every send after', async () => {
    // An application's tests may mock setImmediate (node:test's mock.timers, fake timers) while
    // they talk to a real peer: the turn every 32 sends must still come, and a turn lost to the
    // mock must not hold back the sends made once it is gone.
    const { socket, peer } = await peers.accept('push', [0, 'hold']);
    assert.equal(await peer.nextLine(10_000), 'SENT');
    const piece = pattern(0, KiB);
    mock.timers.enable({ apis: ['setImmediate'] });
    try {
      for (let sends = 0; sends < 64; sends++) {
        await within(socket.sendAll(piece), 5000, `send ${sends} with setImmediate mocked`);
      }
    } finally {
      mock.timers.reset();
    }
    for (let sends = 0; sends < 64; sends++) {
      await within(socket.sendAll(piece), 5000, `send ${sends} after the mock`);
    }
  });

  it('counts bytes sent as traffic for the idle timeout', async () => {
    // The peer sends nothing and reads all: each send is taken at once, and the loop below
    // sends for eight times the idle timeout, with a turn of the event loop only every 32
    // sends, where an idle timer that the sends did not restart would close the connection.
    const idleTimeout = 80;
    const { socket, peer } = await peers.accept('push', [0, 'hold'], { idleTimeout });
    assert.equal(await peer.nextLine(10_000), 'SENT');
    // Start from the event loop's check phase, past the turn's I/O.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const piece = pattern(0, 4 * KiB);
    let lastSent = 0;
    for (let sends = 0; sends < 64; sends++) {
      // Timed from before the send: the bytes go, and restart the timer, within it.
      lastSent = performance.now();
      await within(socket.sendAll(piece), 10_000, `send ${sends}`);
      work(idleTimeout / 8);
    }
    // Now nothing moves: the connection is closed as idle, but not before it has been idle for
    // the whole timeout after the last send.
    await assert.rejects(within(socket.recv(1), 10_000, 'idle close'), TimeoutError);
    const idleFor = performance.now() - lastSent;
    assert.ok(idleFor >= idleTimeout - 1, `closed as idle ${idleFor.toFixed(1)} ms after a send`);
  });
});
