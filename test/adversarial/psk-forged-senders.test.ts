import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DatagramSocket, generatePsk, ReliableDatagramSocket } from '../../src/index.js';
import { nativeGcm } from '../../src/psk/gcm.js';
import { PskSealer } from '../../src/psk/sealer.js';
import { until, within } from '../helpers/bounded.js';
import { heapUsedAfterGc, peakRssOf, rssOf } from '../helpers/resources.js';

/** Version, sender id and counter (docs/psk.md), then ciphertext and the 16-byte tag. */
const HEADER = 25;
const TAG = 16;
/**
 * Forged sender ids: 39 times the 1,024 senders a receiver keeps by default, so that a table
 * that admitted them would have to forget, and a record kept per id (measured below at 40,000
 * ids: about 330 bytes of heap each, 13 to 14 MB in all) stands far above the bounds.
 */
const FORGED = 40_000;
const BATCH = 200;
const MB = 1024 * 1024;
/** A growth in MB with its sign: the heap may end smaller than it started. */
const mb = (bytes: number) => `${bytes < 0 ? '' : '+'}${(bytes / MB).toFixed(1)} MB`;
const engine = nativeGcm === undefined ? 'node:crypto' : 'native';
/**
 * A receiver that made a native cipher context for every unknown sender id held them until the
 * collector freed their small wrappers: 52 MB after 40,000 forged datagrams opened back to back
 * (129 MB after 100,000); one that makes none grows by 6 MB (native) to 12 MB (node:crypto).
 * 32 MB catches that, and any native memory of 0.8 kB kept per id.
 */
const BURST_BOUND = 32 * MB;
/**
 * Through a socket the event loop turns between datagrams, so such contexts are freed sooner;
 * the process's own churn of receiving 40,000 datagrams grew its RSS by 21 MB (native) to 38 MB
 * (node:crypto) here. A record kept per id shows in the heap, which grows by 0.4 to 2.2 MB
 * whatever the count: 6 MB is passed by any record of 160 bytes per id.
 */
const SOCKET_RSS_BOUND = 64 * MB;
const SOCKET_HEAP_BOUND = 6 * MB;

/**
 * The datagrams the kernel dropped for the IPv4 UDP socket bound to `port` (its receive buffer
 * was full), from the last column of /proc/net/udp: what reached the socket is what was sent
 * less these.
 */
function kernelDropsAt(port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if ((fields[1] ?? '').endsWith(hexPort)) return Number(fields[fields.length - 1]);
  }
  throw new Error(`no UDP socket on port ${port} in /proc/net/udp`);
}

/**
 * `count` datagrams shaped like sealed ones (version 1, a random sender id, garbage after), made
 * in one buffer before anything is measured, so that the attacker's memory is not counted.
 */
function forgedDatagrams(count: number): Buffer[] {
  const lengths = Array.from({ length: count }, () => HEADER + randomInt(0, 65) + TAG);
  const all = randomBytes(lengths.reduce((sum, length) => sum + length, 0));
  let at = 0;
  return lengths.map((length) => {
    const datagram = all.subarray(at, (at += length));
    datagram[0] = 0x01;
    // A counter a sender could have reached (below 2^53), so that only the tag gives it away.
    datagram.writeUInt32BE(randomInt(0, 2 ** 21), 17);
    return datagram;
  });
}

/** The same forged datagrams for both tests, made once. */
let made: Buffer[] | undefined;
const flood = () => (made ??= forgedDatagrams(FORGED));

