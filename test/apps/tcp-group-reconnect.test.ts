import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Backoff, resolveBackoffOptions } from '../../src/apps/backoff.js';
import { TcpGroupChat, type GroupChatEvent } from '../../src/apps/tcp-group-chat.js';
import { within } from '../helpers/bounded.js';
import { EventLog } from '../helpers/event-log.js';

/**
 * A peer made of a plain TCP server, that counts the connections open to it at once (the most
 * ever seen too) and does with each what `serve` says.
 */
class CountingPeer {
  server: Server;
  open = new Set<Socket>();
  accepted = 0;
  mostAtOnce = 0;

  constructor(readonly serve: (socket: Socket, nth: number) => void = () => undefined) {
    this.server = this.#create();
  }

  #create(): Server {
    return createServer((socket) => {
      this.open.add(socket);
      this.accepted++;
      this.mostAtOnce = Math.max(this.mostAtOnce, this.open.size);
      socket.on('error', () => undefined);
      socket.on('close', () => this.open.delete(socket));
      this.serve(socket, this.accepted);
    });
  }

  listen(port = 0): Promise<number> {
    return within(
      new Promise<number>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(port, '127.0.0.1', () => {
          const address = this.server.address();
          resolve(typeof address === 'object' && address !== null ? address.port : 0);
        });
      }),
      5000,
      'the peer to listen',
    );
  }

  /** Stops listening and resets every connection, as a process that is killed. */
  async stop(): Promise<void> {
    for (const socket of this.open) socket.resetAndDestroy();
    await within(
      new Promise((resolve) => this.server.close(resolve)),
      5000,
      'the peer to stop listening',
    );
    this.server = this.#create();
  }
}

const delays = (log: EventLog<GroupChatEvent>): number[] =>
  log.events.flatMap((e) => (e.type === 'reconnecting' ? [e.delay] : []));

