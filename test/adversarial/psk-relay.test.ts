import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import {
  generatePsk,
  PeerUnreachableError,
  ReliableDatagramSocket,
  SealedDatagramSocket,
  type Endpoint,
} from '../../src/index.js';
import { decodePacket, encodeReset, PacketType } from '../../src/reliable/wire.js';
import { within } from '../helpers/bounded.js';

/**
 * An active attacker between two peers: every datagram from either side passes through it.
 * It records what it forwarded, flips a byte in some datagrams (forwarding the damaged copy
 * instead), replays old datagrams, and injects random ones.
 */
class AttackingRelay {
  readonly socket: Socket = createSocket('udp4');
  readonly seen: Buffer[] = [];
  readonly history: Buffer[] = [];
  flipped = 0;
  replayed = 0;
  injected = 0;
  #count = 0;
  #client: Endpoint | undefined;

  constructor(readonly server: Endpoint) {
    this.socket.on('message', (data, info) => this.#onMessage(data, info));
  }

  async bind(): Promise<Endpoint> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return { host: '127.0.0.1', port: this.socket.address().port };
  }

  #onMessage(data: Buffer, info: { address: string; port: number }): void {
    const fromServer = info.port === this.server.port && info.address === this.server.host;
    if (!fromServer) this.#client = { host: info.address, port: info.port };
    const to = fromServer ? this.#client : this.server;
    if (to === undefined) return;
    this.seen.push(Buffer.from(data));
    const n = ++this.#count;
    if (this.history.length < 512) this.history.push(Buffer.from(data));
    if (n % 7 === 0) {
      const damaged = Buffer.from(data);
      const at = n % damaged.length;
      damaged[at] = (damaged[at] as number) ^ 0x5a;
      this.flipped++;
      this.#send(damaged, to);
      return;
    }
    this.#send(data, to);
    if (n % 3 === 0) {
      // Replays to both sides: an old datagram of either direction.
      const old = this.history[(n * 31) % this.history.length] as Buffer;
      this.replayed += 2;
      this.#send(old, this.server);
      if (this.#client !== undefined) this.#send(old, this.#client);
    }
    if (n % 5 === 0) {
      this.injected++;
      this.#send(randomBytes(20 + (n % 200)), to);
    }
  }