describe('a PSK receiver flooded with forged sender ids', () => {
  it('delivers only the genuine peer, counts the flood as forged, and keeps no memory per id', async () => {
    const psk = generatePsk();
    const receiver = await ReliableDatagramSocket.bind('127.0.0.1:0', { psk });
    const peer = await ReliableDatagramSocket.bind('127.0.0.1:0', { psk });
    // A batch sent in one tick leaves in one sendmmsg call where the native path is loaded.
    const attacker = await DatagramSocket.bind('127.0.0.1:0');
    try {
      const target = receiver.localEndpoint;
      const stats = () => receiver.pskStats ?? assert.fail('no pskStats on a PSK socket');
      const forged = flood();
      const dropsBefore = kernelDropsAt(target.port);
      const heapBefore = heapUsedAfterGc();
      const rssBefore = rssOf();

      // The flood, a batch at a time: each batch is sent, then the receiver is given the time
      // to reject what reached it, so that the kernel delivers most of the flood.
      let sent = 0;
      const reached = () => sent - (kernelDropsAt(target.port) - dropsBefore);
      const rejected = () => stats().forged + stats().malformed;
      const sendBatch = (batch: Buffer[]) =>
        Promise.all(batch.map((datagram) => attacker.sendTo(datagram, target)));
      // Done once every datagram sent was rejected, or, when the receiver stopped counting
      // between two looks, once the kernel's drops make up the rest (/proc is read only then).
      let rejectedAtLastLook = -1;
      const batchDone = () => {
        const now = rejected();
        if (now >= sent) return true;
        const idle = now === rejectedAtLastLook;
        rejectedAtLastLook = now;
        return idle && now >= reached();
      };
      const flooding = (async () => {
        while (sent < FORGED) {
          const batch = forged.slice(sent, sent + BATCH);
          await sendBatch(batch);
          sent += batch.length;
          await until(batchDone, 10_000, () => {
            return `the receiver to reject ${reached()} forged datagrams (${rejected()} so far)`;
          });
        }
      })();
      await within(flooding, 240_000, `${FORGED} forged datagrams`);

      const heapGrowth = heapUsedAfterGc() - heapBefore;
      const rssGrowth = rssOf() - rssBefore;
      const peakGrowth = peakRssOf() - rssBefore;
      const kernelDrops = kernelDropsAt(target.port) - dropsBefore;
      const afterFlood = stats();
      console.log(
        `# ${engine} path: ${sent} forged sent, ` +
          `${sent - kernelDrops} reached the socket (kernel dropped ${kernelDrops}); ` +
          `forged ${afterFlood.forged}, malformed ${afterFlood.malformed}, ` +
          `senders ${afterFlood.senders}; ` +
          `heap ${mb(heapGrowth)}, RSS ${mb(rssGrowth)} ` +
          `(peak ${mb(peakGrowth)})`,
      );
      assert.equal(afterFlood.forged, sent - kernelDrops, 'every forged datagram that arrived');
      assert.equal(afterFlood.malformed, 0, 'shaped like sealed: only the tag gives them away');
      assert.ok(kernelDrops < sent / 10, `the kernel dropped ${kernelDrops}: most must arrive`);
      assert.equal(afterFlood.opened, 0, 'nothing forged was opened');
      assert.equal(afterFlood.senders, 0, 'no forged id was admitted');
      assert.ok(heapGrowth < SOCKET_HEAP_BOUND, `heap grew ${mb(heapGrowth)}`);
      assert.ok(rssGrowth < SOCKET_RSS_BOUND, `RSS grew ${mb(rssGrowth)}`);

      // The genuine peer, after the flood: every message, intact and in order, and nothing else.
      const messages = Array.from({ length: 10 }, (_, i) => `genuine ${i} ${'g'.repeat(i * 300)}`);
      const sending = Promise.all(messages.map((m) => peer.sendTo(m, target)));
      const received: string[] = [];
      for (const [i] of messages.entries()) {
        const message = await within(
          receiver.recvFrom(undefined, { timeout: 10_000 }),
          12_000,
          `genuine message ${i}`,
        );
        assert.equal(message.sender.port, peer.localEndpoint.port, 'from the genuine peer');
        received.push(message.data.toString());
      }
      await within(sending, 10_000, "the genuine peer's acknowledgements");
      assert.deepEqual(received, messages, 'all, intact, in order');
      await assert.rejects(receiver.recvFrom(undefined, { timeout: 300 }), /timed out/);
      const after = stats();
      assert.equal(after.forged, afterFlood.forged, 'the genuine datagrams all authenticated');
      assert.equal(after.senders, 1, 'the genuine peer is the one sender kept');
      assert.equal(after.sendersForgotten, 0);
    } finally {
      await Promise.all([
        attacker.close(),
        peer.close({ timeout: 0 }),
        receiver.close({ timeout: 0 }),
      ]);
    }
  });
  it('opens a burst of forged datagrams back to back without keeping anything per id', () => {
    // What a receive batch does: datagram after datagram, the event loop not turning between.
    const sealer = new PskSealer(generatePsk());
    const forged = flood();
    const heapBefore = heapUsedAfterGc();
    const rssBefore = rssOf();
    for (const datagram of forged) assert.equal(sealer.open(datagram), undefined);
    const rssGrowth = rssOf() - rssBefore;
    const heapGrowth = heapUsedAfterGc() - heapBefore;
    const { forged: counted, senders } = sealer.stats;
    console.log(
      `# ${engine} path, ${FORGED} forged opened back to back: forged ${counted}, ` +
        `senders ${senders}; RSS ${mb(rssGrowth)}, ` +
        `heap ${mb(heapGrowth)}`,
    );
    assert.equal(counted, FORGED);
    assert.equal(senders, 0);
    assert.ok(rssGrowth < BURST_BOUND, `RSS grew ${mb(rssGrowth)}`);
    assert.ok(heapGrowth < SOCKET_HEAP_BOUND, `heap grew ${mb(heapGrowth)}`);
  });
});
