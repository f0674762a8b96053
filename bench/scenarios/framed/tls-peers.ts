/**
 * The TLS contenders of the framed-messages-over-TLS scenario (../framed-tls.ts): dsock's
 * MessageStream on a TLS StreamSocket, and raw node:tls with frames packed by hand, each with
 * the run's certificate (../../lib/tls-certificate.ts).
 */
import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { listeningPort } from '../../lib/listening-port.js';
import type { PeerContext } from '../../lib/peer-protocol.js';
import type { TlsServerParams } from '../../lib/tls-certificate.js';
import { sendBlocks } from '../../lib/transfer.js';
import {
  countFrames,
  dsockReceive,
  dsockSend,
  MessageTally,
  receiveMessages,
  sendPacked,
  type SenderParams,
} from './peers.js';

const HOST = '127.0.0.1';

/** The certificate the TLS client trusts, from the sender's parameters. */
function caOf(params: SenderParams): string {
  if (params.ca === undefined) throw new Error('a TLS sender needs the certificate to trust (ca)');
  return params.ca;
}

export function dsockTlsReceiver(context: PeerContext<TlsServerParams>): Promise<void> {
  const { cert, key } = context.params;
  return dsockReceive(context, { tls: { cert, key } });
}

export function dsockTlsSender(context: PeerContext<SenderParams>): Promise<void> {
  return dsockSend(context, { tls: { ca: caOf(context.params) } });
}

export async function rawTlsReceiver(context: PeerContext<TlsServerParams>): Promise<void> {
  const { cert, key } = context.params;
  const server = createServer({ cert, key });
  server.listen(0, HOST);
  await once(server, 'listening');
  const tally = new MessageTally();
  let connection: TLSSocket | undefined;
  server.once('secureConnection', (socket: TLSSocket) => {
    connection = socket;
    server.close();
    countFrames(socket, tally);
  });
  await receiveMessages(context, listeningPort(server), tally);
  server.close();
  connection?.destroy();
}

export async function rawTlsPackedSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, messageSize } = context.params;
  const socket = connect({ host: HOST, port, ca: caOf(context.params) });
  await once(socket, 'secureConnect');
  const message = Buffer.alloc(messageSize, 0x61);
  await sendBlocks(context, (count) => sendPacked(socket, message, count));
  socket.destroy();
}
