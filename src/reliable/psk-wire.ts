/**
 * The reliable protocol under a pre-shared key: every datagram the protocol sends is sealed
 * as it leaves the UDP socket and opened as it arrives (docs/psk.md), so that the protocol
 * engine above sees only authentic, fresh datagrams.
 */
import type { DatagramSink, UdpTransport } from '../datagram/transport.js';
import { PeerUnreachableError } from '../errors.js';
import type { PskSealer } from '../psk/sealer.js';

/**
 * The transport the protocol engine runs on, sealing each datagram as it leaves and opening
 * each as it arrives: a datagram that does not open (forged, tampered, replayed, another key)
 * never reaches the engine. Every other call is the transport's own.
 */
export function sealedTransport(transport: UdpTransport, sealer: PskSealer): UdpTransport {
  const send: UdpTransport['send'] = (payload, port, host, done) => {
    transport.send(sealer.seal(payload), port, host, done);
  };
  const attach: UdpTransport['attach'] = (sink, onError) => {
    const opening: DatagramSink = {
      limit: sink.limit,
      pushFrom(data, host, port) {
        const opened = sealer.open(data);
        if (opened !== undefined) sink.pushFrom(opened, host, port);
      },
    };
    transport.attach(opening, onError);
  };
  return new Proxy(transport, {
    get(target, property) {
      if (property === 'send') return send;
      if (property === 'attach') return attach;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
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
