import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chatShows } from '../helpers/chat.js';
import { readyPort, type LineChild } from '../helpers/child.js';
import { NetLab, TWO_LANS } from '../helpers/netlab.js';

// One lab for the file: alpha and beta on lan1, delta on lan2, the gateway routing between.
let lab: NetLab | string = 'the lab was not built';
before(async () => {
  lab = await NetLab.create(TWO_LANS);
});
after(async () => {
  if (typeof lab !== 'string') await lab.close();
});

/** Runs `body` with the lab and a list of children it starts, all closed afterwards. */
async function onLab(
  t: TestContext,
  body: (net: NetLab, started: LineChild[]) => Promise<void>,
): Promise<void> {
  if (typeof lab === 'string') return t.skip(lab);
  const started: LineChild[] = [];
  try {
    await body(lab, started);
  } finally {
    await Promise.all(started.map((child) => child.close()));
  }
}

function ip(net: NetLab, host: string): string {
  return net.host(host).ipv4;
}

/** Parses a `key: value` summary (the sink's) into numbers. */
function summary(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const match = /^([a-z ]+): (\d+)$/.exec(line);
    if (match) out[match[1] as string] = Number(match[2]);
  }
  return out;
}

describe('the apps across hosts', () => {
  it('UDP chat: peers on two LANs and a Python peer on a third host talk through the gateway', async (t) => {
    await onLab(t, async (net, started) => {
      const alice = net.dsock('alpha', ['chat', 'udp', 7000, '--name', 'Alice']);
      started.push(alice);
      await alice.stderrMatch(/chatting on/);
      const dave = net.dsock('delta', [
        'chat',
        'udp',
        7000,
        `${ip(net, 'alpha')}:7000`,
        '-n',
        'Dave',
      ]);
      started.push(dave);
      await dave.stderrMatch(/chatting on/);
      const python = net.python(
        'beta',
        'chat_peer.py',
        ['udp', 'Pia', `${ip(net, 'alpha')}:7000`],
        {
          CHAT_PEER_HOST: '0.0.0.0',
        },
      );
      started.push(python);
      const pythonPort = await readyPort(python);

      dave.write('hello from lan2\n');
      await chatShows(alice, 'Dave', 'hello from lan2');
      await alice.stderrMatch(new RegExp(`# new peer ${ip(net, 'delta')}:7000`));
      python.write('hello from python\n');
      await chatShows(alice, 'Pia', 'hello from python');
      await alice.stderrMatch(new RegExp(`# new peer ${ip(net, 'beta')}:${pythonPort}`));

      alice.write('hello both\n');
      await chatShows(dave, 'Alice', 'hello both');
      const seen = JSON.parse(await python.nextLine()) as { raw: string; sender: [string, number] };
      assert.match(seen.raw, /\] Alice:\n\thello both$/);
      assert.deepEqual(seen.sender, [ip(net, 'alpha'), 7000]);

      dave.endInput();
      assert.equal(await dave.exitCode(), 0, dave.stderr);
      // Named by the sender of Dave's messages.
      await alice.stderrMatch(/^# Dave left the chat$/);
    });
  });

  it('TCP chat one to one, server on lan2 and client on lan1', async (t) => {
    await onLab(t, async (net, started) => {
      const server = net.dsock('delta', ['chat', 'tcp', 'server', 7100, '--name', 'Dave']);
      started.push(server);
      await server.stderrMatch(/waiting for a client/);
      const client = net.dsock('alpha', [
        'chat',
        'tcp',
        'client',
        `${ip(net, 'delta')}:7100`,
        '-n',
        'Al',
      ]);
      started.push(client);
      await client.stderrMatch(new RegExp(`chatting with ${ip(net, 'delta')}:7100`));
      await server.stderrMatch(new RegExp(`chatting with ${ip(net, 'alpha')}:`));
      client.write('across the gateway\n');
      await chatShows(server, 'Al', 'across the gateway');
      server.write('and back\n');
      await chatShows(client, 'Dave', 'and back');
      client.endInput();
      assert.equal(await client.exitCode(), 0, client.stderr);
      assert.equal(await server.exitCode(), 0, server.stderr);
    });
  });

  it('TCP group chat: three members on three hosts, each message reaches the other two', async (t) => {
    await onLab(t, async (net, started) => {
      const members = [
        ['alpha', 'Alice', []],
        ['delta', 'Dave', [`${ip(net, 'alpha')}:7200`]],
        ['gateway', 'Gil', [`${ip(net, 'alpha')}:7200`, `${ip(net, 'delta')}:7200`]],
      ] as const;
      const chats: LineChild[] = [];
      for (const [host, name, peers] of members) {
        const chat = net.dsock(host, ['chat', 'tcp', 'group', 7200, ...peers, '--name', name]);
        started.push(chat);
        chats.push(chat);
        await chat.stderrMatch(/in the group on/);
        for (const peer of peers) await chat.stderrMatch(new RegExp(`# connected to ${peer}`));
      }
      const [alice, dave, gil] = chats as [LineChild, LineChild, LineChild];
      await alice.stderrMatch(/# connected from/);
      await alice.stderrMatch(/# connected from/);
      await dave.stderrMatch(/# connected from/);
      for (const [speaker, name, others] of [
        [alice, 'Alice', [dave, gil]],
        [dave, 'Dave', [alice, gil]],
        [gil, 'Gil', [alice, dave]],
      ] as const) {
        speaker.write(`${name} speaking\n`);
        for (const other of others) await chatShows(other, name, `${name} speaking`);
      }
    });
  });

  it('echo: a client on lan1 gets back every byte from a server on lan2, also a Python client', async (t) => {
    await onLab(t, async (net, started) => {
      const server = net.dsock('delta', ['echo', 'server', 7300]);
      started.push(server);
      await server.stderrMatch(/listening|echo/i);
      const client = net.dsock('alpha', ['echo', 'client', `${ip(net, 'delta')}:7300`]);
      started.push(client);
      const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}`);
      client.write(`${lines.join('\n')}\n`);
      client.endInput();
      assert.equal(await client.exitCode(), 0, client.stderr);
      assert.deepEqual(client.stdoutLines, lines);

      const python = net.python('beta', 'chat_peer.py', [
        'echo-client',
        ip(net, 'delta'),
        7300,
        1_000_000,
      ]);
      started.push(python);
      const result = JSON.parse(await python.nextLine(30_000)) as Record<string, unknown>;
      assert.deepEqual(result, { sent: 1_000_000, received: 1_000_000, same: true });
    });
  });

  it('streamer into sink across the gateway: plain, and --reliable through a chaos relay on the gateway', async (t) => {
    await onLab(t, async (net, started) => {
      const plainSink = net.dsock('delta', ['sink', 'udp', 7400, '--expect', 300]);
      started.push(plainSink);
      await plainSink.stderrMatch(/7400/);
      const plain = net.dsock('alpha', [
        'stream',
        'udp',
        300,
        `${ip(net, 'delta')}:7400`,
        '--rate',
        1000,
      ]);
      started.push(plain);
      assert.equal(await plain.exitCode(), 0, plain.stderr);
      assert.equal(await plainSink.exitCode(), 0, plainSink.stderr);
      const counted = summary(plainSink.stdoutLines);
      assert.equal(counted.distinct, 300, plainSink.stdoutLines.join('\n'));

      // Reliable datagrams from lan1 to lan2 through a relay on the two-LAN host that loses,
      // duplicates and reorders.
      const sink = net.dsock('delta', ['sink', 'udp', 7401, '--expect', 500, '--reliable']);
      started.push(sink);
      await sink.stderrMatch(/7401/);
      const relay = net.dsock('gateway', [
        ...['chaos', 'udp', 7402, `${ip(net, 'delta')}:7401`, '--host', '0.0.0.0'],
        ...['--loss', 0.1, '--dup', 0.05, '--reorder', 0.05, '--seed', 12],
      ]);
      started.push(relay);
      await relay.stderrMatch(/7402/);
      const gatewayLan1 = net.host('gateway').interfaces[0]?.ipv4 ?? '';
      const streamer = net.dsock('alpha', [
        'stream',
        'udp',
        500,
        `${gatewayLan1}:7402`,
        '--reliable',
      ]);
      started.push(streamer);
      assert.equal(await streamer.exitCode(60_000), 0, streamer.stderr);
      assert.equal(await sink.exitCode(30_000), 0, sink.stderr);
      const reliable = summary(sink.stdoutLines);
      assert.equal(reliable.distinct, 500, sink.stdoutLines.join('\n'));
      assert.equal(reliable.lost, 0);
      assert.equal(reliable['out of order'], 0);
      relay.process.kill('SIGINT');
      await relay.exitCode();
      const dropped = /total: forwarded \d+, dropped (\d+)/.exec(relay.stdoutLines.join('\n'));
      assert.ok(
        Number(dropped?.[1]) > 0,
        `the relay dropped some: ${relay.stdoutLines.join('\n')}`,
      );
    });
  });
});