  #send(data: Buffer, to: Endpoint): void {
    this.socket.send(data, to.port, to.host);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

const MARKER = 'PLAINTEXT-MARKER';

describe('an active attacker between two PSK peers', () => {
  it('delivers every reliable message once, intact, in order; drops and counts the rest', async () => {
    const psk = generatePsk();
    const receiver = await ReliableDatagramSocket.bind('127.0.0.1:0', { psk, minRto: 20 });
    const sender = await ReliableDatagramSocket.bind('127.0.0.1:0', { psk, minRto: 20 });
    const outsider = await ReliableDatagramSocket.bind('127.0.0.1:0', {
      psk: generatePsk(),
      peerTimeout: 1000,
    });
    const relay = new AttackingRelay(receiver.localEndpoint);
    try {
      const via = await relay.bind();
      const count = 200;
      const messages = Array.from(
        { length: count },
        (_, i) => `${MARKER} ${i} ${'x'.repeat(i % 3 === 0 ? 3000 : 10)}`,
      );
      const sending = Promise.all(messages.map((m) => sender.sendTo(m, via)));
      // An outsider with another key talks to the receiver directly.
      const outsiderSend = outsider.sendTo(`${MARKER} from outside`, receiver.localEndpoint).then(
        () => 'delivered',
        (e: unknown) => e,
      );
      const received: string[] = [];
      for (let i = 0; i < count; i++) {
        const message = await within(
          receiver.recvFrom(undefined, { timeout: 20_000 }),
          25_000,
          `message ${i}`,
        );
        received.push(message.data.toString());
      }
      await within(sending, 20_000, 'acknowledgements');
      assert.deepEqual(received, messages, 'all, once, intact, in order');
      const refused = await within(outsiderSend, 10_000, "the outsider's send to fail");
      assert.ok(refused instanceof PeerUnreachableError);
      assert.match(refused.message, /same pre-shared key \(--psk\)/);
      // Nothing more arrives: no replay, forgery or outsider's message was delivered.
      await assert.rejects(receiver.recvFrom(undefined, { timeout: 300 }), /timed out/);
      const r = receiver.pskStats;
      const s = sender.pskStats;
      assert.ok(r !== undefined && s !== undefined);
      console.log(
        `# relay: flipped ${relay.flipped}, replayed ${relay.replayed}, injected ${relay.injected}; ` +
          `receiver dropped forged ${r.forged}, replayed ${r.replayed}, malformed ${r.malformed}; ` +
          `sender dropped forged ${s.forged}, replayed ${s.replayed}, malformed ${s.malformed}`,
      );
      assert.ok(relay.flipped > 0 && relay.replayed > 0 && relay.injected > 0);
      assert.ok(r.forged >= 1, 'the outsider and damaged datagrams failed to authenticate');
      assert.ok(r.replayed + s.replayed > 0, 'replays were recognised');
      assert.ok(r.malformed + s.malformed > 0, 'random injections were refused');
      const capture = Buffer.concat(relay.seen);
      assert.equal(capture.indexOf(MARKER), -1, 'no plaintext on the wire');
      assert.equal(capture.indexOf('xxxxxxxx'), -1, 'no plaintext on the wire');
    } finally {
      await relay.close();
      await Promise.all([
        sender.close({ timeout: 0 }),
        receiver.close({ timeout: 0 }),
        outsider.close({ timeout: 0 }),
      ]);
    }
  });

  it('a forged RESET stops a flow without a key, and no longer does with one', async () => {
    /** Sends messages through a relay that answers every DATA with a forged RESET of its flow. */
    async function underForgedResets(psk: string | undefined): Promise<unknown> {
      const options = psk === undefined ? { peerTimeout: 3000 } : { psk, peerTimeout: 3000 };
      const receiver = await ReliableDatagramSocket.bind('127.0.0.1:0', options);
      const sender = await ReliableDatagramSocket.bind('127.0.0.1:0', options);
      const forger = createSocket('udp4');
      forger.on('message', (data, info) => {
        const fromSender = info.port === sender.localEndpoint.port;
        const to = fromSender ? receiver.localEndpoint : sender.localEndpoint;
        forger.send(data, to.port, '127.0.0.1');
        if (!fromSender) return;
        const packet = decodePacket(data);
        // The attacker reads the incarnation off a plain DATA; a sealed one shows it nothing,
        // so it tries the bytes where the incarnation would be.
        const incarnation =
          packet?.type === PacketType.Data ? packet.incarnation : data.readUInt32BE(4);
        forger.send(encodeReset(incarnation), info.port, info.address);
      });
      try {
        await new Promise<void>((resolve) => forger.bind(0, '127.0.0.1', resolve));
        const via = { host: '127.0.0.1', port: forger.address().port };
        return await within(
          sender.sendTo('must arrive', via).then(
            () => 'acknowledged',
            (e: unknown) => e,
          ),
          15_000,
          'the send to settle',
        );
      } finally {
        forger.close();
        await Promise.all([sender.close({ timeout: 0 }), receiver.close({ timeout: 0 })]);
      }
    }
    const plain = await underForgedResets(undefined);
    assert.ok(plain instanceof PeerUnreachableError, `without a key: ${String(plain)}`);
    assert.match(plain.message, /reset/);
    const sealed = await underForgedResets(generatePsk());
    assert.equal(sealed, 'acknowledged', `with a key: ${String(sealed)}`);
  });

  it('plain sealed datagrams: tampered, replayed and outsider datagrams never received', async () => {
    const psk = generatePsk();
    const bob = await SealedDatagramSocket.bind('127.0.0.1:0', { psk });
    const alice = await SealedDatagramSocket.bind('127.0.0.1:0', { psk });
    const outsider = await SealedDatagramSocket.bind('127.0.0.1:0', { psk: generatePsk() });
    const relay = new AttackingRelay(bob.localEndpoint);
    try {
      const via = await relay.bind();
      await outsider.sendTo(`${MARKER} outsider`, bob.localEndpoint);
      const sent: string[] = [];
      for (let i = 0; i < 50; i++) {
        sent.push(`${MARKER} ${i}`);
        await alice.sendTo(`${MARKER} ${i}`, via);
      }
      const got: string[] = [];
      for (;;) {
        const message = await bob.recvFrom(undefined, { timeout: 500 }).catch(() => undefined);
        if (message === undefined) break;
        got.push(message.data.toString());
        assert.ok(got.length <= 50, 'no more than was sent');
      }
      // Every 7th datagram was damaged on the way (lost, unless a replay of its undamaged copy
      // came later); everything else came once, and nothing but what alice sent.
      assert.equal(new Set(got).size, got.length, 'no duplicates');
      assert.ok(
        got.every((text) => sent.includes(text)),
        'only what alice sent',
      );
      assert.ok(got.length >= 50 - Math.floor(50 / 7), `${got.length} received`);
      const { forged, replayed, malformed } = bob.stats;
      console.log(`# bob dropped forged ${forged}, replayed ${replayed}, malformed ${malformed}`);
      assert.ok(forged >= 1, 'the outsider');
      assert.ok(forged + replayed + malformed >= 1 + Math.floor(50 / 7), 'the damaged ones');
      assert.ok(replayed > 0);
      assert.ok(malformed > 0, 'random injections');
      assert.equal(Buffer.concat(relay.seen).indexOf(MARKER), -1);
    } finally {
      await relay.close();
      await Promise.all([alice.close(), bob.close(), outsider.close()]);
    }
  });
});
