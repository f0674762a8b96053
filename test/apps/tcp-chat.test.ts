import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TcpChatConnection, type StreamChatEvent } from '../../src/apps/tcp-chat.js';
import { TcpGroupChat, type GroupChatEvent } from '../../src/apps/tcp-group-chat.js';
import { MessageTooLargeError, StreamServer, StreamSocket } from '../../src/index.js';
import { ipv6Available, NO_IPV6, until, within } from '../helpers/bounded.js';
import { EventLog } from '../helpers/event-log.js';

const textOf = (event: StreamChatEvent | GroupChatEvent): string | undefined =>
  event.type === 'message' ? event.message?.text : undefined;

describe('TCP chat', () => {
  it('exchanges chat messages both ways, and each side sees the other leave', async () => {
    const server = await StreamServer.listen('127.0.0.1:0');
    const alice = new EventLog<StreamChatEvent>();
    const bob = new EventLog<StreamChatEvent>();
    const [accepted, connected] = await within(
      Promise.all([server.accept(), StreamSocket.connect(server.localEndpoint)]),
      5000,
      'connection',
    );
    const a = new TcpChatConnection(accepted, 'Alice', alice.push);
    const b = new TcpChatConnection(connected, 'Bob', bob.push);
    try {
      await a.say('hi Bob');
      await b.say('hi Alice\nsecond line');
      const toBob = await bob.until((e) => textOf(e) === 'hi Bob', 'message to Bob');
      assert.ok(toBob.type === 'message' && toBob.message?.sender === 'Alice');
      const toAlice = await alice.until((e) => e.type === 'message', 'message to Alice');
      assert.ok(toAlice.type === 'message');
      assert.equal(toAlice.message?.text, 'hi Alice\nsecond line');
      assert.equal(toAlice.message?.sender, 'Bob');

      await assert.rejects(a.say('x'.repeat(70_000)), MessageTooLargeError);
      await b.close();
      const closed = await alice.until((e) => e.type === 'closed', 'Alice to see Bob leave');
      assert.ok(closed.type === 'closed' && closed.error === undefined);
    } finally {
      await a.close();
      await b.close();
      await server.close();
    }
  });
});

/** Starts member `name` on a free port of 127.0.0.1, connecting to `peers`, its events in `log`. */
function member(
  name: string,
  log: EventLog<GroupChatEvent>,
  peers: TcpGroupChat[] = [],
): Promise<TcpGroupChat> {
  const endpoints = peers.map((peer) => peer.localEndpoint);
  return TcpGroupChat.start(name, { listen: '127.0.0.1:0', peers: endpoints }, log.push);
}

describe('TCP group chat', () => {
  it('reaches every member over connections made either way, and survives one leaving', async () => {
    const logs = [
      new EventLog<GroupChatEvent>(),
      new EventLog<GroupChatEvent>(),
      new EventLog<GroupChatEvent>(),
    ];
    const members: TcpGroupChat[] = [];
    try {
      members.push(await member('A', logs[0]!));
      members.push(await member('B', logs[1]!, members));
      members.push(await member('C', logs[2]!, members));
      const [a, b, c] = members as [TcpGroupChat, TcpGroupChat, TcpGroupChat];
      await within(Promise.all([b.ready(), c.ready()]), 5000, 'members to connect');
      // A accepts B and C; B accepts C: wait until everyone sees two connections.
      for (const log of logs) {
        for (let n = 0; n < 2; n++) {
          await log.until(
            (e) =>
              e.type === 'connected' &&
              log.events.filter((x) => x.type === 'connected').length >= n + 1,
            'connections',
          );
        }
      }
      assert.deepEqual([a.peers.length, b.peers.length, c.peers.length], [2, 2, 2]);

      await a.say('from A');
      await c.say('from C');
      for (const [i, log] of logs.entries()) {
        if (i !== 0) await log.until((e) => textOf(e) === 'from A', `member ${i} gets A's message`);
        if (i !== 2) await log.until((e) => textOf(e) === 'from C', `member ${i} gets C's message`);
      }

      await b.close();
      await logs[0]!.until((e) => e.type === 'closed', 'A sees B leave');
      await logs[2]!.until((e) => e.type === 'closed', 'C sees B leave');
      await a.say('after B left');
      await logs[2]!.until((e) => textOf(e) === 'after B left', 'C still hears A');
      assert.equal(a.peers.length, 1);
    } finally {
      await Promise.all(members.map((m) => m.close()));
    }
  });

  for (const listen of ['127.0.0.1', '::']) {
    it(`two members that name each other hold two connections, and still get each message once and see the other leave once (listening on ${listen})`, async (t) => {
      if (listen === '::' && !(await ipv6Available())) return t.skip(NO_IPV6);
      const logs = [new EventLog<GroupChatEvent>(), new EventLog<GroupChatEvent>()];
      const members: TcpGroupChat[] = [];
      try {
        // B hears A on two connections; on '::', the one B accepted names A IPv4-mapped.
        const a = await TcpGroupChat.start('A', { listen: '127.0.0.1:0' }, logs[0]!.push);
        members.push(a);
        const b = await TcpGroupChat.start(
          'B',
          { listen: { host: listen, port: 0 }, peers: [a.localEndpoint] },
          logs[1]!.push,
        );
        members.push(b);
        a.addPeer({ host: '127.0.0.1', port: b.localEndpoint.port });
        // Each made one connection and accepted the other's.
        for (const log of logs) await log.until((e) => e.type === 'connected', 'connections', 2);
        assert.deepEqual([a.peers.length, b.peers.length], [2, 2]);

        for (const text of ['hello', 'hello', 'again', 'end']) await a.say(text);
        // Once both connections closed, everything said on either has come.
        await a.close();
        await logs[1]!.until((e) => e.type === 'closed', 'A to leave');
        // Left once: the first of its two connections to end was not A leaving.
        await until(() => b.peers.length === 0, 5000, 'both connections to close');
        assert.deepEqual(
          logs[1]!.events
            .filter((e) => e.type === 'closed')
            .map((e) => e.type === 'closed' && e.name),
          ['A'],
        );
        // Every line came on both connections; each is shown as often as it was said.
        const said = logs[1]!.events.map(textOf).filter((text) => text !== undefined);
        assert.deepEqual(said, ['hello', 'hello', 'again', 'end']);
      } finally {
        await Promise.all(members.map((m) => m.close()));
      }
    });
  }

  it('reports a peer it cannot reach and goes on', async () => {
    const gone = await StreamServer.listen('127.0.0.1:0');
    const port = gone.localEndpoint.port;
    await gone.close();
    const log = new EventLog<GroupChatEvent>();
    const member = await TcpGroupChat.start(
      'A',
      { listen: '127.0.0.1:0', peers: [{ host: '127.0.0.1', port }] },
      log.push,
    );
    try {
      const event = await log.until((e) => e.type === 'unreachable', 'unreachable report');
      assert.ok(event.type === 'unreachable' && event.error.code === 'ECONNREFUSED');
      await member.say('nobody hears this');
    } finally {
      await member.close();
    }
  });
});
