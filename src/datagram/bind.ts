import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { ANY_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { familyOf, toEndpoint } from '../endpoint/parse.js';
import { AddressInUseError, toSocketError } from '../errors.js';
import { checkHostFamily, optionError } from './addresses.js';
import type { DatagramSocketOptions } from './options.js';
import {
  checkFamily,
  checkInteger,
  checkOptionalFlag,
  DEFAULT_RECEIVE_QUEUE_LIMIT,
} from './options.js';

const MAX_BUFFER_SIZE = 2 ** 31 - 1;

/** A bound Node socket and the settings the datagram socket keeps. */
export interface BoundSocket {
  socket: Socket;
  family: AddressFamily;
  receiveQueueLimit: number;
  broadcast: boolean;
}

interface CheckedOptions {
  family: AddressFamily | undefined;
  reuseAddress: boolean | undefined;
  ipv6Only: boolean | undefined;
  broadcast: boolean | undefined;
  recvBufferSize: number | undefined;
  sendBufferSize: number | undefined;
  receiveQueueLimit: number;
}

function checkOptions(options: DatagramSocketOptions): CheckedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object such as { family: "IPv6" }');
  }
  const size = (name: string, value: unknown): number | undefined =>
    value === undefined ? undefined : checkInteger(name, value, 1, MAX_BUFFER_SIZE);
  return {
    family: checkFamily(options.family),
    reuseAddress: checkOptionalFlag('reuseAddress', options.reuseAddress),
    ipv6Only: checkOptionalFlag('ipv6Only', options.ipv6Only),
    broadcast: checkOptionalFlag('broadcast', options.broadcast),
    recvBufferSize: size('recvBufferSize', options.recvBufferSize),
    sendBufferSize: size('sendBufferSize', options.sendBufferSize),
    receiveQueueLimit:
      options.receiveQueueLimit === undefined
        ? DEFAULT_RECEIVE_QUEUE_LIMIT
        : checkInteger('receiveQueueLimit', options.receiveQueueLimit, 1, 2 ** 24),
  };
}

/**
 * How often a port the system chose is looked for again when another socket took it between
 * the probe and the bind (a window of microseconds, so one retry is already rare).
 */
const CHOSEN_PORT_ATTEMPTS = 8;

/**
 * Creates a UDP socket and binds it to `local`, applying the options; the datagram socket's
 * `bind` wraps the result. Bad arguments throw synchronously; system errors reject, mapped to
 * dsock errors, after the half-made socket is closed.
 *
 * For port 0 the system chooses the port with a probe socket, and the socket is then bound to
 * that port explicitly: Linux releases a port it chose itself when a connected datagram socket
 * is disconnected (which connecting it again to another peer does), but keeps a port that was
 * bound by number.
 */
export function bindSocket(
  local: EndpointLike | undefined,
  options: DatagramSocketOptions,
): Promise<BoundSocket> {
  const checked = checkOptions(options);
  const endpoint = toEndpoint(local, { host: ANY_ADDRESS[checked.family ?? 'IPv4'] });
  const family = checked.family ?? familyOf(endpoint.host) ?? 'IPv4';
  checkHostFamily(endpoint.host, family, local);
  if (checked.ipv6Only === true && family === 'IPv4') {
    throw new RangeError('ipv6Only applies to IPv6 sockets; this one is IPv4');
  }
  const socketOptions: SocketOptions = { type: family === 'IPv6' ? 'udp6' : 'udp4' };
  if (checked.ipv6Only === true) socketOptions.ipv6Only = true;
  const bind = (port: number): Promise<BoundSocket> =>
    bindOnce(socketOptions, checked, family, endpoint, port);
  if (endpoint.port !== 0) return bind(endpoint.port);
  return (async () => {
    for (let attempt = 1; ; attempt++) {
      const port = await probePort(socketOptions, endpoint);
      try {
        return await bind(port);
      } catch (error) {
        if (!(error instanceof AddressInUseError) || attempt >= CHOSEN_PORT_ATTEMPTS) throw error;
      }
    }
  })();
}

/** A port the system chooses for `endpoint`'s host: bound by a probe socket, then freed. */
function probePort(socketOptions: SocketOptions, endpoint: Endpoint): Promise<number> {
  const probe = createSocket(socketOptions);
  return new Promise<number>((resolve, reject) => {
    probe.once('error', (error) => {
      closeQuietly(probe);
      reject(toSocketError(error, 'bind', endpoint));
    });
    probe.once('listening', () => {
      const { port } = probe.address();
      // libuv closes the descriptor at once, so the port is free when close() returns.
      closeQuietly(probe);
      resolve(port);
    });
    try {
      probe.bind({ port: 0, address: endpoint.host, exclusive: true });
    } catch (error) {
      probe.emit('error', error);
    }
  });
}

function closeQuietly(socket: Socket): void {
  socket.removeAllListeners();
  // A socket whose bind failed may or may not hold a handle; closing it is all that matters.
  try {
    socket.close();
  } catch {
    // already closed by the failed bind
  }
}

function bindOnce(
  socketOptions: SocketOptions,
  checked: CheckedOptions,
  family: AddressFamily,
  endpoint: Endpoint,
  port: number,
): Promise<BoundSocket> {
  const socket = createSocket(
    checked.reuseAddress === true ? { ...socketOptions, reuseAddr: true } : socketOptions,
  );
  return new Promise<BoundSocket>((resolve, reject) => {
    const fail = (error: unknown): void => {
      closeQuietly(socket);
      reject(toSocketError(error, 'bind', endpoint));
    };
    socket.once('error', fail);
    socket.once('listening', () => {
      socket.off('error', fail);
      const bound: Endpoint = { host: socket.address().address, port: socket.address().port };
      let step = '';
      try {
        if (checked.recvBufferSize !== undefined) {
          step = `setting recvBufferSize to ${checked.recvBufferSize}`;
          socket.setRecvBufferSize(checked.recvBufferSize);
        }
        if (checked.sendBufferSize !== undefined) {
          step = `setting sendBufferSize to ${checked.sendBufferSize}`;
          socket.setSendBufferSize(checked.sendBufferSize);
        }
        if (checked.broadcast === true) {
          step = 'enabling broadcast';
          socket.setBroadcast(true);
        }
      } catch (error) {
        fail(optionError(`${step} on ${formatEndpoint(bound)}`, error, bound));
        return;
      }
      resolve({
        socket,
        family,
        receiveQueueLimit: checked.receiveQueueLimit,
        broadcast: checked.broadcast === true,
      });
    });
    try {
      socket.bind({ port, address: endpoint.host, exclusive: true });
    } catch (error) {
      fail(error);
    }
  });
}
