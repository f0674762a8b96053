import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatShows } from '../helpers/chat.js';
import { dsock, type LineChild } from '../helpers/child.js';
import { TWO_LANS, withLab } from '../helpers/netlab.js';

const PORT = 7200;

/** How many times `child` printed the chat message TEXT (its text line after a header). */
function timesShown(child: LineChild, text: string): number {
  return child.stdoutLines.filter((line) => line === `\t${text}`).length;
}

const CONNECTION = /^# (re)?connected (to|from) /;

describe('dsock chat tcp group --discover across the lab', () => {
  it('refuses --room without --discover before it listens: one line, exit 2', async () => {
    const child = dsock([
      'chat',
      'tcp',
      'group',
      0,
      '--room',
      'x',
      '-n',
      'A',
      '--host',
      '127.0.0.1',
    ]);
    try {
      child.endInput();
      assert.equal(await child.exitCode(), 2);
      assert.deepEqual(child.stderrLines, [
        'dsock chat tcp group: --room needs --discover (see dsock chat tcp group --help)',
      ]);
    } finally {
      await child.close();
    }
  });

  it(
    'members found on both LANs connect once per pair, and every message reaches every member once',
    { timeout: 120_000 },
    async (t) => {
      await withLab(t, TWO_LANS, async (lab) => {
        const started: LineChild[] = [];
        try {
          const member = (host: string, name: string, ...extra: string[]): LineChild => {
            const child = lab.dsock(host, [
              ...['chat', 'tcp', 'group', PORT, ...extra],
              ...['--discover', '--room', 'lab', '-n', name],
            ]);
            started.push(child);
            return child;
          };
          // Dave (lan2) shares no LAN with Alice and Bea (lan1), so discovery cannot find them
          // to each other, and a group chat relays nothing: Dave is also given their
          // addresses, beside discovery.
          const alice = member('alpha', 'Alice');
          const bea = member('beta', 'Bea');
          const gil = member('gateway', 'Gil');
          const dave = member(
            'delta',
            'Dave',
            `${lab.host('alpha').ipv4}:${PORT}`,
            `${lab.host('beta').ipv4}:${PORT}`,
          );
          // A member of another room on lan1 is never connected to.
          const other = lab.dsock('beta', [
            ...['chat', 'tcp', 'group', PORT + 1],
            ...['--discover', '--room', 'x', '-n', 'Ox'],
          ]);
          started.push(other);
          const expected = new Map([
            [alice, 3],
            [bea, 3],
            [gil, 3],
            [dave, 3],
          ]);
          for (const [chat, count] of expected) {
            for (let n = 0; n < count; n++) await chat.stderrMatch(CONNECTION, 20_000);
          }
          const members = [...expected.keys()];
          const names = ['Alice', 'Bea', 'Gil', 'Dave'];
          for (const [i, chat] of members.entries()) chat.write(`round from ${names[i]}\n`);
          for (const [i, chat] of members.entries()) {
            for (const [j, from] of names.entries()) {
              if (i !== j) await chatShows(chat, from, `round from ${from}`);
            }
          }
          // Everyone got each message once, over the one connection of each pair, and no
          // member made or took a connection more (6 pairs: 6 connections, each seen from
          // both ends).
          for (const [i, chat] of members.entries()) {
            for (const [j, from] of names.entries()) {
              if (i !== j) assert.equal(timesShown(chat, `round from ${from}`), 1, chat.stderr);
            }
            const connections = chat.stderrLines.filter((l) => CONNECTION.test(l)).length;
            assert.equal(connections, expected.get(chat), chat.stderr);
          }
          const made = members.flatMap((c) =>
            c.stderrLines.filter((l) => /^# connected to /.test(l)),
          );
          assert.equal(made.length, 6, made.join('\n'));
          assert.ok(!members.some((c) => c.stderrLines.some((l) => /\(Ox\)/.test(l))));

          // Bea is killed: her connections end at once (the kernel closes them), discovery
          // loses her after three silent intervals, and whoever connected to her stops trying.
          const beta = `${lab.host('beta').ipv4}:${PORT}`.replaceAll('.', '\\.');
          // Only a member whose discovery heard Bea can lose her from the room: a connection
          // she made to it comes before that when her announcement is late (a busy machine).
          const foundBea = new RegExp(`^# new peer ${beta} \\(Bea\\)`);
          for (const chat of [alice, gil]) {
            if (!chat.stderrLines.some((l) => foundBea.test(l))) {
              await chat.stderrMatch(foundBea, 15_000);
            }
          }
          bea.process.kill('SIGKILL');
          for (const chat of [alice, gil]) {
            await chat.stderrMatch(/^# Bea left the room \(silent for/, 15_000);
          }
          alice.write('after Bea left\n');
          for (const chat of [gil, dave]) await chatShows(chat, 'Alice', 'after Bea left');
          // Dave was given Bea's address: he keeps trying, with growing waits.
          await dave.stderrMatch(new RegExp(`^# reconnecting to ${beta} in`));
          for (const chat of [alice, gil]) {
            const lost = chat.stderrLines.findIndex((l) => /left the room/.test(l));
            const retried = chat.stderrLines.findLastIndex((l) =>
              new RegExp(`^# (reconnecting to|cannot reach) ${beta}`).test(l),
            );
            assert.ok(retried < lost, chat.stderr);
          }
        } finally {
          await Promise.all(started.map((c) => c.close()));
        }
      });
    },
  );
});
