import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortError,
  AddressInUseError,
  ConnectionRefusedError,
  formatEndpoint,
  SocketClosedError,
  StreamServer,
  StreamSocket,
  TimeoutError,
  InvalidArgumentError,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { FAMILIES, unavailable } from '../helpers/families.js';

function connect(server: StreamServer): Promise<StreamSocket> {
  return within(StreamSocket.connect(server.localEndpoint), 5000, 'connect');
}

for (const { family, loopback } of FAMILIES) {
  describe(`StreamServer over ${family}`, () => {
    it('listens on a port the system chose and names it', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      try {
        assert.equal(server.localEndpoint.host, loopback);
        assert.ok(server.localEndpoint.port > 0);
      } finally {
        await server.close();
      }
    });

    it('listening on a taken port rejects with AddressInUseError naming it', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      try {
        const endpoint = server.localEndpoint;
        await assert.rejects(StreamServer.listen(endpoint), (error: unknown) => {
          assert.ok(error instanceof AddressInUseError, String(error));
          assert.deepEqual(error.endpoint, endpoint);
          assert.ok(error.message.includes(`listen on ${formatEndpoint(endpoint)}`));
          return true;
        });
      } finally {
        await server.close();
      }
    });

    it('holds early connections, with the data they sent, until accept', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      const opened: StreamSocket[] = [];
      try {
        for (const id of ['first', 'second']) {
          const client = await connect(server);
          opened.push(client);
          await client.sendAll(id);
        }
        for (const [index, id] of ['first', 'second'].entries()) {
          const peer = await within(server.accept(), 5000, 'accept');
          opened.push(peer);
          assert.deepEqual(peer.remoteEndpoint, opened[index]?.localEndpoint);
          assert.equal((await within(peer.recvExactly(id.length), 5000, 'id')).toString(), id);
        }
      } finally {
        await Promise.all(opened.map((socket) => socket.close()));
        await server.close();
      }
    });

    it('closes connections beyond acceptQueueLimit at once and counts them', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen(
        { host: loopback, port: 0 },
        { acceptQueueLimit: 2 },
      );
      const clients: StreamSocket[] = [];
      const accepted: StreamSocket[] = [];
      try {
        for (let i = 0; i < 4; i++) clients.push(await connect(server));
        // The third and fourth arrive while two wait: the peer sees end of stream.
        for (const dropped of clients.slice(2)) {
          assert.equal((await within(dropped.recv(10), 5000, 'dropped connection')).length, 0);
        }
        assert.equal(server.droppedConnections, 2);
        assert.equal(server.pendingConnections, 2);
        for (const client of clients.slice(0, 2)) {
          const peer = await within(server.accept(), 5000, 'accept');
          accepted.push(peer);
          assert.deepEqual(peer.remoteEndpoint, client.localEndpoint);
        }
        await assert.rejects(server.accept({ timeout: 50 }), TimeoutError);
      } finally {
        await Promise.all([...clients, ...accepted].map((socket) => socket.close()));
        await server.close();
      }
    });

    it('accept rejects with TimeoutError or AbortError when nobody connects', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      try {
        await assert.rejects(server.accept({ timeout: 30 }), (error: unknown) => {
          assert.ok(error instanceof TimeoutError);
          assert.match(error.message, /accept on .* timed out after 30 ms/);
          assert.deepEqual(error.endpoint, server.localEndpoint);
          return true;
        });
        const controller = new AbortController();
        const accepting = server.accept({ signal: controller.signal });
        controller.abort();
        await assert.rejects(within(accepting, 5000, 'abort'), AbortError);
        // The abandoned accepts took nothing: the next connection goes to the next accept.
        const client = await connect(server);
        const peer = await within(server.accept(), 5000, 'accept');
        assert.deepEqual(peer.remoteEndpoint, client.localEndpoint);
        await Promise.all([client.close(), peer.close()]);
      } finally {
        await server.close();
      }
    });

    it('close stops listening but leaves accepted connections open', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      const opened: StreamSocket[] = [];
      try {
        const client = await connect(server);
        opened.push(client);
        const peer = await within(server.accept(), 5000, 'accept');
        opened.push(peer);
        const pendingAccept = server.accept().catch((e: unknown) => e);
        await within(server.close(), 5000, 'close');
        const error = await within(pendingAccept, 5000, 'pending accept');
        assert.ok(error instanceof SocketClosedError, String(error));
        assert.match(error.message, /server is closed/);
        await assert.rejects(server.accept(), SocketClosedError);
        await within(server.close(), 5000, 'second close');
        assert.equal(server.closed, true);

        await client.sendAll('still');
        assert.equal((await within(peer.recvExactly(5), 5000, 'data')).toString(), 'still');
        await peer.sendAll('open');
        assert.equal((await within(client.recvExactly(4), 5000, 'reply')).toString(), 'open');

        await assert.rejects(
          within(StreamSocket.connect(server.localEndpoint), 5000, 'refused connect'),
          ConnectionRefusedError,
        );
        // The port is free again.
        const again = await StreamServer.listen(server.localEndpoint);
        await again.close();
      } finally {
        await Promise.all(opened.map((socket) => socket.close()));
        await server.close();
      }
    });

    it('close ends connections that were never accepted', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      const clients: StreamSocket[] = [];
      try {
        clients.push(await connect(server), await connect(server));
        const [first, second] = clients as [StreamSocket, StreamSocket];
        const peer = await within(server.accept(), 5000, 'accept');
        assert.deepEqual(peer.remoteEndpoint, first.localEndpoint);
        for (let i = 0; i < 1000 && server.pendingConnections < 1; i++) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.equal(server.pendingConnections, 1);
        await server.close();
        assert.equal((await within(second.recv(10), 5000, 'end of stream')).length, 0);
        // The accepted one is untouched.
        await first.sendAll('x');
        assert.equal((await within(peer.recv(10), 5000, 'data')).toString(), 'x');
        await peer.close();
      } finally {
        await Promise.all(clients.map((socket) => socket.close()));
        await server.close();
      }
    });

    it('async iteration yields connections until the server is closed', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      const opened: StreamSocket[] = [];
      try {
        const seen: string[] = [];
        const serving = (async () => {
          for await (const peer of server) {
            opened.push(peer);
            seen.push((await within(peer.recvExactly(1), 5000, 'id')).toString());
            await peer.sendAll('k');
          }
        })();
        for (const id of ['a', 'b', 'c']) {
          const client = await connect(server);
          opened.push(client);
          await client.sendAll(id);
          assert.equal((await within(client.recvExactly(1), 5000, 'ack')).toString(), 'k');
        }
        await server.close();
        await within(serving, 5000, 'iteration end');
        assert.deepEqual(seen, ['a', 'b', 'c']);
      } finally {
        await Promise.all(opened.map((socket) => socket.close()));
        await server.close();
      }
    });

    it('await using closes the server', async (t) => {
      if (await unavailable(t, family)) return;
      let endpoint;
      {
        await using server = await StreamServer.listen({ host: loopback, port: 0 });
        endpoint = server.localEndpoint;
      }
      await assert.rejects(
        within(StreamSocket.connect(endpoint), 5000, 'connect'),
        ConnectionRefusedError,
      );
    });
  });
}

