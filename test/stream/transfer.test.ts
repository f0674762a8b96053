import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { within } from '../helpers/bounded.js';
import { pattern } from '../helpers/child.js';
import { FAMILIES, unavailable } from '../helpers/families.js';
import { connectedPair } from './pair.js';

const SIZE = 10 * 1024 * 1024;

for (const { family, loopback } of FAMILIES) {
  describe(`StreamSocket bulk transfer over ${family}`, () => {
    it('moves 10 MiB each way at once, byte for byte', async (t) => {
      if (await unavailable(t, family)) return;
      // A small receive buffer makes flow control pause and resume many times on the way.
      const pair = await connectedPair(loopback, {
        client: { receiveBufferLimit: 64 * 1024 },
      });
      try {
        const upstream = pattern(0, SIZE);
        const downstream = pattern(12345, SIZE);
        const collect = async (iterable: AsyncIterable<Buffer>): Promise<Buffer> => {
          const chunks: Buffer[] = [];
          for await (const chunk of iterable) chunks.push(chunk);
          return Buffer.concat(chunks);
        };
        const send = async (data: Buffer, to: typeof pair.client): Promise<void> => {
          // Uneven pieces, so that boundaries fall anywhere.
          for (let at = 0; at < data.length; at += 777_777) {
            await to.sendAll(data.subarray(at, at + 777_777));
          }
          await to.shutdown('write');
        };
        const [received, echoed] = await within(
          Promise.all([
            collect(pair.peer),
            (async () => {
              const chunks: Buffer[] = [];
              for (;;) {
                const chunk = await pair.client.recv(50_000);
                if (chunk.length === 0) return Buffer.concat(chunks);
                assert.ok(chunk.length <= 50_000);
                chunks.push(chunk);
              }
            })(),
            send(upstream, pair.client),
            send(downstream, pair.peer),
          ]),
          20_000,
          '10 MiB each way',
        );
        assert.equal(received.length, SIZE);
        assert.ok(received.equals(upstream), 'client to server data differs');
        assert.equal(echoed.length, SIZE);
        assert.ok(echoed.equals(downstream), 'server to client data differs');
      } finally {
        await pair.close();
      }
    });
  });
}
