import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatEvent } from '../../src/apps/chat-event.js';
import { UdpChatPeer } from '../../src/apps/udp-chat.js';
import { ChaosRelay, ReliableDatagramSocket, type Endpoint } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { EventLog } from '../helpers/event-log.js';

const faults = { loss: 0.15, dup: 0.1, reorder: 0.1, delay: 1, jitter: 1 };

describe('UDP group chat over reliable datagrams through chaos relays', () => {
  it(
    "every message reaches every other peer once, in each sender's order",
    { timeout: 90_000 },
    async () => {
      const closers: (() => Promise<unknown>)[] = [];
      try {
        const names = ['A', 'B', 'C'] as const;
        const sockets = await Promise.all(
          names.map(() => ReliableDatagramSocket.bind('127.0.0.1:0')),
        );
        closers.push(...sockets.map((s) => () => s.close({ timeout: 200 })));
        // Each peer is reached through a relay of its own: the relay is its address for the others.
        const relays = await Promise.all(
          sockets.map((s, i) =>
            ChaosRelay.start({ target: s.localEndpoint, faults: { ...faults, seed: 40 + i } }),
          ),
        );
        closers.push(...relays.map((r) => () => r.close()));
        const at = (i: number): Endpoint => relays[i]!.localEndpoint;
        const logs = names.map(() => new EventLog<ChatEvent>());
        // A knows B and C; B knows C; C knows nobody. Answers come back from the relay a peer
        // already knows, so the peers learn each other without learning anyone twice.
        const known = [[at(1), at(2)], [at(2)], []];
        const chats = names.map(
          (name, i) => new UdpChatPeer(sockets[i]!, name, known[i]!, logs[i]!.push),
        );
        closers.unshift(...chats.map((c) => () => c.leave()));

        const count = 40;
        const texts = (name: string) => Array.from({ length: count }, (_, n) => `${name} ${n}`);
        // Speak in turn first, so that each one is known before the next speaks.
        for (const [i, chat] of chats.entries()) {
          await chat.say(`${names[i]} joins`);
          for (const [j, log] of logs.entries()) {
            if (j !== i) {
              await log.until(
                (e) => e.type === 'message' && e.message?.text === `${names[i]} joins`,
                `${names[j]} hears ${names[i]}`,
                1,
                20_000,
              );
            }
          }
        }
        assert.deepEqual(
          chats.map((c) => c.peers.length),
          [2, 2, 2],
        );

        await within(
          Promise.all(
            chats.map((chat, i) => Promise.all(texts(names[i]!).map((t) => chat.say(t)))),
          ),
          60_000,
          'all messages acknowledged',
        );
        for (const [j, log] of logs.entries()) {
          for (const [i, name] of names.entries()) {
            if (i === j) continue;
            await log.until(
              (e) => e.type === 'message' && e.message?.text === `${name} ${count - 1}`,
              `${names[j]} hears ${name}'s last`,
              1,
              20_000,
            );
            const heard = log.events
              .filter((e): e is Extract<ChatEvent, { type: 'message' }> => e.type === 'message')
              .filter((e) => e.message?.sender === name && e.message.text !== `${name} joins`)
              .map((e) => e.message?.text);
            assert.deepEqual(heard, texts(name), `${names[j]} hears ${name} once each, in order`);
          }
        }
        assert.ok(
          relays.some((r) => r.stats.total.dropped > 0),
          'the relays did lose datagrams',
        );
      } finally {
        for (const close of closers) await close().catch(() => undefined);
      }
    },
  );
});