describe('TCP group chat: reconnection with backoff', () => {
  it('waits 0.5 s doubling up to 30 s, each wait shortened by up to 20% at random', () => {
    const options = resolveBackoffOptions();
    assert.deepEqual(options, {
      initialDelay: 500,
      maxDelay: 30_000,
      resetAfter: 10_000,
      jitter: 0.2,
    });
    const exact = new Backoff(options, () => 0);
    const nominal = Array.from({ length: 9 }, () => exact.next());
    assert.deepEqual(nominal, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    const shortest = new Backoff(options, () => 1);
    assert.deepEqual([shortest.next(), shortest.next()], [400, 800]);
    exact.reset();
    assert.equal(exact.next(), 500);
    assert.throws(() => resolveBackoffOptions({ jitter: 2 }), /jitter must be/);
    assert.throws(() => resolveBackoffOptions({ maxDelay: 10 }), /maxDelay must be at least/);
    assert.throws(() => resolveBackoffOptions({ initialDelay: 0 }), /initialDelay must be/);
  });

  it('connects again to a peer that restarts on the same port, one connection at a time', async () => {
    const peer = new CountingPeer();
    const port = await peer.listen();
    const log = new EventLog<GroupChatEvent>();
    const member = await TcpGroupChat.start(
      'A',
      {
        listen: '127.0.0.1:0',
        peers: [{ host: '127.0.0.1', port }],
        reconnect: { initialDelay: 100, jitter: 0 },
      },
      log.push,
    );
    try {
      await log.until((e) => e.type === 'connected', 'the first connection');
      await peer.stop();
      await log.until((e) => e.type === 'closed', 'the loss');
      // Refused while the peer is away: each wait twice the one before.
      await log.until((e) => e.type === 'reconnecting', 'three waits', 3);
      assert.deepEqual(delays(log).slice(0, 3), [100, 200, 400]);
      assert.ok(log.events.some((e) => e.type === 'unreachable'));
      await peer.listen(port);
      const again = await log.until(
        (e) => e.type === 'connected' && e.reconnected,
        'the reconnection',
        1,
        5000,
      );
      assert.ok(again.type === 'connected' && again.outgoing && again.peer.port === port);
      assert.deepEqual(member.peers, [{ host: '127.0.0.1', port }]);
      assert.equal(peer.mostAtOnce, 1, 'connections to the peer open at once');
      // Adding the peer again changes nothing: it is connected to already.
      assert.equal(member.addPeer({ host: '127.0.0.1', port }), false);
    } finally {
      await member.close();
      await peer.stop();
    }
  });

  it('a peer that accepts and closes at once is not hammered: the waits go on doubling', async () => {
    const peer = new CountingPeer((socket) => socket.end());
    const port = await peer.listen();
    const log = new EventLog<GroupChatEvent>();
    const member = await TcpGroupChat.start(
      'A',
      {
        listen: '127.0.0.1:0',
        peers: [{ host: '127.0.0.1', port }],
        reconnect: { initialDelay: 50, jitter: 0 },
      },
      log.push,
    );
    try {
      await log.until((e) => e.type === 'reconnecting', 'five waits', 5);
      assert.deepEqual(delays(log).slice(0, 5), [50, 100, 200, 400, 800]);
      assert.ok(peer.accepted <= 5, `${peer.accepted} connections`);
    } finally {
      await member.close();
      await peer.stop();
    }
  });

  it('a member dropped for not reading is not reconnected at once: the wait is not reset', async () => {
    // The 1st and 3rd connections are closed by the peer at once; the 2nd is never read.
    const peer = new CountingPeer((socket, nth) => {
      if (nth === 2) socket.pause();
      else socket.end();
    });
    const port = await peer.listen();
    const log = new EventLog<GroupChatEvent>();
    const member = await TcpGroupChat.start(
      'A',
      {
        listen: '127.0.0.1:0',
        peers: [{ host: '127.0.0.1', port }],
        // resetAfter 0: every connection that ends resets the waits, unless it was dropped.
        reconnect: { initialDelay: 50, jitter: 0, resetAfter: 0 },
        maxQueuedBytes: 64 * 1024,
        stallTimeout: 200,
      },
      log.push,
    );
    try {
      await log.until((e) => e.type === 'connected' && e.reconnected, 'the 2nd connection');
      const text = 'x'.repeat(60_000);
      for (let i = 0; i < 2000 && !log.events.some((e) => e.type === 'dropped'); i++) {
        await within(member.say(text), 5000, 'a message to be queued');
      }
      await log.until((e) => e.type === 'dropped', 'the member to be dropped');
      await log.until((e) => e.type === 'reconnecting', 'the wait after the 3rd', 3);
      assert.deepEqual(delays(log).slice(0, 3), [50, 100, 50]);
    } finally {
      await member.close();
      await peer.stop();
    }
  });

  it('a removed peer keeps its connection until it ends and is not reconnected; close ends a wait at once', async () => {
    const peer = new CountingPeer();
    const port = await peer.listen();
    const endpoint = { host: '127.0.0.1', port };
    const log = new EventLog<GroupChatEvent>();
    const member = await TcpGroupChat.start(
      'A',
      { listen: '127.0.0.1:0', reconnect: { initialDelay: 100, jitter: 0 } },
      log.push,
    );
    try {
      assert.equal(member.addPeer(endpoint), true);
      assert.equal(member.addPeer(endpoint), false);
      await log.until((e) => e.type === 'connected', 'the connection');
      assert.equal(member.removePeer(endpoint), true);
      assert.equal(member.removePeer(endpoint), false);
      assert.equal(member.peers.length, 1, 'the connection stays');
      await peer.stop();
      await log.until((e) => e.type === 'closed', 'the loss');
      // Taken up again: it is connected to anew, after a wait.
      await peer.listen(port);
      assert.equal(member.addPeer(endpoint), true);
      await log.until((e) => e.type === 'connected', 'the new connection', 2, 5000);
      await peer.stop();
      await log.until((e) => e.type === 'reconnecting', 'a wait');
      const closing = performance.now();
      await within(member.close(), 1000, 'close during a wait');
      assert.ok(performance.now() - closing < 1000);
      assert.equal(log.events.filter((e) => e.type === 'connected').length, 2);
    } finally {
      await member.close();
      await peer.stop();
    }
  });

  it('reconnect: false tries each peer once', async () => {
    const peer = new CountingPeer();
    const port = await peer.listen();
    await peer.stop();
    const log = new EventLog<GroupChatEvent>();
    const member = await TcpGroupChat.start(
      'A',
      { listen: '127.0.0.1:0', peers: [{ host: '127.0.0.1', port }], reconnect: false },
      log.push,
    );
    try {
      await within(member.ready(), 5000, 'the attempt');
      await log.until((e) => e.type === 'unreachable', 'the failure');
      assert.equal(member.addPeer({ host: '127.0.0.1', port }), true, 'forgotten after it');
      await log.until((e) => e.type === 'unreachable', 'the second failure', 2);
      assert.equal(delays(log).length, 0);
    } finally {
      await member.close();
    }
  });
});