describe('StreamServer options', () => {
  it('a number or ":port" listens on the any-address of the family', async () => {
    const server = await StreamServer.listen(0);
    try {
      assert.equal(server.localEndpoint.host, '0.0.0.0');
      const client = await within(StreamSocket.connect(server.localEndpoint.port), 5000, 'connect');
      const peer = await within(server.accept(), 5000, 'accept');
      await Promise.all([client.close(), peer.close()]);
    } finally {
      await server.close();
    }
  });

  it('listens on the IPv6 address given as bare text ("::1", "::"), not on 0.0.0.0', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    for (const text of ['::1', '::']) {
      const server = await within(StreamServer.listen(text), 5000, `listen ${text}`);
      try {
        assert.equal(server.localEndpoint.host, text);
        const client = await within(
          StreamSocket.connect({ host: '::1', port: server.localEndpoint.port }),
          5000,
          'IPv6 connect',
        );
        const peer = await within(server.accept(), 5000, 'accept');
        await Promise.all([client.close(), peer.close()]);
      } finally {
        await server.close();
      }
    }
  });

  it('ipv6Only keeps IPv4 clients out of an IPv6 any-address listener', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    const server = await StreamServer.listen(':0', { family: 'IPv6', ipv6Only: true });
    try {
      assert.equal(server.localEndpoint.host, '::');
      const { port } = server.localEndpoint;
      await assert.rejects(
        within(StreamSocket.connect({ host: '127.0.0.1', port }), 5000, 'IPv4 connect'),
        ConnectionRefusedError,
      );
      const client = await within(
        StreamSocket.connect({ host: '::1', port }),
        5000,
        'IPv6 connect',
      );
      const peer = await within(server.accept(), 5000, 'accept');
      await Promise.all([client.close(), peer.close()]);
    } finally {
      await server.close();
    }
  });

  it('accept refuses a timeout beyond the timer limit, and waits for timeout Infinity', async () => {
    const server = await StreamServer.listen('127.0.0.1:0');
    const open: StreamSocket[] = [];
    const keep = (socket: StreamSocket): StreamSocket => {
      open.push(socket);
      return socket;
    };
    try {
      await assert.rejects(
        server.accept({ timeout: 3e9 }).then(keep),
        (error: unknown) =>
          error instanceof InvalidArgumentError && /2147483647/.test(error.message),
      );
      // Checked even when a connection is already waiting, which stays for the next accept.
      const early = keep(await connect(server));
      await within(
        assert.rejects(server.accept({ timeout: -1 }).then(keep), InvalidArgumentError),
        5000,
        'accept with a bad timeout',
      );
      const held = keep(await within(server.accept(), 5000, 'accept the waiting connection'));
      assert.deepEqual(held.remoteEndpoint, early.localEndpoint);
      const accepting = server.accept({ timeout: Infinity }).then(keep);
      const client = keep(await connect(server));
      const peer = await within(accepting, 5000, 'accept');
      assert.deepEqual(peer.remoteEndpoint, client.localEndpoint);
    } finally {
      await within(Promise.all(open.map((s) => s.close())), 5000, 'closing the connections');
      await server.close();
    }
  });

  it('rejects bad options with errors that name them', async () => {
    await assert.rejects(
      StreamServer.listen('127.0.0.1:0', { reuseAddress: false }),
      (error: unknown) =>
        error instanceof InvalidArgumentError && /SO_REUSEADDR/.test(error.message),
    );
    await assert.rejects(StreamServer.listen('127.0.0.1:0', { backlog: -1 }), /backlog must be/);
    await assert.rejects(
      StreamServer.listen('127.0.0.1:0', { acceptQueueLimit: 1.5 }),
      /acceptQueueLimit must be/,
    );
    await assert.rejects(
      StreamServer.listen('[::1]:0', { family: 'IPv4' }),
      /"::1" is an IPv6 address but the socket's family is 'IPv4'/,
    );
    await assert.rejects(StreamServer.listen('127.0.0.1:70000'), /invalid port 70000/);
    const server = await StreamServer.listen('127.0.0.1:0', { reuseAddress: true, backlog: 8 });
    await server.close();
  });
});
