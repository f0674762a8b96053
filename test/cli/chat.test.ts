import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ipv6Available, NO_IPV6 } from '../helpers/bounded.js';
import { chatShows } from '../helpers/chat.js';
import { closeAll, dsock, type LineChild } from '../helpers/child.js';

/** Starts a dsock process and reads the port it reports on stderr (`# ... on HOST:PORT`). */
async function started(
  children: LineChild[],
  args: (string | number)[],
  banner: RegExp,
  firstLine?: string,
) {
  const child = dsock(args);
  children.push(child);
  if (firstLine !== undefined) child.write(`${firstLine}\n`);
  const match = await child.stderrMatch(banner);
  return { child, port: Number(match[1]) };
}

describe('dsock chat udp', () => {
  it('three peers exchange messages, and a leave is seen by the others', async () => {
    const children: LineChild[] = [];
    try {
      const alice = await started(
        children,
        ['chat', 'udp', 0, '--name', 'Alice', '--host', '127.0.0.1'],
        /chatting on .*:(\d+)$/,
      );
      const peerA = `127.0.0.1:${alice.port}`;
      // Bob gives his name on stdin, as the Python program reads it.
      const bob = await started(
        children,
        ['chat', 'udp', 0, peerA, '--host', '127.0.0.1'],
        /chatting on .*:(\d+)$/,
        'Bob',
      );
      const carol = await started(
        children,
        ['chat', 'udp', 0, peerA, '--name', 'Carol', '--host', '127.0.0.1'],
        /chatting on .*:(\d+)$/,
      );

      bob.child.write('hi, I am Bob\n\n');
      await chatShows(alice.child, 'Bob', 'hi, I am Bob');
      carol.child.write('Carol here\n');
      await chatShows(alice.child, 'Carol', 'Carol here');
      await alice.child.stderrMatch(new RegExp(`new peer 127\\.0\\.0\\.1:${carol.port}`));

      alice.child.write('hello both\n');
      await chatShows(bob.child, 'Alice', 'hello both');
      await chatShows(carol.child, 'Alice', 'hello both');

      carol.child.endInput();
      assert.equal(await carol.child.exitCode(), 0);
      await chatShows(alice.child, 'Carol', '<LEAVES THE CHAT>');
      // Alice names who left (the sender of Carol's messages); Carol sees herself leave.
      await alice.child.stderrMatch(/^# Carol left the chat$/);
      assert.match(carol.child.stderr, /^# you left the chat$/m);
      assert.doesNotMatch(carol.child.stderr, /Alice left/);

      // The empty line Bob typed was not sent: Alice saw exactly one message from him.
      const fromBob = alice.child.stdoutLines.filter((l) => / Bob:$/.test(l));
      assert.equal(fromBob.length, 1);

      alice.child.process.kill('SIGINT');
      assert.equal(await alice.child.exitCode(), 0);
      await chatShows(bob.child, 'Alice', '<LEAVES THE CHAT>');
    } finally {
      await closeAll(children);
    }
  });

  it('mixes an IPv4 and an IPv6 peer in one chat, IPv4 shown as plain IPv4', async (t) => {
    if (!(await ipv6Available())) {
      t.skip(NO_IPV6);
      return;
    }
    const children: LineChild[] = [];
    try {
      // No --host: the chat binds IPv4 and IPv6 at once.
      const hub = await started(
        children,
        ['chat', 'udp', 0, '--name', 'Hub'],
        /chatting on \[::\]:(\d+)$/,
      );
      const four = await started(
        children,
        ['chat', 'udp', 0, `127.0.0.1:${hub.port}`, '--name', 'Four', '--host', '127.0.0.1'],
        /chatting on .*:(\d+)$/,
      );
      const six = await started(
        children,
        ['chat', 'udp', 0, `[::1]:${hub.port}`, '--name', 'Six', '--host', '::1'],
        /chatting on .*:(\d+)$/,
      );
      four.child.write('over IPv4\n');
      six.child.write('over IPv6\n');
      await chatShows(hub.child, 'Four', 'over IPv4');
      await chatShows(hub.child, 'Six', 'over IPv6');
      // The two joins, in whichever order they came.
      const joined = [
        (await hub.child.stderrMatch(/^# new peer (.*)$/))[1],
        (await hub.child.stderrMatch(/^# new peer (.*)$/))[1],
      ].sort();
      assert.deepEqual(joined, [`127.0.0.1:${four.port}`, `[::1]:${six.port}`]);
      hub.child.write('to both families\n');
      await chatShows(four.child, 'Hub', 'to both families');
      await chatShows(six.child, 'Hub', 'to both families');
      four.child.endInput();
      await hub.child.stderrMatch(/^# Four left the chat$/);
      // No hint about library options, and no IPv4-mapped address shown.
      assert.doesNotMatch(hub.child.stderr, /family|::ffff:/);
    } finally {
      await closeAll(children);
    }
  });

  it('refuses a line too long for a datagram and goes on', async () => {
    const children: LineChild[] = [];
    try {
      const alice = await started(
        children,
        ['chat', 'udp', 0, '--name', 'Alice', '--host', '127.0.0.1'],
        /chatting on .*:(\d+)$/,
      );
      const bob = await started(
        children,
        ['chat', 'udp', 0, `127.0.0.1:${alice.port}`, '--name', 'Bob'],
        /chatting on/,
      );
      bob.child.write(`${'x'.repeat(70_000)}\nshort\n`);
      await bob.child.stderrMatch(/not sent: .*does not fit in one datagram/);
      await chatShows(alice.child, 'Bob', 'short');
    } finally {
      await closeAll(children);
    }
  });
});

describe('dsock chat tcp', () => {
  it('a server and a client chat both ways; each sees the other leave', async () => {
    const children: LineChild[] = [];
    try {
      const server = await started(
        children,
        ['chat', 'tcp', 'server', 0, '--name', 'Alice', '--host', '127.0.0.1'],
        /waiting for a client on .*:(\d+)$/,
      );
      const client = dsock(['chat', 'tcp', 'client', `127.0.0.1:${server.port}`]);
      children.push(client);
      client.write('Bob\n');
      await client.stderrMatch(/chatting with/);
      await server.child.stderrMatch(/chatting with/);
      client.write('hello Alice\n');
      await chatShows(server.child, 'Bob', 'hello Alice');
      server.child.write('hello Bob\n');
      await chatShows(client, 'Alice', 'hello Bob');
      client.endInput();
      assert.equal(await client.exitCode(), 0);
      assert.match(client.stderr, /^# you left the chat$/m);
      assert.doesNotMatch(client.stderr, /Alice left/);
      await server.child.stderrMatch(/^# Bob left the chat$/);
      assert.equal(await server.child.exitCode(), 0);
    } finally {
      await closeAll(children);
    }
  });

  it('a group of three reaches everyone, and goes on when one leaves', async () => {
    const children: LineChild[] = [];
    try {
      const banner = /in the group on .*:(\d+)$/;
      const a = await started(
        children,
        ['chat', 'tcp', 'group', 0, '--name', 'A', '--host', '127.0.0.1'],
        banner,
      );
      const b = await started(
        children,
        ['chat', 'tcp', 'group', 0, `127.0.0.1:${a.port}`, '--name', 'B', '--host', '127.0.0.1'],
        banner,
      );
      const c = await started(
        children,
        ['chat', 'tcp', 'group', 0, `127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, '--name', 'C'],
        banner,
      );
      await c.child.stderrMatch(/connected to .*/);
      await c.child.stderrMatch(/connected to .*/);
      await a.child.stderrMatch(/connected from/);
      await a.child.stderrMatch(/connected from/);
      await b.child.stderrMatch(/connected from/);

      c.child.write('from C\n');
      await chatShows(a.child, 'C', 'from C');
      await chatShows(b.child, 'C', 'from C');
      a.child.write('from A\n');
      await chatShows(b.child, 'A', 'from A');
      await chatShows(c.child, 'A', 'from A');

      b.child.endInput();
      assert.equal(await b.child.exitCode(), 0);
      // B said nothing: the others know B by its endpoint only. B sees itself leave, not them.
      await a.child.stderrMatch(/^# 127\.0\.0\.1:\d+ left the chat$/);
      await c.child.stderrMatch(/^# 127\.0\.0\.1:\d+ left the chat$/);
      assert.match(b.child.stderr, /^# you left the chat$/m);
      assert.doesNotMatch(b.child.stderr, /\d+ left the chat/);
      c.child.write('still here\n');
      await chatShows(a.child, 'C', 'still here');
    } finally {
      await closeAll(children);
    }
  });
});
