/**
 * The tcp-bulk scenario's Bun peers (run by peer-host.ts under Bun): Bun's own TCP API on both
 * ends, speaking the block protocol of lib/transfer.ts.
 *
 * The sender writes 64 KiB chunks with `socket.write(chunk)`, which takes what the kernel
 * accepts now and says how much; on a short write it waits for the `drain` handler and writes
 * the rest. The receiver (`Bun.listen`) counts bytes in its `data` handler.
 */
import type { PeerContext } from '../lib/peer-protocol.js';
import { BlockCounter, receiveBlocks, sendBlocks } from '../lib/transfer.js';
import { Bun } from './api.js';

interface SenderParams {
  port: number;
  chunkSize: number;
}

const HOST = '127.0.0.1';

export async function receiver(context: PeerContext<unknown>): Promise<void> {
  const counter = new BlockCounter();
  const listener = Bun.listen({
    hostname: HOST,
    port: 0,
    socket: {
      data: (_socket, data) => counter.add(data.length),
      error: (socket) => socket.end(),
    },
  });
  await receiveBlocks(context, listener.port, counter);
  listener.stop(true);
}

export async function sender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, chunkSize } = context.params;
  let drained: (() => void) | undefined;
  let failure: Error | undefined;
  const wake = (): void => {
    const resume = drained;
    drained = undefined;
    resume?.();
  };
  const socket = await Bun.connect({
    hostname: HOST,
    port,
    socket: {
      drain: wake,
      close: () => {
        failure ??= new Error('the receiver closed the connection');
        wake();
      },
      error: (_socket, error) => {
        failure ??= error;
        wake();
      },
    },
  });
  const chunk = Buffer.alloc(chunkSize, 0x61);
  await sendBlocks(context, async (total) => {
    for (let sent = 0; sent < total;) {
      let rest = chunk.subarray(0, Math.min(chunkSize, total - sent));
      sent += rest.length;
      for (;;) {
        if (failure !== undefined) throw failure;
        const written = socket.write(rest);
        if (written < 0) throw new Error('the connection is closed');
        if (written === rest.length) break;
        rest = rest.subarray(written);
        await new Promise<void>((resolve) => (drained = resolve));
      }
    }
  });
  socket.end();
}
