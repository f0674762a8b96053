import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { DatagramSocket } from '../../src/index.js';
import { LineChild, readyPort } from '../helpers/child.js';
import { FAMILIES, socketTracker, unavailable } from './sockets.js';

// TTL and multicast options are shown to take effect where the kernel applies them: on the
// datagrams a Python receiver gets (the TTL field of their IP header), and in the socket's
// options read back from the kernel.

const sockets = socketTracker();
const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../test/datagram/fixtures/${name}`, import.meta.url));

/**
 * One reader for the whole file, asked one socket per line: a Python interpreter start costs
 * more processor time than the question it answers.
 */
let reader: LineChild | undefined;
let asked: Promise<unknown> = Promise.resolve();
after(() => reader?.close());

interface IpOptions {
  family?: number;
  ttl?: number;
  multicast_ttl?: number;
  multicast_loop?: number;
  unavailable?: string;
  error?: string;
}

/** The IP options the kernel has for `socket`, read from outside this process. */
async function kernelOptions(socket: DatagramSocket): Promise<IpOptions> {
  const question = `${process.pid} ${socket.localEndpoint.port}\n`;
  const answer = asked.then(() => {
    reader ??= new LineChild('python3', [fixture('udp_sockopt.py'), '--lines']);
    reader.write(question);
    return reader.nextLine(10_000);
  });
  asked = answer.catch(() => undefined);
  const options = JSON.parse(await answer) as IpOptions;
  assert.equal(options.error, undefined, options.error);
  return options;
}

/** Skips `t` with the fixture's reason (returning true) when the kernel cannot be asked. */
function cannotLook(t: TestContext, options: IpOptions): boolean {
  if (options.unavailable === undefined) return false;
  t.skip(options.unavailable);
  return true;
}

for (const { family, loopback } of FAMILIES) {
  describe(`DatagramSocket IP options over ${family}, as the kernel applies them`, () => {
    it('sends with the TTL set by setTTL', async (t) => {
      if (await unavailable(t, family)) return;
      const receiver = new LineChild('python3', [fixture('ttl_receiver.py'), loopback]);
      try {
        const port = await readyPort(receiver);
        const sender = await sockets.bind({ host: loopback, port: 0 });
        const to = { host: loopback, port };
        await sender.sendTo('default', to);
        const [defaultTtl] = (await receiver.nextLine()).split(' ');
        sender.setTTL(7);
        await sender.sendTo('seven', to);
        assert.equal(await receiver.nextLine(), '7 seven');
        sender.setTTL(200);
        await sender.sendTo('two hundred', to);
        assert.equal(await receiver.nextLine(), '200 two hundred');
        assert.notEqual(defaultTtl, '7');
        assert.notEqual(defaultTtl, '200');
      } finally {
        receiver.endInput();
        await receiver.close();
      }
    });

    it('sets TTL, multicast TTL and multicast loopback in the kernel', async (t) => {
      if (await unavailable(t, family)) return;
      const socket = await sockets.bind({ host: loopback, port: 0 });
      const before = await kernelOptions(socket);
      if (cannotLook(t, before)) return;
      assert.equal(before.family, family === 'IPv4' ? 4 : 6);
      assert.equal(before.multicast_loop, 1, 'loopback is on by default');
      socket.setTTL(42);
      socket.setMulticastTTL(9);
      socket.setMulticastLoopback(false);
      assert.deepEqual(await kernelOptions(socket), {
        family: before.family,
        ttl: 42,
        multicast_ttl: 9,
        multicast_loop: 0,
      });
      socket.setMulticastLoopback(true);
      socket.setMulticastTTL(0);
      const after = await kernelOptions(socket);
      assert.equal(after.multicast_loop, 1);
      assert.equal(after.multicast_ttl, 0);
    });
  });
}
