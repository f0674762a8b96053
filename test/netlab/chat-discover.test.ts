import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatShows } from '../helpers/chat.js';
import type { LineChild } from '../helpers/child.js';
import { TWO_LANS, withLab } from '../helpers/netlab.js';

describe('dsock chat udp --discover across the lab', () => {
  it('members find each other on both LANs, talk, and notice one that goes silent', async (t) => {
    await withLab(t, TWO_LANS, async (lab) => {
      const started: LineChild[] = [];
      try {
        const chats: Record<string, LineChild> = {};
        for (const [host, name] of [
          ['alpha', 'Alice'],
          ['beta', 'Bea'],
          ['gateway', 'Gil'],
          ['delta', 'Dave'],
        ] as const) {
          const chat = lab.dsock(host, [
            'chat',
            'udp',
            7000,
            '--discover',
            '--room',
            'lab',
            '-n',
            name,
          ]);
          started.push(chat);
          chats[name] = chat;
        }
        // A member of another room on lan1 is never added.
        const other = lab.dsock('beta', [
          'chat',
          'udp',
          7001,
          '--discover',
          '--room',
          'x',
          '-n',
          'Ox',
        ]);
        started.push(other);
        const { Alice, Bea, Gil, Dave } = chats;
        assert.ok(Alice && Bea && Gil && Dave);
        const ip = (host: string, i = 0): string => lab.host(host).interfaces[i]?.ipv4 ?? '';
        const newPeer = (host: string, name: string, i = 0): string =>
          `# new peer ${ip(host, i)}:7000 (${name})`;
        /** Waits until `chat` reported every one of `lines` (in any order). */
        const reports = async (chat: LineChild, lines: string[]): Promise<void> => {
          while (!lines.every((line) => chat.stderrLines.includes(line))) {
            await chat.stderrMatch(/^# new peer /, 15_000);
          }
        };
        await reports(Gil, [
          newPeer('alpha', 'Alice'),
          newPeer('beta', 'Bea'),
          newPeer('delta', 'Dave'),
        ]);
        await reports(Alice, [newPeer('beta', 'Bea'), newPeer('gateway', 'Gil', 0)]);
        await reports(Dave, [newPeer('gateway', 'Gil', 1)]);
        Gil.write('hello both LANs\n');
        for (const chat of [Alice, Bea, Dave]) await chatShows(chat, 'Gil', 'hello both LANs');
        Alice.write('hello lan1\n');
        await chatShows(Gil, 'Alice', 'hello lan1');
        await chatShows(Bea, 'Alice', 'hello lan1');

        Bea.process.kill('SIGKILL');
        const left = await Gil.stderrMatch(
          new RegExp('^# Bea left the chat \\(silent for ([0-9.]+) s\\)$'),
          15_000,
        );
        assert.ok(Number(left[1]) >= 3, left[0]);
        // A clean exit says goodbye: noticed at once, without a silence.
        Dave.endInput();
        assert.equal(await Dave.exitCode(), 0, Dave.stderr);
        // Named by the sender of Dave's messages.
        await Gil.stderrMatch(/^# Dave left the chat$/);
        assert.ok(![...Alice.stderrLines, ...Gil.stderrLines].some((l) => /\(Ox\)/.test(l)));
      } finally {
        await Promise.all(started.map((c) => c.close()));
      }
    });
  });
});
