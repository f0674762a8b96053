import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { LineChild } from '../helpers/child.js';
import { NetLab, TWO_LANS } from '../helpers/netlab.js';
import { datagramPaths } from './paths.js';

// One lab for the file: alpha and beta on lan1, delta on lan2, the gateway on both.
let lab: NetLab | string = 'the lab was not built';
before(async () => {
  lab = await NetLab.create(TWO_LANS);
});
after(async () => {
  if (typeof lab !== 'string') await lab.close();
});

function theLab(t: TestContext): NetLab | undefined {
  if (typeof lab === 'string') {
    t.skip(lab);
    return undefined;
  }
  return lab;
}

/** Starts `dsock udp listen` on `host` and waits until it is bound (and joined). */
async function listen(
  net: NetLab,
  host: string,
  args: (string | number)[],
  env: Record<string, string>,
): Promise<LineChild> {
  const child = net.dsock(host, ['udp', 'listen', ...args], env);
  await child.stderrMatch(/^# listening on /);
  return child;
}

async function send(
  net: NetLab,
  host: string,
  args: (string | number)[],
  env: Record<string, string>,
): Promise<LineChild> {
  const child = net.dsock(host, ['udp', 'send', ...args], env);
  await child.exitCode();
  return child;
}

/**
 * A sender of unicast markers on the gateway, one for the file: reads "HOST PORT TEXT" lines
 * and answers "sent" for each datagram. Which program sends a marker is no part of the proof
 * (the listener is), and one process for every marker of the file costs far less than one each.
 */
let markers: LineChild | undefined;

const MARKER_SENDER = [
  'import socket, sys',
  's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
  'for line in sys.stdin:',
  "    host, port, text = line.rstrip('\\n').split(' ', 2)",
  '    s.sendto(text.encode(), (host, int(port)))',
  "    print('sent', flush=True)",
].join('\n');

/**
 * Proves that `listener` did not get what was sent to the LAN it is not on: a unicast marker
 * sent after it (from the gateway) is the next thing it prints.
 */
async function heardNothingBefore(
  net: NetLab,
  listener: LineChild,
  host: string,
  port: number,
): Promise<void> {
  const marker = `marker ${randomInt(1e9)}`;
  markers ??= net.spawn('gateway', 'python3', ['-S', '-c', MARKER_SENDER]);
  markers.write(`${host} ${port} ${marker}\n`);
  assert.equal(await markers.nextLine(), 'sent');
  assert.equal(await listener.nextLine(), marker);
}

for (const path of datagramPaths()) {
  describe(`broadcast across the lab (${path.name})`, () => {
    it('reaches every host of one LAN, not the other LAN, and needs --broadcast', async (t) => {
      const net = theLab(t);
      if (!net) return;
      const port = randomInt(20000, 30000);
      const listeners = await Promise.all(
        ['alpha', 'gateway', 'delta'].map((host) => listen(net, host, [port], path.env)),
      );
      const [alpha, gateway, delta] = listeners as [LineChild, LineChild, LineChild];
      try {
        const lan1 = net.host('beta').interfaces[0]?.broadcast ?? '';
        const refused = await send(net, 'beta', [`${lan1}:${port}`, 'no flag'], path.env);
        assert.equal(refused.process.exitCode, 2);
        assert.deepEqual(refused.stderrLines, [
          `dsock udp send: ${lan1} is a broadcast address: add --broadcast to send to every ` +
            'host of the LAN (see dsock udp send --help)',
        ]);

        const sent = await send(
          net,
          'beta',
          [`${lan1}:${port}`, 'to lan1', '--broadcast'],
          path.env,
        );
        assert.equal(sent.process.exitCode, 0, sent.stderr);
        assert.equal(await alpha.nextLine(), 'to lan1');
        assert.equal(await gateway.nextLine(), 'to lan1');
        await alpha.stderrMatch(new RegExp(`from ${net.host('beta').ipv4}:`));

        // The limited broadcast out of the gateway's lan2 interface reaches delta only.
        const limited = await send(
          net,
          'gateway',
          [`255.255.255.255:${port}`, 'to lan2', '--broadcast', '--interface', 'eth1'],
          path.env,
        );
        assert.equal(limited.process.exitCode, 0, limited.stderr);
        assert.equal(await delta.nextLine(), 'to lan2');
        await heardNothingBefore(net, alpha, net.host('alpha').ipv4, port);
      } finally {
        await Promise.all(listeners.map((l) => l.close()));
      }
    });
  });

  describe(`multicast across the lab (${path.name})`, () => {
    it('a host on both LANs hears the group on both; TTL 1 keeps each LAN to itself', async (t) => {
      const net = theLab(t);
      if (!net) return;
      const port = randomInt(30000, 40000);
      const group = `239.77.${randomInt(0, 256)}.${randomInt(1, 255)}`;
      const [alpha, gateway, delta] = (await Promise.all(
        ['alpha', 'gateway', 'delta'].map((host) =>
          listen(net, host, [port, '--join', group], path.env),
        ),
      )) as [LineChild, LineChild, LineChild];
      try {
        await gateway.stderrMatch(new RegExp(`^# joined ${group} on eth0, eth1$`));
        await alpha.stderrMatch(new RegExp(`^# joined ${group} on eth0$`));

        const fromBeta = await send(net, 'beta', [`${group}:${port}`, 'from lan1'], path.env);
        assert.equal(fromBeta.process.exitCode, 0, fromBeta.stderr);
        assert.equal(await alpha.nextLine(), 'from lan1');
        assert.equal(await gateway.nextLine(), 'from lan1');
        const fromDelta = await send(net, 'delta', [`${group}:${port}`, 'from lan2'], path.env);
        assert.equal(fromDelta.process.exitCode, 0, fromDelta.stderr);
        assert.equal(await gateway.nextLine(), 'from lan2');
        // A member on the sending host hears its own host's datagram (multicast loopback).
        assert.equal(await delta.nextLine(), 'from lan2');
        await gateway.stderrMatch(new RegExp(`from ${net.host('delta').ipv4}:`));
        // Neither crossed the gateway (TTL 1, and it routes no multicast).
        await heardNothingBefore(net, delta, net.host('delta').ipv4, port);
        await heardNothingBefore(net, alpha, net.host('alpha').ipv4, port);

        // From the gateway, --interface chooses the LAN.
        const out = await send(
          net,
          'gateway',
          [`${group}:${port}`, 'out of eth1', '--interface', 'eth1'],
          path.env,
        );
        assert.equal(out.process.exitCode, 0, out.stderr);
        assert.equal(await delta.nextLine(), 'out of eth1');
        await heardNothingBefore(net, alpha, net.host('alpha').ipv4, port);
      } finally {
        await Promise.all([alpha, gateway, delta].map((l) => l.close()));
      }
    });

    it('joins IPv6 groups on every interface, or on the one a scope names', async (t) => {
      const net = theLab(t);
      if (!net) return;
      const port = randomInt(40000, 50000);
      const group = `ff02::77:${randomInt(1, 0xffff).toString(16)}`;
      const gateway = await listen(net, 'gateway', [port, '--join', group], path.env);
      const delta = await listen(net, 'delta', [port, '--join', `${group}%eth0`], path.env);
      try {
        await gateway.stderrMatch(/^# joined .* on eth0, eth1$/);
        for (const host of ['alpha', 'delta']) {
          const sent = await send(
            net,
            host,
            [`[${group}%eth0]:${port}`, `v6 from ${host}`],
            path.env,
          );
          assert.equal(sent.process.exitCode, 0, sent.stderr);
          assert.equal(await gateway.nextLine(), `v6 from ${host}`);
          if (host === 'delta') assert.equal(await delta.nextLine(), 'v6 from delta');
          // The sender is its link-local address, scoped to the interface it came in by.
          const lan =
            host === 'alpha'
              ? net.host('gateway').interfaces[0]
              : net.host('gateway').interfaces[1];
          const from = await gateway.stderrMatch(/from \[(.*)\]:\d+$/);
          assert.match(from[1] ?? '', new RegExp(`^fe80::.*%${lan?.name}$`));
        }
        const sent = await send(
          net,
          'gateway',
          [`[${group}]:${port}`, 'v6 out of eth1', '--interface', 'eth1'],
          path.env,
        );
        assert.equal(sent.process.exitCode, 0, sent.stderr);
        assert.equal(await delta.nextLine(), 'v6 out of eth1');
      } finally {
        await Promise.all([gateway, delta].map((l) => l.close()));
      }
    });
  });
}
