/**
 * The udp-rate scenario's Bun peers (run by peer-host.ts under Bun): Bun's own UDP API on both
 * ends, speaking the block protocol of lib/transfer.ts.
 *
 * The sender hands `window` datagrams at a time to `socket.sendMany([buf, port, host, ...])`,
 * Bun's batch call; when the kernel takes fewer, it waits for the `drain` handler and sends the
 * rest. The receiver counts in the socket's `data` handler, one call per datagram.
 */
import type { PeerContext } from '../lib/peer-protocol.js';
import type { ReceiverParams, SenderParams } from '../scenarios/udp-rate.js';
import { BlockCounter, receiveBlocks, sendBlocks } from '../lib/transfer.js';
import { Bun, setReceiveBuffer } from './api.js';

const HOST = '127.0.0.1';

export async function receiver(context: PeerContext<ReceiverParams>): Promise<void> {
  const counter = new BlockCounter();
  const socket = await Bun.udpSocket({
    hostname: HOST,
    port: 0,
    binaryType: 'buffer',
    socket: { data: () => counter.add(1) },
  });
  await setReceiveBuffer(socket, context.params.recvBufferSize);
  await receiveBlocks(context, socket.port, counter);
  socket.close();
}

export async function sender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, size, window } = context.params;
  let drained: (() => void) | undefined;
  const socket = await Bun.udpSocket({
    hostname: HOST,
    port: 0,
    binaryType: 'buffer',
    socket: {
      drain: () => {
        const resume = drained;
        drained = undefined;
        resume?.();
      },
    },
  });
  const payload = Buffer.alloc(size, 0x61);
  const batch = (count: number): (Uint8Array | number | string)[] =>
    Array.from({ length: count }, () => [payload, port, HOST]).flat();
  const full = batch(window);
  await sendBlocks(context, async (count) => {
    for (let left = count; left > 0;) {
      let packets = left >= window ? full : batch(left);
      for (;;) {
        const sent = socket.sendMany(packets);
        left -= sent;
        if (sent * 3 === packets.length) break;
        packets = packets.slice(sent * 3);
        await new Promise<void>((resolve) => (drained = resolve));
      }
    }
  });
  socket.close();
}
