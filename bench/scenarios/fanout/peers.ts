/**
 * The contenders of the fan-out scenario (../fanout.ts): the receiving and the sending end of
 * each, run in worker threads around the shared harness.
 */
import { DatagramSocket, type Endpoint } from '../../../src/index.js';
import { UdpChatPeer } from '../../../src/apps/udp-chat.js';
import { checkDatagramPath } from '../../lib/dsock-backend.js';
import type { PeerContext } from '../../lib/peer-protocol.js';
import { boundDgram, HOST, receiverSide, senderSide, type SenderParams } from './harness.js';

const GROUP_MAX = 100;

export function rawReceiver(context: PeerContext<unknown>): Promise<void> {
  return receiverSide(context, async (arrived) => {
    const sockets = await Promise.all(Array.from({ length: GROUP_MAX }, () => boundDgram()));
    for (const socket of sockets) socket.on('message', arrived);
    return {
      ports: sockets.map((socket) => socket.address().port),
      close: async () => {
        for (const socket of sockets) socket.close();
        await Promise.resolve();
      },
    };
  });
}

export async function rawSender(context: PeerContext<SenderParams>): Promise<void> {
  const { ports } = context.params;
  const socket = await boundDgram();
  const message = Buffer.from(context.params.message);
  try {
    await senderSide(context, (group) => {
      for (let i = 0; i < group; i++) socket.send(message, ports[i] as number, HOST);
    });
  } finally {
    socket.close();
  }
}

async function bindDsock(): Promise<DatagramSocket[]> {
  const sockets = await Promise.all(
    Array.from({ length: GROUP_MAX }, () => DatagramSocket.bind(`${HOST}:0`)),
  );
  sockets.forEach(checkDatagramPath);
  return sockets;
}

export function dsockReceiver(context: PeerContext<unknown>): Promise<void> {
  return receiverSide(context, async (arrived) => {
    const sockets = await bindDsock();
    const loops = sockets.map(async (socket) => {
      for await (const _datagram of socket) arrived();
    });
    return {
      ports: sockets.map((socket) => socket.localEndpoint.port),
      close: async () => {
        await Promise.all(sockets.map((socket) => socket.close()));
        await Promise.all(loops);
      },
    };
  });
}

function endpoints(ports: readonly number[]): Endpoint[] {
  return ports.map((port) => ({ host: HOST, port }));
}

export async function dsockSender(context: PeerContext<SenderParams>): Promise<void> {
  const peers = endpoints(context.params.ports);
  const groups = new Map<number, Endpoint[]>();
  const socket = await DatagramSocket.bind(`${HOST}:0`);
  checkDatagramPath(socket);
  const message = Buffer.from(context.params.message);
  try {
    await senderSide(context, (group) => {
      let members = groups.get(group);
      if (members === undefined) groups.set(group, (members = peers.slice(0, group)));
      return Promise.all(members.map((peer) => socket.sendTo(message, peer)));
    });
  } finally {
    await socket.close();
  }
}

export function chatReceiver(context: PeerContext<unknown>): Promise<void> {
  return receiverSide(context, async (arrived) => {
    const sockets = await bindDsock();
    const chats = sockets.map(
      (socket, i) =>
        new UdpChatPeer(socket, `peer${i}`, [], (event) => {
          if (event.type === 'message') arrived();
        }),
    );
    return {
      ports: sockets.map((socket) => socket.localEndpoint.port),
      close: async () => {
        await Promise.all(sockets.map((socket) => socket.close()));
        await Promise.all(chats.map((chat) => chat.leave()));
      },
    };
  });
}

export async function chatSender(context: PeerContext<SenderParams>): Promise<void> {
  const { text, name } = context.params;
  const peers = endpoints(context.params.ports);
  // One chat (and socket) per group size, each knowing its peers from the start.
  const chats = new Map<number, UdpChatPeer>();
  const sockets: DatagramSocket[] = [];
  try {
    await senderSide(context, async (group) => {
      let chat = chats.get(group);
      if (chat === undefined) {
        const socket = await DatagramSocket.bind(`${HOST}:0`);
        sockets.push(socket);
        chat = new UdpChatPeer(socket, name, peers.slice(0, group), () => undefined);
        chats.set(group, chat);
      }
      await chat.say(text);
    });
  } finally {
    await Promise.all(sockets.map((socket) => socket.close()));
    await Promise.all([...chats.values()].map((chat) => chat.leave()));
  }
}
