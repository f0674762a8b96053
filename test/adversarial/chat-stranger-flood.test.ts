import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { formatChatMessage } from '../../src/apps/chat-message.js';
import { within } from '../helpers/bounded.js';
import { chatShows } from '../helpers/chat.js';
import type { LineChild } from '../helpers/child.js';
import { closeAll, startChat, texts, UDP_BANNER } from './chat-support.js';

/** A UDP socket of the test that counts the datagrams it receives. */
interface Counted {
  socket: Socket;
  port: number;
  received: string[];
}

function bindCounted(): Promise<Counted> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const counted: Counted = { socket, port: 0, received: [] };
    socket.once('error', reject);
    socket.on('message', (data) => counted.received.push(data.toString()));
    socket.bind(0, '127.0.0.1', () => {
      counted.port = socket.address().port;
      resolve(counted);
    });
  });
}

function sendFrom(from: Counted, port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    from.socket.send(text, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
}

/** Resolves once `from` received a datagram containing `text`, bounded. */
async function hears(from: Counted, text: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!from.received.some((d) => d.endsWith(text))) {
    if (performance.now() > deadline) throw new Error(`${from.port} never heard ${text}`);
    await within(
      new Promise((resolve) => from.socket.once('message', resolve)),
      deadline - performance.now(),
      `a datagram to ${from.port}`,
    ).catch(() => undefined);
  }
}

const STRANGERS = 300;
const CAP = 256;

describe('UDP chat: a flood of strangers', () => {
  it(
    'the peer set is capped: strangers beyond it are ignored and counted, named peers stay',
    { timeout: 60_000 },
    async () => {
      const children: LineChild[] = [];
      const sockets: Counted[] = [];
      try {
        const named = await bindCounted();
        sockets.push(named);
        const a = await startChat(
          children,
          ['chat', 'udp', 0, `127.0.0.1:${named.port}`, '--name', 'A', '--host', '127.0.0.1'],
          UDP_BANNER,
        );
        for (let i = 0; i < STRANGERS; i++) {
          const stranger = await bindCounted();
          sockets.push(stranger);
          await sendFrom(stranger, a.port, formatChatMessage(`spam ${i}`, `S${i}`));
        }
        // Datagrams from one socket arrive in order: this one comes after the flood.
        await sendFrom(named, a.port, formatChatMessage('after the flood', 'N'));
        await chatShows(a.child, 'N', 'after the flood');

        a.child.write('hello\n');
        await hears(named, 'hello');
        a.child.write('second\n');
        await hears(named, 'second');
        const strangers = sockets.slice(1);
        const reached = strangers.filter((s) => s.received.some((d) => d.endsWith('hello')));
        const joined = a.child.stderrLines.filter((l) => /new peer/.test(l)).length;
        process.stdout.write(
          `# ${joined} strangers became peers; the typed line went to ${reached.length} of ${STRANGERS}\n`,
        );
        assert.ok(reached.length < CAP, `the line went to ${reached.length} strangers`);
        assert.ok(joined < CAP, `${joined} strangers became peers`);
        await a.child.stderrMatch(/peer limit of 256 reached: ignoring new senders/);
        // Ignored strangers are not shown either.
        assert.ok(!texts(a.child).includes(`spam ${STRANGERS - 1}`));
        a.child.endInput();
        assert.equal(await a.child.exitCode(), 0);
        assert.match(a.child.stderr, /ignored \d+ datagrams? from senders beyond the peer limit/);
      } finally {
        await closeAll(children);
        for (const s of sockets) s.socket.close();
      }
    },
  );

  it(
    'strangers that fall silent expire and make room; a named peer never does',
    { timeout: 60_000 },
    async () => {
      const children: LineChild[] = [];
      const sockets: Counted[] = [];
      try {
        const named = await bindCounted();
        const early = await bindCounted();
        const late = await bindCounted();
        sockets.push(named, early, late);
        const a = await startChat(
          children,
          [
            'chat',
            'udp',
            0,
            `127.0.0.1:${named.port}`,
            '--name',
            'A',
            '--host',
            '127.0.0.1',
            '--max-peers',
            2,
            '--peer-expiry',
            1,
          ],
          UDP_BANNER,
        );
        await sendFrom(early, a.port, formatChatMessage('first', 'E'));
        await chatShows(a.child, 'E', 'first');
        // The set is full (the named peer and one stranger): this one is ignored.
        await sendFrom(late, a.port, formatChatMessage('ignored', 'L'));
        await a.child.stderrMatch(/peer limit of 2 reached/);
        // Once the early stranger has been silent past the expiry, the late one gets in.
        let admitted = false;
        for (let i = 0; i < 40 && !admitted; i++) {
          await sendFrom(late, a.port, formatChatMessage(`knock ${i}`, 'L'));
          admitted = await chatShows(a.child, 'L', `knock ${i}`, 250).then(
            () => true,
            () => false,
          );
        }
        assert.ok(admitted, 'a stranger was let in after the silent one expired');
        a.child.write('to the set now\n');
        await hears(late, 'to the set now');
        await hears(named, 'to the set now');
        assert.ok(!early.received.some((d) => d.endsWith('to the set now')));
      } finally {
        await closeAll(children);
        for (const s of sockets) s.socket.close();
      }
    },
  );
});
