import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ipv6Available, NO_IPV6, within } from '../helpers/bounded.js';
import { LineChild, readyPort } from '../helpers/child.js';
import { MessageStream, StreamServer, StreamSocket } from '../../src/index.js';
import { RawPeer, withPair } from './raw-peer.js';

describe('MessageStream on both ends', () => {
  it('carries messages both ways between a connected and an accepted socket', async () => {
    const server = await within(
      StreamServer.listen({ host: '127.0.0.1', port: 0 }),
      5_000,
      'listen',
    );
    let client: MessageStream | undefined;
    let accepted: MessageStream | undefined;
    try {
      const incoming = server.accept({ timeout: 5_000 });
      client = await within(
        MessageStream.connect(server.localEndpoint, { prefix: 'uint32be' }),
        5_000,
        'connect',
      );
      accepted = new MessageStream(await incoming, { prefix: 'uint32be' });
      const count = 10_000;
      for (let i = 0; i < count; i++) client.write(`request ${i}`);
      const served = (async () => {
        let n = 0;
        for await (const request of accepted) {
          accepted.write(`reply to ${request.toString()}`);
          if (++n === count) break;
        }
        await accepted.flush();
      })();
      for (let i = 0; i < count; i++) {
        const reply: Buffer | null = await within(client.recv(), 5_000, `reply ${i}`);
        assert.equal(reply?.toString(), `reply to request ${i}`);
      }
      await within(served, 5_000, 'the server side');
      await within(client.close(), 5_000, 'client close');
      assert.equal(await within(accepted.recv(), 5_000, 'end of stream'), null);
    } finally {
      await client?.close();
      await accepted?.close();
      await server.close();
    }
  });
});

describe('MessageStream over IPv6 loopback', () => {
  it('sends and receives on ::1', async (t) => {
    if (!(await ipv6Available())) return t.skip(NO_IPV6);
    const peer = new RawPeer();
    await peer.listen('::1');
    try {
      await withPair(peer, {}, async (stream, socket) => {
        socket.pipe(socket);
        await within(stream.send('over six'), 5_000, 'send');
        assert.equal((await within(stream.recv(), 5_000, 'echo'))?.toString(), 'over six');
      });
    } finally {
      await peer.close();
    }
  });
});

describe('MessageStream with a Python peer', () => {
  const script = fileURLToPath(new URL('../../../test/framing/framed_peer.py', import.meta.url));

  it("talks the course chat's struct.pack('>H') framing", async () => {
    const python = new LineChild('python3', [script, 'echo', '127.0.0.1', 'uint16be']);
    let stream: MessageStream | undefined;
    try {
      const port = await readyPort(python);
      const socket = await within(
        StreamSocket.connect({ host: '127.0.0.1', port }),
        5_000,
        'connect',
      );
      stream = new MessageStream(socket, { prefix: 'uint16be' });
      const sent = ['[2024-02-03T12:15:00] Alice:\n\thi', '', 'ünïcødé'];
      for (const m of sent) await within(stream.send(m), 5_000, 'send');
      for (const m of sent) {
        const reply: Buffer | null = await within(stream.recv(), 5_000, 'reply');
        assert.deepEqual(reply, Buffer.from(m).reverse());
      }
      await within(socket.shutdown('write'), 5_000, 'shutdown');
      assert.equal(await within(stream.recv(), 5_000, 'end of stream'), null);
      assert.equal(await python.nextLine(), `DONE ${sent.length}`);
    } finally {
      await stream?.close();
      await python.close();
    }
  });
});
