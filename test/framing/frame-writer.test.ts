import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { within } from '../helpers/bounded.js';
import { LineChild, readyPort } from '../helpers/child.js';
import {
  FrameDecoder,
  FrameWriter,
  MessageTooLargeError,
  SocketClosedError,
  SocketError,
} from '../../src/index.js';
import type { ByteSink, LengthPrefix, WriteCallback } from '../../src/index.js';
import { FrameCollector, socketPair } from './loopback.js';

const PREFIXES: readonly LengthPrefix[] = ['uint16be', 'uint32be', 'varint'];

/** A net.Socket as a sink, counting the writes it is handed. */
function countingSink(socket: Socket): ByteSink & { writes: number } {
  return {
    writes: 0,
    write(data: Uint8Array, done: WriteCallback) {
      this.writes++;
      return socket.write(data, done);
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FrameWriter over a loopback TCP connection', () => {
  it('coalesces many small messages into few writes, in order and intact', async () => {
    const pair = await socketPair();
    try {
      const sink = countingSink(pair.client);
      const writer = new FrameWriter(sink, { prefix: 'uint16be' });
      const collector = new FrameCollector(pair.server, { prefix: 'uint16be' });
      const count = 20_000;
      for (let i = 0; i < count; i++) writer.write(`message ${i}`);
      await within(writer.flush(), 10_000, 'flush');
      const received = await collector.waitFor(count);
      assert.equal(received.length, count);
      for (let i = 0; i < count; i++) assert.equal(received[i]?.toString(), `message ${i}`);
      const bytes = received.reduce((sum, m) => sum + m.length + 2, 0);
      assert.ok(
        sink.writes <= Math.ceil(bytes / (64 * 1024)) + 1,
        `${count} messages (${bytes} bytes) took ${sink.writes} writes`,
      );
    } finally {
      await pair.close();
    }
  });

  it('sends a lone message at the end of the tick, without an explicit flush', async () => {
    const pair = await socketPair();
    try {
      const writer = new FrameWriter(pair.client);
      const collector = new FrameCollector(pair.server);
      assert.equal(writer.write('ping'), true);
      const [first] = await collector.waitFor(1, 5_000);
      assert.equal(first?.toString(), 'ping');
      await tick();
      writer.write(Buffer.from('pong'));
      const received = await collector.waitFor(2, 5_000);
      assert.equal(received[1]?.toString(), 'pong');
    } finally {
      await pair.close();
    }
  });

  it('resolves send once written; sends in the same tick share one write', async () => {
    const pair = await socketPair();
    try {
      const sink = countingSink(pair.client);
      const writer = new FrameWriter(sink, { prefix: 'varint' });
      const collector = new FrameCollector(pair.server, { prefix: 'varint' });
      await within(
        Promise.all(['a', 'b', 'c', ''].map((m) => writer.send(m))),
        5_000,
        'four sends',
      );
      assert.equal(sink.writes, 1);
      assert.equal(writer.buffered, 0);
      const received = await collector.waitFor(4);
      assert.deepEqual(
        received.map((m) => m.toString()),
        ['a', 'b', 'c', ''],
      );
    } finally {
      await pair.close();
    }
  });

  it('hands a message larger than a batch over as it is, in order with the rest', async () => {
    const pair = await socketPair();
    try {
      const writer = new FrameWriter(pair.client, { batchSize: 1024 });
      const collector = new FrameCollector(pair.server);
      const big = Buffer.alloc(300_000, 0x5a);
      const bigText = 'é'.repeat(1000);
      writer.write('before');
      writer.write(big);
      writer.write(bigText);
      writer.write('after');
      await within(writer.flush(), 10_000, 'flush');
      const received = await collector.waitFor(4);
      assert.equal(received[0]?.toString(), 'before');
      assert.ok(received[1]?.equals(big));
      assert.equal(received[2]?.toString(), bigText);
      assert.equal(received[3]?.toString(), 'after');
    } finally {
      await pair.close();
    }
  });

  it('refuses an over-long message before sending anything', async () => {
    const pair = await socketPair();
    try {
      const sink = countingSink(pair.client);
      const writer = new FrameWriter(sink, { prefix: 'uint16be' });
      assert.throws(
        () => writer.write(Buffer.alloc(65_536)),
        (error: unknown) => error instanceof MessageTooLargeError && error.limit === 65_535,
      );
      await assert.rejects(writer.send('x'.repeat(70_000)), MessageTooLargeError);
      assert.equal(writer.buffered, 0);
      await within(writer.flush(), 5_000, 'flush');
      assert.equal(sink.writes, 0);
      assert.equal(writer.failure, undefined, 'a refused message does not stop the writer');
    } finally {
      await pair.close();
    }
  });

  it('signals backpressure and resolves drain once the peer reads', async () => {
    const pair = await socketPair();
    try {
      const writer = new FrameWriter(pair.client, { highWaterMark: 256 * 1024 });
      pair.server.pause();
      const message = Buffer.alloc(1000, 1);
      let written = 0;
      // The kernel buffers a few MiB at most; 50,000 messages (50 MB) is far past that.
      while (written < 50_000) {
        written++;
        if (!writer.write(message)) break;
        if (written % 100 === 0) await tick();
      }
      assert.ok(written < 50_000, 'write never returned false');
      assert.ok(writer.buffered >= 256 * 1024);
      const collector = new FrameCollector(pair.server);
      pair.server.resume();
      await within(writer.drain(), 10_000, 'drain');
      assert.ok(writer.buffered < 256 * 1024);
      await within(writer.flush(), 10_000, 'flush');
      assert.equal((await collector.waitFor(written, 20_000)).length, written);
    } finally {
      await pair.close();
    }
  });

  it('fails with a dsock error once its connection is gone', async () => {
    const pair = await socketPair();
    try {
      const writer = new FrameWriter(pair.client);
      pair.client.destroy();
      const sent = writer.send('into the void');
      await assert.rejects(within(sent, 5_000, 'send'), SocketClosedError);
      assert.ok(writer.failure instanceof SocketError);
      assert.throws(() => writer.write('more'), SocketClosedError);
      await assert.rejects(writer.flush(), SocketClosedError);
      await assert.rejects(writer.drain(), SocketClosedError);
    } finally {
      await pair.close();
    }
  });

  it('round-trips any messages through any batch size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PREFIXES),
        fc.integer({ min: 1, max: 4096 }),
        fc.array(
          fc.oneof(
            fc.string({ unit: 'grapheme', maxLength: 50 }),
            fc.uint8Array({ maxLength: 5000 }),
          ),
          {
            maxLength: 30,
          },
        ),
        async (prefix, batchSize, messages) => {
          const chunks: Buffer[] = [];
          const sink: ByteSink = {
            write(data, done) {
              chunks.push(Buffer.from(data));
              queueMicrotask(() => done());
            },
          };
          const writer = new FrameWriter(sink, { prefix, batchSize });
          for (const m of messages) writer.write(m);
          await writer.flush();
          const decoded = new FrameDecoder({ prefix }).push(Buffer.concat(chunks));
          assert.deepEqual(
            decoded,
            messages.map((m) => (typeof m === 'string' ? Buffer.from(m) : Buffer.from(m))),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('framing interop with a Python peer', () => {
  const script = fileURLToPath(new URL('../../../test/framing/framed_peer.py', import.meta.url));

  for (const prefix of PREFIXES) {
    it(`exchanges ${prefix} frames with struct.pack / LEB128 in Python`, async () => {
      const peer = new LineChild('python3', [script, 'echo', '127.0.0.1', prefix]);
      let socket: Socket | undefined;
      try {
        const port = await readyPort(peer);
        const client = connect(port, '127.0.0.1');
        socket = client;
        client.on('error', () => undefined);
        await within(
          new Promise<void>((resolve, reject) => {
            client.once('connect', resolve);
            client.once('error', reject);
          }),
          5_000,
          'connect to the Python peer',
        );
        const collector = new FrameCollector(client, { prefix });
        const writer = new FrameWriter(client, { prefix });
        const messages = ['', 'hello', 'x'.repeat(200), 'é'.repeat(30_000)];
        for (const m of messages) writer.write(m);
        await within(writer.flush(), 5_000, 'flush');
        const replies = await collector.waitFor(messages.length);
        assert.deepEqual(
          replies.map((r) => r.toString('latin1')),
          messages.map((m) => Buffer.from(m).reverse().toString('latin1')),
        );
        client.end();
        assert.equal(await peer.nextLine(), `DONE ${messages.length}`);
      } finally {
        socket?.destroy();
        await peer.close();
      }
    });
  }
});
