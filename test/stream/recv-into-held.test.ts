import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSelfSignedCertificate, type StreamSocket, TimeoutError } from '../../src/index.js';
import { until, within } from '../helpers/bounded.js';
import { pattern } from '../helpers/child.js';
import { connectedPair } from './pair.js';
import { sendPattern, stalled } from './pattern-transfer.js';

// recvInto when the application was busy elsewhere: the socket read on while nobody read,
// holding what it read as several arrivals (at most 64 KiB each by default, a slab's rest with
// readBufferSize, a TLS record's plain text with TLS). One call must take all of it that fits,
// in order; a socket stopped at the receive buffer's limit must read on once that call drained
// it; and a failure that came after the arrivals must come after them.

const KIB = 1024;
const MIB = 1024 * KIB;
// Large enough that what the receiver reads on after the drain frees a good part of the
// sender's kernel buffer, so that the sender is told it may go on.
const LIMIT = 4 * MIB;
// Several times what the kernel's buffers take on loopback before the sender stalls (about
// 5 MiB) and the limit, so that the sender waits on the stopped receiver.
const TOTAL = 32 * MIB;

/** Reads into `memory` at `received`, checks the bytes against the pattern, returns the count. */
async function readChecked(
  socket: StreamSocket,
  memory: Buffer,
  received: number,
): Promise<number> {
  const n = await within(socket.recvInto(memory), 10_000, 'recvInto');
  assert.ok(n <= memory.length, `${n} bytes read into ${memory.length}`);
  assert.ok(
    memory.subarray(0, n).equals(pattern(received, n)),
    `the bytes differ from ${received} on`,
  );
  return n;
}

/**
 * `sender` sends TOTAL bytes of the pattern to `receiver`, which does not read until the sender
 * has stalled: then two reads made together take what is held, in order and in one call each,
 * and reads made after an await (as a busy receiver's are) get the rest, then end of stream.
 */
async function heldThenDrained(sender: StreamSocket, receiver: StreamSocket): Promise<void> {
  let sent = 0;
  const sending = sendPattern(sender, TOTAL, 64 * KIB, (count) => (sent = count)).then(() =>
    sender.shutdown('write'),
  );
  sending.catch(() => undefined);
  const stalledAt = await stalled(() => sent);
  // Stopped at its limit, the receiver holds at least LIMIT bytes: the first read takes a few,
  // the one made with it takes the rest of what is held, several arrivals in one call.
  const small = Buffer.alloc(1000);
  const large = Buffer.alloc(2 * LIMIT);
  const first = readChecked(receiver, small, 0);
  const second = readChecked(receiver, large, small.length);
  assert.equal(await first, small.length);
  const taken = await second;
  assert.ok(taken >= LIMIT - small.length, `one recvInto took ${taken} of the bytes held`);
  let received = small.length + taken;
  // The socket stopped reading at the limit, and the reads above emptied the buffer: it must
  // read on by itself, before any other read waits (an application busy elsewhere), or the
  // sender stays stalled.
  await until(() => sent > stalledAt, 5000, 'the sender to go on');
  // The rest, read after an await each time, so that arrivals pile up between reads; recv and
  // recvExactly take their turns, from the same held arrivals.
  for (let reads = 0; reads < TOTAL && received < TOTAL; reads++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    let n: number;
    if (reads % 3 === 0) {
      n = await readChecked(receiver, large, received);
    } else {
      const piece = await within(
        reads % 3 === 1
          ? receiver.recv(100 * KIB)
          : receiver.recvExactly(Math.min(100 * KIB, TOTAL - received)),
        10_000,
        'recv',
      );
      assert.ok(piece.equals(pattern(received, piece.length)), `bytes differ from ${received} on`);
      n = piece.length;
    }
    assert.notEqual(n, 0, `end of stream after ${received} bytes`);
    received += n;
  }
  assert.equal(received, TOTAL);
  await within(sending, 10_000, 'sending');
  assert.equal(await within(receiver.recvInto(large), 5000, 'end of stream'), 0);
}

