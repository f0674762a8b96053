/**
 * Batches whose datagrams share a destination and a size: on the native path such a run
 * leaves as one message that the system cuts back into the datagrams. Whatever the sizes, the
 * receiver gets every datagram whole, apart, and in order, as from one send per datagram.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LineChild } from '../helpers/child.js';
import { createNetns, nodeInNetns } from '../helpers/netns.js';
import { within } from '../helpers/bounded.js';
import { ConnectionRefusedError, DatagramSocket } from '../../src/index.js';
import { numberedDatagrams } from './segments.js';
import { FAMILIES, recv, socketTracker, unavailable } from './sockets.js';

const sockets = socketTracker();

/** Room in the kernel for every datagram of a test before anyone receives. */
const RECV_BUFFER = 8 * 1024 * 1024;

/**
 * Sizes that cross every edge of a run: longer than the most segments per message, a shorter
 * last one, a longer one after a run, empty datagrams between equal ones, the largest segment
 * size and one byte more, runs whose total passes one datagram's limit, and random sizes.
 */
function awkwardSizes(): number[] {
  const sizes = [
    ...Array<number>(150).fill(64),
    40,
    ...Array<number>(10).fill(64),
    65,
    ...Array<number>(5).fill(7),
    0,
    0,
    ...Array<number>(5).fill(7),
    1,
    1,
    ...Array<number>(60).fill(1452),
    ...Array<number>(10).fill(1453),
    ...Array<number>(70).fill(1024),
    1000,
  ];
  let seed = 7;
  for (let i = 0; i < 120; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    // Often the size before, so that random runs form too.
    sizes.push(seed % 3 === 0 ? (sizes.at(-1) as number) : 1 + (seed % 2000));
  }
  return sizes;
}

/** Receives `count` datagrams and checks each against the one sent at its place. */
async function receiveInOrder(receiver: DatagramSocket, sent: readonly Buffer[]): Promise<void> {
  for (const [i, expected] of sent.entries()) {
    const { data } = await recv(receiver, 65536);
    assert.equal(data.length, expected.length, `datagram ${i}: ${data.length} bytes`);
    assert.ok(Buffer.compare(data, expected) === 0, `datagram ${i} differs`);
  }
}

describe('DatagramSocket: runs of datagrams of one size', () => {
  for (const { family, loopback } of FAMILIES) {
    it(`${family}: sendToMany delivers every datagram apart and in order, whatever the sizes`, async (t) => {
      if (await unavailable(t, family)) return;
      const receiver = await sockets.bind(
        { host: loopback },
        { kernelReceiveBufferSize: RECV_BUFFER },
      );
      const sender = await sockets.bind({ host: loopback });
      const sent = numberedDatagrams(awkwardSizes());
      for (let start = 0; start < sent.length; start += 256) {
        const batch = sent.slice(start, start + 256);
        assert.equal(await sender.sendToMany(batch, receiver.localEndpoint), batch.length);
      }
      await receiveInOrder(receiver, sent);
      assert.equal(receiver.stats.datagramsReceived, sent.length);
    });
  }

  it('sendMany on a connected socket delivers runs apart and in order', async () => {
    const receiver = await sockets.bind(
      { host: '127.0.0.1' },
      { kernelReceiveBufferSize: RECV_BUFFER },
    );
    const sender = await sockets.bind({ host: '127.0.0.1' });
    await sender.connect(receiver.localEndpoint);
    const sent = numberedDatagrams([...Array<number>(100).fill(200), 20, 20, 300]);
    assert.equal(await sender.sendMany(sent), sent.length);
    await receiveInOrder(receiver, sent);
  });

  it('a refusal the peer already sent fails a run of one size, as it fails one send per datagram', async () => {
    // Nobody is bound at the peer: the first datagram brings back a port unreachable, which the
    // system holds for the next send on the socket. A run sent as one message takes that error
    // with it; sent again one by one, the run would succeed and the refusal be lost.
    const gone = await within(DatagramSocket.bind('127.0.0.1:0'), 5_000, 'bind');
    const dead = gone.localEndpoint;
    await within(gone.close(), 5_000, 'close');
    const sender = await sockets.bind({ host: '127.0.0.1' });
    await sender.connect(dead);
    assert.equal(await sender.send('anyone there?'), 13);
    const run = numberedDatagrams(Array<number>(4).fill(32));
    await assert.rejects(
      within(sender.sendMany(run), 5_000, 'the run'),
      (e: unknown) => e instanceof ConnectionRefusedError,
    );
    assert.ok(sender.stats.datagramsSent < 1 + run.length, `${sender.stats.datagramsSent} sent`);
  });

  it('sendTo calls made in one tick to two receivers reach each its own, in order', async () => {
    const bindReceiver = (): Promise<DatagramSocket> =>
      sockets.bind({ host: '127.0.0.1' }, { kernelReceiveBufferSize: RECV_BUFFER });
    const first = await bindReceiver();
    const second = await bindReceiver();
    const sender = await sockets.bind({ host: '127.0.0.1' });
    const sent = numberedDatagrams(Array<number>(200).fill(32));
    // Equal sizes, alternating destinations in blocks of 3: a run must never span two.
    const to = (i: number): DatagramSocket => (Math.floor(i / 3) % 2 === 0 ? first : second);
    await Promise.all(sent.map((datagram, i) => sender.sendTo(datagram, to(i).localEndpoint)));
    await receiveInOrder(
      first,
      sent.filter((_, i) => to(i) === first),
    );
    await receiveInOrder(
      second,
      sent.filter((_, i) => to(i) === second),
    );
  });

  it('delivers datagrams larger than the path carries whole, and smaller ones after them (fresh network namespace)', async (t) => {
    const netns = await createNetns();
    if (typeof netns === 'string') return t.skip(netns);
    try {
      // A loopback narrower than the 1,300-byte datagrams: the system refuses to cut a run
      // into segments that do not fit, so each datagram must go alone and be fragmented.
      const setUp = new LineChild('ip', [
        '-n',
        netns.name,
        'link',
        'set',
        'lo',
        'up',
        'mtu',
        '1280',
      ]);
      try {
        assert.equal(await setUp.exitCode(5_000), 0, 'ip link set lo up mtu 1280');
      } finally {
        await setUp.close();
      }
      const child = nodeInNetns(netns, new URL('./fixtures/narrow-path.js', import.meta.url));
      try {
        const outcome = JSON.parse(await child.nextLine(15_000)) as unknown;
        assert.deepEqual(outcome, [
          { size: 1300, count: 20, intact: 20 },
          { size: 100, count: 20, intact: 20 },
        ]);
      } finally {
        await child.close();
      }
    } finally {
      await netns.delete();
    }
  });
});
