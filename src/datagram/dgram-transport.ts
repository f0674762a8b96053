import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type {
  DatagramSink,
  HandleAddress,
  OpenOptions,
  SendDone,
  UdpTransport,
} from './transport.js';

/** A UDP handle over Node's dgram socket: the path used where the native addon is not. */
export class DgramTransport implements UdpTransport {
  readonly backend = 'node:dgram';
  // node:dgram drops, without a call back, a send whose address lookup the close overtook. The
  // lookup of an address literal answers at once (literalLookup), so that happens only to a
  // send whose address is looked up after all, which the socket then settles itself.
  readonly callsBackEverySend = false;

  constructor(readonly socket: Socket) {}

  attach(sink: DatagramSink, onError: (error: Error) => void): void {
    this.socket.on('message', (data: Buffer, info: RemoteInfo) =>
      sink.pushFrom(data, info.address, info.port),
    );
    this.socket.on('error', onError);
  }

  send(payload: Uint8Array, port: number, host: string | undefined, done: SendDone): void {
    if (host === undefined) this.socket.send(payload, done);
    else this.socket.send(payload, port, host, done);
  }

  connect(port: number, host: string, done: (error?: Error) => void): void {
    this.socket.connect(port, host, done);
  }

  disconnect(): void {
    this.socket.disconnect();
  }

  address(): HandleAddress {
    return this.socket.address();
  }

  remoteAddress(): HandleAddress {
    return this.socket.remoteAddress();
  }

  setBroadcast(flag: boolean): void {
    this.socket.setBroadcast(flag);
  }

  setTTL(ttl: number): void {
    this.socket.setTTL(ttl);
  }

  setMulticastTTL(ttl: number): void {
    this.socket.setMulticastTTL(ttl);
  }

  setMulticastLoopback(flag: boolean): void {
    this.socket.setMulticastLoopback(flag);
  }

  setMulticastInterface(iface: string): void {
    this.socket.setMulticastInterface(iface);
  }

  addMembership(group: string, iface?: string): void {
    this.socket.addMembership(group, iface);
  }

  dropMembership(group: string, iface?: string): void {
    this.socket.dropMembership(group, iface);
  }

  getRecvBufferSize(): number {
    return this.socket.getRecvBufferSize();
  }

  getSendBufferSize(): number {
    return this.socket.getSendBufferSize();
  }

  setRecvBufferSize(size: number): void {
    this.socket.setRecvBufferSize(size);
  }

  setSendBufferSize(size: number): void {
    this.socket.setSendBufferSize(size);
  }

  close(done: () => void): void {
    this.socket.close(done);
  }
}

/**
 * Closes `socket` without letting an error escape: a socket whose bind failed may or may not
 * hold a handle, and closing it is all that matters.
 */
export function closeQuietly(socket: Socket): void {
  socket.removeAllListeners();
  try {
    socket.close();
  } catch {
    // already closed by the failed bind
  }
}

type LookupDone = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The address lookup of the dgram sockets opened here: an address literal is its own address,
 * given back at once; anything else is looked up as node:dgram would (dns.lookup). node:dgram
 * looks up the destination of every send to an address, and dns.lookup answers a literal only
 * on the next tick, so each datagram would leave a tick after the send call and cost that tick
 * (about 220 bytes of heap). Answered at once, the datagram leaves during the call. Sockets
 * resolve host names themselves (see the outbox), so the sends they make are to literals.
 */
export function literalLookup(address: string, family: number, done: LookupDone): void {
  const literal = isIP(address);
  if (literal !== 0) done(null, address, literal);
  else dnsLookup(address, { family } as LookupOneOptions, done);
}

/** Opens a dgram socket bound to `host`:`port`; rejects with Node's error after closing it. */
export function openDgram(
  options: OpenOptions,
  host: string,
  port: number,
): Promise<DgramTransport> {
  const socketOptions: SocketOptions = {
    type: options.family === 'IPv6' ? 'udp6' : 'udp4',
    lookup: literalLookup as SocketOptions['lookup'],
  };
  if (options.ipv6Only) socketOptions.ipv6Only = true;
  if (options.reuseAddress) socketOptions.reuseAddr = true;
  const socket = createSocket(socketOptions);
  return new Promise<DgramTransport>((resolve, reject) => {
    const fail = (error: unknown): void => {
      closeQuietly(socket);
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    socket.once('error', fail);
    socket.once('listening', () => {
      socket.off('error', fail);
      resolve(new DgramTransport(socket));
    });
    try {
      socket.bind({ port, address: host, exclusive: true });
    } catch (error) {
      fail(error);
    }
  });
}
