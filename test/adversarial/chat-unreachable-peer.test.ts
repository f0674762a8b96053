import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { chatShows } from '../helpers/chat.js';
import type { LineChild } from '../helpers/child.js';
import { closeAll, startChat, UDP_BANNER } from './chat-support.js';

const SILENT_PEERS = 20;

function bindSilent(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    // Takes every datagram and never answers: a reliable peer that went silent.
    socket.on('message', () => undefined);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

describe('reliable chat: a peer that is gone', () => {
  it(
    'a peer killed with -9 and silent peers are dropped once, and no later line waits for them',
    { timeout: 60_000 },
    async () => {
      const children: LineChild[] = [];
      const silent: Socket[] = [];
      try {
        // Gone peers are given up after 3 s (10 s by default).
        const reliable = ['--reliable', '--peer-timeout', 3, '--host', '127.0.0.1'];
        const bob = await startChat(
          children,
          ['chat', 'udp', 0, '--name', 'Bob', ...reliable],
          UDP_BANNER,
        );
        const carol = await startChat(
          children,
          ['chat', 'udp', 0, '--name', 'Carol', ...reliable],
          UDP_BANNER,
        );
        for (let i = 0; i < SILENT_PEERS; i++) silent.push(await bindSilent());
        const alice = await startChat(
          children,
          [
            'chat',
            'udp',
            0,
            `127.0.0.1:${bob.port}`,
            `127.0.0.1:${carol.port}`,
            ...silent.map((s) => `127.0.0.1:${s.address().port}`),
            '--name',
            'Alice',
            ...reliable,
          ],
          UDP_BANNER,
        );
        alice.child.write('hello\n');
        await chatShows(bob.child, 'Alice', 'hello');
        await chatShows(carol.child, 'Alice', 'hello');

        carol.child.process.kill('SIGKILL');
        await carol.child.exitCode();
        const typed = performance.now();
        alice.child.write('line 1\nline 2\nline 3\n');
        await chatShows(bob.child, 'Alice', 'line 3', 20_000);
        const delivered = performance.now() - typed;
        // A chat that waited for the dead peer would first give it up, after the 3 s peer timeout.
        assert.deepEqual(
          alice.child.stderrLines.filter((l) => l.startsWith('# dropped')),
          [],
          'lines 1-3 reached the honest peer only once the gone peers were dropped',
        );

        // Once the reliable layer gives up on them, each gone peer is dropped, with one line.
        const gone = [carol.port, ...silent.map((s) => s.address().port)];
        for (let i = 0; i < gone.length; i++) {
          await alice.child.stderrMatch(/# dropped 127\.0\.0\.1:\d+: /, 20_000);
        }
        const droppedPorts = alice.child.stderrLines
          .map((l) => /# dropped 127\.0\.0\.1:(\d+): /.exec(l)?.[1])
          .filter((p) => p !== undefined)
          .map(Number);
        assert.deepEqual(
          [...droppedPorts].sort((x, y) => x - y),
          [...gone].sort((x, y) => x - y),
        );
        alice.child.write('line 4\n');
        await chatShows(bob.child, 'Alice', 'line 4', 5000);
        const aboutCarol = alice.child.stderrLines.filter((l) => l.includes(`:${carol.port}`));
        assert.equal(aboutCarol.length, 1, aboutCarol.join('\n'));
        process.stdout.write(
          `# lines 1-3 reached the honest peer ${Math.round(delivered)} ms after typing\n`,
        );
      } finally {
        await closeAll(children);
        for (const socket of silent) socket.close();
      }
    },
  );
});
