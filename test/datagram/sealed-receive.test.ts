import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { generatePsk, SealedDatagramSocket } from '../../src/index.js';
import { PskSealer, SEALED_OVERHEAD } from '../../src/psk/index.js';
import { nativeGcm } from '../../src/psk/gcm.js';
import { within } from '../helpers/bounded.js';

const HEADER = SEALED_OVERHEAD - 16;

/** A sender of hand-made datagrams, connected to `port`, so that each send is made at once. */
async function rawSender(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
  return socket;
}

function tampered(datagram: Buffer, at: number): Buffer {
  const copy = Buffer.from(datagram);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

describe('sealed datagrams opened where they were received', () => {
  it('a batch from two senders with forged, replayed and short datagrams among them: every authentic one intact, in order', async () => {
    const psk = generatePsk();
    const bob = await SealedDatagramSocket.bind('127.0.0.1:0', { psk });
    const x = await rawSender(bob.localEndpoint.port);
    const y = await rawSender(bob.localEndpoint.port);
    // What the socket's receive channel was shown, by reference and as it was then.
    const shown: { data: Uint8Array; then: Buffer }[] = [];
    const onReceive = (message: unknown): void => {
      const { data } = message as { data: Uint8Array };
      shown.push({ data, then: Buffer.from(data) });
    };
    subscribe('dsock:datagram:receive', onReceive);
    try {
      const xs = new PskSealer(psk);
      const ys = new PskSealer(psk);
      const expected: Buffer[] = [];
      const sent: Buffer[] = [];
      const authentic = (sealer: PskSealer, payload: Buffer): Buffer => {
        expected.push(payload);
        return sealer.seal(payload);
      };
      const x1 = authentic(xs, randomBytes(40));
      // Both senders are admitted first (a known sender's forged datagram is opened with its
      // own cipher), then everything else comes at once, small datagrams side by side.
      x.send(x1);
      y.send(authentic(ys, randomBytes(50)));
      await within(bob.recvFrom(), 5000, 'the first datagram');
      await within(bob.recvFrom(), 5000, 'the second datagram');
      expected.splice(0);
      const batch: [Socket, Buffer][] = [
        [x, authentic(xs, randomBytes(100))],
        [x, tampered(xs.seal(randomBytes(100)), HEADER + 10)], // forged body
        [y, authentic(ys, randomBytes(1))],
        [x, x1], // replayed
        [y, tampered(ys.seal(randomBytes(300)), 300 + HEADER + 3)], // forged tag
        [x, randomBytes(SEALED_OVERHEAD - 1)], // too short
        [y, authentic(ys, Buffer.alloc(0))],
        [x, authentic(xs, randomBytes(3000))], // a buffer of its own
        [y, tampered(ys.seal(randomBytes(2)), 2)], // forged sender id
        [y, authentic(ys, randomBytes(700))],
        [x, authentic(xs, Buffer.from('end'))],
      ];
      for (const [socket, datagram] of batch) {
        sent.push(datagram);
        socket.send(datagram);
      }
      const received: Buffer[] = [];
      while (received.length < expected.length) {
        const { data } = await within(bob.recvFrom(), 5000, `datagram ${received.length}`);
        received.push(data);
      }
      // Checked once all are opened: opening or refusing one leaves the others as they were.
      assert.deepEqual(received, expected);
      const { opened, forged, replayed, malformed } = bob.stats;
      assert.deepEqual(
        { opened, forged, replayed, malformed },
        { opened: 2 + expected.length, forged: 3, replayed: 1, malformed: 1 },
      );
      // What the channel was shown of the datagrams not opened is left as it was, but for the
      // body of a known sender's forged one, which the native cipher zeroes.
      const byDatagram = shown.slice(2);
      assert.deepEqual(
        byDatagram.map((s) => s.then),
        sent,
      );
      for (const [i, { data, then }] of byDatagram.entries()) {
        const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
        assert.deepEqual(bytes.subarray(0, HEADER), then.subarray(0, HEADER), `${i}: header`);
        assert.deepEqual(bytes.subarray(-16), then.subarray(-16), `${i}: tag`);
        if ((i === 1 || i === 4) && nativeGcm !== undefined) {
          const zeroed = Buffer.alloc(then.length - SEALED_OVERHEAD);
          assert.deepEqual(bytes.subarray(HEADER, -16), zeroed, `${i}: forged body zeroed`);
        } else if ([1, 3, 4, 5, 8].includes(i)) {
          assert.deepEqual(bytes, then, `${i}: not opened, left as it was`);
        }
      }
    } finally {
      unsubscribe('dsock:datagram:receive', onReceive);
      x.close();
      y.close();
      await bob.close();
    }
  });

  it('PskSealer.open leaves the datagram as it was, authentic or forged', () => {
    const psk = generatePsk();
    const alice = new PskSealer(psk);
    const bob = new PskSealer(psk);
    const sealed = alice.seal(randomBytes(64));
    const before = Buffer.from(sealed);
    assert.ok(bob.open(sealed));
    assert.deepEqual(sealed, before, 'authentic');
    const forged = tampered(alice.seal(randomBytes(64)), HEADER + 1);
    const forgedBefore = Buffer.from(forged);
    assert.equal(bob.open(forged), undefined);
    assert.deepEqual(forged, forgedBefore, 'forged');
  });
});
