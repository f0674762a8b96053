import { ChaosRelay, type Faults, ReliableDatagramSocket } from '../../src/index.js';
import type { ReliableSocketOptions } from '../../src/index.js';
import { within } from '../helpers/bounded.js';

/**
 * Test helpers for the reliable socket and the chaos relay.
 */

export { until } from '../helpers/bounded.js';
export { activeTimers } from '../helpers/resources.js';

/** Things to close after a test, in reverse order of creation. */
export class Resources {
  readonly #items: { close(): Promise<void> }[] = [];

  add<T extends { close(): Promise<void> }>(item: T): T {
    this.#items.push(item);
    return item;
  }

  async closeAll(): Promise<void> {
    const items = this.#items.splice(0).reverse();
    // A socket whose peer is gone would wait out its close timeout: give it none.
    await Promise.all(
      items.map((item) =>
        item instanceof ReliableDatagramSocket ? item.close({ timeout: 0 }) : item.close(),
      ),
    );
  }
}

/** A sender and a receiver, the sender reaching the receiver through a chaos relay. */
export interface RelayedPair {
  sender: ReliableDatagramSocket;
  receiver: ReliableDatagramSocket;
  relay: ChaosRelay;
}

export async function relayedPair(
  resources: Resources,
  faults: Faults,
  options: ReliableSocketOptions = {},
): Promise<RelayedPair> {
  const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0', options));
  const relay = resources.add(await ChaosRelay.start({ target: receiver.localEndpoint, faults }));
  const sender = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0', options));
  return { sender, receiver, relay };
}

/** The text of message `i` of a run: its number and some padding that varies with it. */
export function messageText(i: number): string {
  return `${i}:${'x'.repeat(i % 23)}`;
}

/**
 * Sends `count` messages through `pair` (all at once, the socket queues them) and receives
 * them, checking that each arrives exactly once and in order. Returns the elapsed ms.
 */
export async function transfer(pair: RelayedPair, count: number, ms: number): Promise<number> {
  const { sender, receiver, relay } = pair;
  const started = performance.now();
  const sends: Promise<number>[] = [];
  for (let i = 0; i < count; i++) sends.push(sender.sendTo(messageText(i), relay.localEndpoint));
  const receiving = (async () => {
    for (let i = 0; i < count; i++) {
      const { data } = await receiver.recvFrom();
      const text = data.toString();
      if (text !== messageText(i)) {
        throw new Error(`message ${i}: expected ${messageText(i)}, got ${text}`);
      }
    }
  })();
  await within(Promise.all([Promise.all(sends), receiving]), ms, `${count} messages`);
  return performance.now() - started;
}