describe('StreamSocket.recvInto after its buffer filled while it did not read', () => {
  it('takes what is held in one call, and the connecting end reads on to the end', async () => {
    const pair = await connectedPair('127.0.0.1', { client: { receiveBufferLimit: LIMIT } });
    try {
      await heldThenDrained(pair.peer, pair.client);
    } finally {
      await pair.close();
    }
  });

  it('takes what is held in one call, and the accepting end reads on to the end', async () => {
    const pair = await connectedPair('127.0.0.1', { server: { receiveBufferLimit: LIMIT } });
    try {
      await heldThenDrained(pair.client, pair.peer);
    } finally {
      await pair.close();
    }
  });

  it('takes what is held in one call with readBufferSize, and reads on to the end', async () => {
    const pair = await connectedPair('127.0.0.1', {
      client: { receiveBufferLimit: LIMIT, readBufferSize: 64 * KIB },
    });
    try {
      await heldThenDrained(pair.peer, pair.client);
    } finally {
      await pair.close();
    }
  });

  it('takes what is held in one call over TLS, and reads on to the end', async () => {
    const lab = await createSelfSignedCertificate({ hosts: ['localhost'] });
    const pair = await connectedPair('127.0.0.1', {
      client: {
        receiveBufferLimit: LIMIT,
        tls: { ca: lab.cert, servername: 'localhost' },
        timeout: 5000,
      },
      server: { tls: { cert: lab.cert, key: lab.key } },
    });
    try {
      assert.ok(pair.client.tls !== undefined, 'the connection speaks TLS');
      await heldThenDrained(pair.peer, pair.client);
    } finally {
      await pair.close();
    }
  });
});

describe('StreamSocket.recvInto with arrivals held when the connection fails', () => {
  it('returns every byte held before the connection failed, then the failure', async () => {
    // The accepted end closes the connection once it has been idle for a while: everything the
    // client sent was read from the kernel long before, and is held, as several arrivals (the
    // default read takes at most 64 KiB at a time), when the failure comes.
    const pair = await connectedPair('127.0.0.1', { server: { idleTimeout: 200 } });
    try {
      const size = 200 * KIB;
      await within(pair.client.sendAll(pattern(0, size)), 5000, 'sendAll');
      // The accepted end closed on its idle timer: the client reads end of stream.
      assert.equal(await within(pair.client.recvInto(Buffer.alloc(1)), 5000, 'the close'), 0);
      const memory = Buffer.alloc(MIB);
      assert.equal(await readChecked(pair.peer, memory, 0), size);
      await assert.rejects(
        within(pair.peer.recvInto(memory), 5000, 'the failure'),
        (error: unknown) => error instanceof TimeoutError && /idle/.test(error.message),
      );
    } finally {
      await pair.close();
    }
  });

  it('gives a read queued behind an exact read that failed all it gathered, then the failure', async () => {
    // The exact read waits for more than comes and gathers every arrival, holding them back from
    // the recvInto made after it; the idle close fails the exact read, and the recvInto is then
    // served with all of them.
    const pair = await connectedPair('127.0.0.1', { server: { idleTimeout: 200 } });
    try {
      const size = 200 * KIB;
      const exact = pair.peer.recvExactly(size + 1, { timeout: 5000 });
      const memory = Buffer.alloc(MIB);
      const into = readChecked(pair.peer, memory, 0);
      await within(pair.client.sendAll(pattern(0, size)), 5000, 'sendAll');
      await assert.rejects(
        within(exact, 5000, 'the exact read'),
        (error: unknown) => error instanceof TimeoutError && /idle/.test(error.message),
      );
      assert.equal(await into, size);
      await assert.rejects(within(pair.peer.recvInto(memory), 5000, 'the failure'), TimeoutError);
    } finally {
      await pair.close();
    }
  });
});
