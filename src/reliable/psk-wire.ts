/**
 * The reliable protocol under a pre-shared key: every datagram the protocol sends is sealed
 * as it leaves the UDP socket and opened as it arrives (docs/psk.md), so that the protocol
 * engine above sees only authentic, fresh datagrams.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { PeerUnreachableError } from '../errors.js';
import type { PskSealer } from '../psk/sealer.js';

/**
 * The two calls the protocol engine makes on its UDP socket (`send(datagram, port, host)` and
 * `on('message', listener)`), sealing and opening on the way; anything else is the socket's.
 */
export function sealedWire(socket: Socket, sealer: PskSealer): Socket {
  const wire = Object.create(socket) as Socket;
  const send = (datagram: Buffer, port: number, host: string): void => {
    socket.send(sealer.seal(datagram), port, host);
  };
  const on = (event: string, listener: (data: Buffer, info: RemoteInfo) => void): Socket => {
    if (event !== 'message') return socket.on(event, listener);
    return socket.on('message', (data: Buffer, info: RemoteInfo) => {
      const opened = sealer.open(data);
      if (opened !== undefined) listener(opened, info);
    });
  };
  Object.assign(wire, { send, on });
  return wire;
}

/** A send under a pre-shared key whose peer did not answer: the keys may differ. */
export function withKeyHint<T>(sending: Promise<T>): Promise<T> {
  return sending.catch((error: unknown) => {
    if (!(error instanceof PeerUnreachableError)) throw error;
    throw new PeerUnreachableError(
      `${error.message}; do both sides use the same pre-shared key (--psk)?`,
      { endpoint: error.endpoint, cause: error },
    );
  });
}
