import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LineChild } from '../helpers/child.js';
import { closeAll, startChat, UDP_BANNER } from './chat-support.js';

const HINT = "a peer speaks dsock's reliable protocol: use --reliable";

describe('chat udp: a reliable peer and a plain one', () => {
  it(
    'the plain chat says once that the peer needs --reliable; the reliable side suggests the same',
    { timeout: 40_000 },
    async () => {
      const children: LineChild[] = [];
      try {
        const host = ['--host', '127.0.0.1'];
        const plain = await startChat(
          children,
          ['chat', 'udp', 0, '--name', 'P', ...host],
          UDP_BANNER,
        );
        // Given up after 2 s (10 s by default): the plain chat meanwhile gets every retransmission.
        const reliable = await startChat(
          children,
          [
            'chat',
            'udp',
            0,
            `127.0.0.1:${plain.port}`,
            '--name',
            'R',
            '--reliable',
            '--peer-timeout',
            2,
            ...host,
          ],
          UDP_BANNER,
        );
        reliable.child.write('one\ntwo\nthree\n');
        await plain.child.stderrMatch(new RegExp(HINT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        // The reliable side gives up on a peer that never acknowledges, and says why.
        await reliable.child.stderrMatch(
          new RegExp(`dropped 127\\.0\\.0\\.1:${plain.port}: .*use --reliable`),
          20_000,
        );
        plain.child.endInput();
        assert.equal(await plain.child.exitCode(), 0);
        const hints = plain.child.stderrLines.filter((l) => l.includes(HINT));
        process.stdout.write(
          `# the plain chat printed ${plain.child.stdoutLines.length} stdout lines and ${hints.length} hints\n`,
        );
        assert.equal(hints.length, 1);
        assert.deepEqual(plain.child.stdoutLines, [], 'no protocol bytes shown as chat text');
      } finally {
        await closeAll(children);
      }
    },
  );
});
