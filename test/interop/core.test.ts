import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DatagramSocket, StreamServer, StreamSocket } from '../../src/index.js';
import { ipv6Available, NO_IPV6, within } from '../helpers/bounded.js';
import { pattern, python, readyPort } from '../helpers/child.js';

const TEN_MIB = 10 << 20;

function patternDigest(total: number): string {
  const digest = createHash('sha256');
  for (let at = 0; at < total; at += 1 << 16)
    digest.update(pattern(at, Math.min(1 << 16, total - at)));
  return digest.digest('hex');
}

for (const host of ['127.0.0.1', '::1']) {
  describe(`interop with Python stdlib sockets over ${host}`, () => {
    it('datagrams: dsock asks, Python answers', async (t) => {
      if (host === '::1' && !(await ipv6Available())) return t.skip(NO_IPV6);
      const peer = python('udp_peer.py', ['echo', host, 3]);
      const socket = await DatagramSocket.bind({ host, port: 0 });
      try {
        const port = await readyPort(peer);
        for (const text of ['Hello, world!', 'héllo ünïcode', '']) {
          await socket.sendTo(text, { host, port });
          const { data, sender } = await socket.recvFrom(4096, { timeout: 5000 });
          assert.equal(data.toString('utf8'), `echo:${text}`);
          assert.deepEqual(sender, { host, port });
        }
        assert.equal(await peer.exitCode(), 0);
      } finally {
        await socket.close();
        await peer.close();
      }
    });

    it('datagrams: Python asks, dsock answers', async (t) => {
      if (host === '::1' && !(await ipv6Available())) return t.skip(NO_IPV6);
      const socket = await DatagramSocket.bind({ host, port: 0 });
      const texts = ['one', 'two', 'three'];
      const peer = python('udp_peer.py', ['ask', host, socket.localEndpoint.port, ...texts]);
      try {
        for (let i = 0; i < texts.length; i++) {
          const { data, sender } = await socket.recvFrom(4096, { timeout: 5000 });
          await socket.sendTo(data.toString('utf8').toUpperCase(), sender);
        }
        for (const text of texts) {
          const reply = JSON.parse(await peer.nextLine()) as {
            reply: string;
            sender: [string, number];
          };
          assert.equal(reply.reply, text.toUpperCase());
          assert.deepEqual(reply.sender, [host, socket.localEndpoint.port]);
        }
        assert.equal(await peer.exitCode(), 0);
      } finally {
        await socket.close();
        await peer.close();
      }
    });

    it('streams: dsock sends 10 MiB to a Python server, half-closes, and reads its answer', async (t) => {
      if (host === '::1' && !(await ipv6Available())) return t.skip(NO_IPV6);
      const peer = python('tcp_peer.py', ['serve', host]);
      let socket: StreamSocket | undefined;
      try {
        const port = await readyPort(peer);
        socket = await StreamSocket.connect({ host, port }, { timeout: 5000 });
        for (let at = 0; at < TEN_MIB; at += 1 << 16) await socket.sendAll(pattern(at, 1 << 16));
        await socket.shutdown('write');
        const chunks: Buffer[] = [];
        for await (const chunk of socket) chunks.push(chunk);
        const [json, bye] = Buffer.concat(chunks).toString('utf8').split('\n');
        assert.deepEqual(JSON.parse(json ?? ''), {
          received: TEN_MIB,
          sha256: patternDigest(TEN_MIB),
        });
        assert.equal(bye, 'bye');
        assert.equal(await peer.exitCode(), 0);
      } finally {
        await socket?.close();
        await peer.close();
      }
    });

    it("streams: a Python client sends 10 MiB to dsock, half-closes, and reads dsock's answer", async (t) => {
      if (host === '::1' && !(await ipv6Available())) return t.skip(NO_IPV6);
      const server = await StreamServer.listen({ host, port: 0 });
      const peer = python('tcp_peer.py', ['send', host, server.localEndpoint.port, TEN_MIB]);
      let connection: StreamSocket | undefined;
      try {
        connection = await server.accept({ timeout: 10_000 });
        const digest = createHash('sha256');
        let received = 0;
        for (;;) {
          const chunk = await connection.recv(65536, { timeout: 10_000 });
          if (chunk.length === 0) break; // Python's shutdown(SHUT_WR): end of stream, not of the connection
          digest.update(chunk);
          received += chunk.length;
        }
        assert.equal(received, TEN_MIB);
        const sha = digest.digest('hex');
        assert.equal(sha, patternDigest(TEN_MIB));
        await connection.sendAll(`got ${received} bytes, sha256 ${sha}`);
        await connection.close();
        const answer = JSON.parse(await peer.nextLine(20_000)) as { answer: string };
        assert.equal(answer.answer, `got ${TEN_MIB} bytes, sha256 ${sha}`);
        assert.equal(await within(peer.exited, 10_000, 'python to exit'), 0);
      } finally {
        await connection?.close();
        await server.close();
        await peer.close();
      }
    });
  });
}
