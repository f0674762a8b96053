import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatEvent } from '../../src/apps/chat-event.js';
import { UdpChatPeer } from '../../src/apps/udp-chat.js';
import {
  DatagramSocket,
  MessageTooLargeError,
  formatEndpoint,
  InvalidArgumentError,
} from '../../src/index.js';
import { EventLog } from '../helpers/event-log.js';

const textOf = (e: ChatEvent): string | undefined =>
  e.type === 'message' ? e.message?.text : undefined;

describe('UDP group chat peer', () => {
  it('talks to known peers, learns new ones from their datagrams, forgets those who leave', async () => {
    const sockets = await Promise.all([0, 1, 2].map(() => DatagramSocket.bind('127.0.0.1:0')));
    const logs = sockets.map(() => new EventLog<ChatEvent>());
    const [sa, sb, sc] = sockets as [DatagramSocket, DatagramSocket, DatagramSocket];
    // A knows B and C; B and C know nobody at first.
    const a = new UdpChatPeer(sa, 'Alice', [sb.localEndpoint, sc.localEndpoint], logs[0]!.push);
    const b = new UdpChatPeer(sb, 'Bob', [], logs[1]!.push);
    const c = new UdpChatPeer(sc, 'Carol', [], logs[2]!.push);
    try {
      await a.say('hello all');
      for (const log of [logs[1]!, logs[2]!]) {
        const joined = await log.until((e) => e.type === 'join', 'Alice to join');
        assert.ok(joined.type === 'join');
        assert.equal(formatEndpoint(joined.peer), formatEndpoint(sa.localEndpoint));
        const message = await log.until((e) => textOf(e) === 'hello all', 'Alice says hello');
        assert.ok(message.type === 'message' && message.message?.sender === 'Alice');
      }
      assert.deepEqual(b.peers, [sa.localEndpoint]);

      await b.say('hi Alice');
      await logs[0]!.until((e) => textOf(e) === 'hi Alice', 'Bob answers Alice');
      assert.equal(logs[2]!.events.filter((e) => textOf(e) === 'hi Alice').length, 0);

      await c.leave();
      const left = await logs[0]!.until((e) => e.type === 'leave', 'Carol leaves');
      assert.ok(left.type === 'leave');
      assert.equal(formatEndpoint(left.peer), formatEndpoint(sc.localEndpoint));
      assert.deepEqual(a.peers, [sb.localEndpoint]);
    } finally {
      await Promise.all([a.leave(), b.leave(), c.leave()]);
    }
  });

  it('refuses a message that does not fit in a datagram, sending nothing', async () => {
    const [sa, sb] = await Promise.all([
      DatagramSocket.bind('127.0.0.1:0'),
      DatagramSocket.bind('127.0.0.1:0'),
    ]);
    const log = new EventLog<ChatEvent>();
    const a = new UdpChatPeer(sa, 'Alice', [sb.localEndpoint], () => undefined);
    const b = new UdpChatPeer(sb, 'Bob', [], log.push);
    try {
      await assert.rejects(a.say('x'.repeat(65_507)), MessageTooLargeError);
      await a.say('small');
      await log.until((e) => textOf(e) === 'small', 'the small message');
      assert.equal(log.events.filter((e) => e.type === 'message').length, 1);
    } finally {
      await Promise.all([a.leave(), b.leave()]);
    }
  });

  it('shows text that is not a chat message raw', async () => {
    const [sa, raw] = await Promise.all([
      DatagramSocket.bind('127.0.0.1:0'),
      DatagramSocket.bind('127.0.0.1:0'),
    ]);
    const log = new EventLog<ChatEvent>();
    const a = new UdpChatPeer(sa, 'Alice', [], log.push);
    try {
      await raw.sendTo('plain text', sa.localEndpoint);
      const event = await log.until((e) => e.type === 'message', 'raw text');
      assert.ok(event.type === 'message');
      assert.equal(event.raw, 'plain text');
      assert.equal(event.message, null);
    } finally {
      await a.leave();
      await raw.close();
    }
  });

  it('knows at most maxPeers: new senders beyond are ignored and counted, named peers come back', async () => {
    const sockets = await Promise.all([0, 1, 2, 3].map(() => DatagramSocket.bind('127.0.0.1:0')));
    const [sa, named, first, late] = sockets as [
      DatagramSocket,
      DatagramSocket,
      DatagramSocket,
      DatagramSocket,
    ];
    const log = new EventLog<ChatEvent>();
    const a = new UdpChatPeer(sa, 'Alice', [named.localEndpoint], log.push, { maxPeers: 2 });
    try {
      await first.sendTo('from first', sa.localEndpoint);
      await log.until((e) => e.type === 'join', 'the first stranger joins');
      await late.sendTo('from late', sa.localEndpoint);
      await log.until((e) => e.type === 'full', 'the set is full');
      await named.sendTo(`x ${LEAVE}`, sa.localEndpoint);
      await log.until((e) => e.type === 'leave', 'the named peer leaves');
      // A named peer is let back in even though a stranger took its place in the meantime.
      await late.sendTo('late again', sa.localEndpoint);
      await named.sendTo('back', sa.localEndpoint);
      await log.until((e) => textOrRaw(e) === 'back', 'the named peer is back');
      assert.deepEqual(
        a.peers.map((p) => p.port).sort(),
        [first.localEndpoint.port, late.localEndpoint.port, named.localEndpoint.port].sort(),
      );
      assert.equal(a.ignoredDatagrams, 1);
      assert.ok(!log.events.some((e) => textOrRaw(e) === 'from late'));
    } finally {
      await a.leave();
      await Promise.all([named.close(), first.close(), late.close()]);
    }
  });

  it('refuses unusable limits with a InvalidArgumentError naming the option', async () => {
    const socket = await DatagramSocket.bind('127.0.0.1:0');
    try {
      for (const [option, value] of [
        ['maxPeers', 0],
        ['peerExpiry', -1],
        ['maxQueuedBytes', 1.5],
        ['stallTimeout', 2 ** 31],
      ] as const) {
        assert.throws(
          () => new UdpChatPeer(socket, 'A', [], () => undefined, { [option]: value }),
          (error: unknown) =>
            error instanceof InvalidArgumentError && error.message.includes(option),
        );
      }
    } finally {
      await socket.close();
    }
  });
});

const LEAVE = '<LEAVES THE CHAT>';
const textOrRaw = (e: ChatEvent): string | undefined => (e.type === 'message' ? e.raw : undefined);
