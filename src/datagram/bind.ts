import type { Socket } from 'node:dgram';
import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { ANY_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { familyOf, toEndpoint } from '../endpoint/parse.js';
import { AddressInUseError, InvalidArgumentError, toSocketError } from '../errors.js';
import {
  checkFamily,
  checkHostFamily,
  checkInteger,
  checkOptionalFlag,
  checkOptionsObject,
} from '../internal/validate.js';
import { optionError } from './addresses.js';
import { type DgramTransport, openDgram } from './dgram-transport.js';
import { nativeBinding, nativeShared } from './native-binding.js';
import { openNative } from './native-transport.js';
import type { DatagramSocketOptions } from './options.js';
import type { OpenOptions, UdpTransport } from './transport.js';
import { DEFAULT_RECEIVE_QUEUE_BYTES, DEFAULT_RECEIVE_QUEUE_LIMIT } from './options.js';

const MAX_BUFFER_SIZE = 2 ** 31 - 1;

/** A bound UDP handle and the settings the datagram socket keeps. */
export interface BoundTransport {
  transport: UdpTransport;
  family: AddressFamily;
  receiveQueueLimit: number;
  receiveQueueBytes: number;
  broadcast: boolean;
}

/** A bound Node dgram socket and the settings the datagram socket keeps. */
export interface BoundSocket {
  socket: Socket;
  family: AddressFamily;
  receiveQueueLimit: number;
  receiveQueueBytes: number;
  broadcast: boolean;
}

type Opener = (options: OpenOptions, host: string, port: number) => Promise<UdpTransport>;

function defaultOpener(): Opener {
  const binding = nativeBinding;
  const shared = nativeShared;
  if (binding === undefined || shared === undefined) return openDgram;
  return (options, host, port) => openNative(binding, shared, options, host, port);
}

/** How sockets are opened: natively where the addon is loaded, else over node:dgram. */
const openDefault: Opener = defaultOpener();

interface CheckedOptions {
  family: AddressFamily | undefined;
  reuseAddress: boolean | undefined;
  ipv6Only: boolean | undefined;
  broadcast: boolean | undefined;
  kernelReceiveBufferSize: number | undefined;
  kernelSendBufferSize: number | undefined;
  receiveQueueLimit: number;
  receiveQueueBytes: number;
}

function checkOptions(options: DatagramSocketOptions): CheckedOptions {
  checkOptionsObject(options, '{ family: "IPv6" }');
  const size = (name: string, value: unknown): number | undefined =>
    value === undefined ? undefined : checkInteger(name, value, 1, MAX_BUFFER_SIZE);
  return {
    family: checkFamily(options.family),
    reuseAddress: checkOptionalFlag('reuseAddress', options.reuseAddress),
    ipv6Only: checkOptionalFlag('ipv6Only', options.ipv6Only),
    broadcast: checkOptionalFlag('broadcast', options.broadcast),
    kernelReceiveBufferSize: size('kernelReceiveBufferSize', options.kernelReceiveBufferSize),
    kernelSendBufferSize: size('kernelSendBufferSize', options.kernelSendBufferSize),
    receiveQueueLimit:
      options.receiveQueueLimit === undefined
        ? DEFAULT_RECEIVE_QUEUE_LIMIT
        : checkInteger('receiveQueueLimit', options.receiveQueueLimit, 1, 2 ** 24),
    receiveQueueBytes:
      options.receiveQueueBytes === undefined
        ? DEFAULT_RECEIVE_QUEUE_BYTES
        : checkInteger('receiveQueueBytes', options.receiveQueueBytes, 1, 2 ** 32),
  };
}

/**
 * How often a port the system chose is looked for again when another socket took it between
 * the probe and the bind (a window of microseconds, so one retry is already rare).
 */
const CHOSEN_PORT_ATTEMPTS = 8;

/**
 * Creates a UDP socket and binds it to `local`, applying the options: over the native addon
 * where it is available, else over node:dgram; the datagram socket's `bind` wraps the result.
 * Bad arguments throw synchronously; system errors reject, mapped to dsock errors, after the
 * half-made socket is closed.
 *
 * For port 0 the system chooses the port with a probe socket, and the socket is then bound to
 * that port explicitly: Linux releases a port it chose itself when a connected datagram socket
 * is disconnected (which connecting it again to another peer does), but keeps a port that was
 * bound by number.
 */
export function bindTransport(
  local: EndpointLike | undefined,
  options: DatagramSocketOptions,
  open: Opener = openDefault,
): Promise<BoundTransport> {
  const checked = checkOptions(options);
  const endpoint = toEndpoint(local, { host: ANY_ADDRESS[checked.family ?? 'IPv4'] });
  const family = checked.family ?? familyOf(endpoint.host) ?? 'IPv4';
  checkHostFamily(endpoint.host, family, local);
  if (checked.ipv6Only === true && family === 'IPv4') {
    throw new InvalidArgumentError('ipv6Only', 'left out or false on an IPv4 socket', true);
  }
  const openOptions: OpenOptions = {
    family,
    reuseAddress: checked.reuseAddress === true,
    ipv6Only: checked.ipv6Only === true,
  };
  const bind = (port: number): Promise<BoundTransport> =>
    bindOnce(open, openOptions, checked, endpoint, port);
  if (endpoint.port !== 0) return bind(endpoint.port);
  return (async () => {
    for (let attempt = 1; ; attempt++) {
      const port = await probePort(open, { ...openOptions, reuseAddress: false }, endpoint);
      try {
        return await bind(port);
      } catch (error) {
        if (!(error instanceof AddressInUseError) || attempt >= CHOSEN_PORT_ATTEMPTS) throw error;
      }
    }
  })();
}

/**
 * {@link bindTransport} over node:dgram, for the sockets built on a dgram socket of their own
 * (the reliable socket and the chaos relay).
 */
export async function bindSocket(
  local: EndpointLike | undefined,
  options: DatagramSocketOptions,
): Promise<BoundSocket> {
  const bound = await bindTransport(local, options, openDgram);
  return { ...bound, socket: (bound.transport as DgramTransport).socket };
}

/** A port the system chooses for `endpoint`'s host: bound by a probe socket, then freed. */
async function probePort(open: Opener, options: OpenOptions, endpoint: Endpoint): Promise<number> {
  let probe: UdpTransport;
  try {
    probe = await open(options, endpoint.host, 0);
  } catch (error) {
    throw toSocketError(error, 'bind', endpoint);
  }
  const { port } = probe.address();
  // The descriptor is closed at once, so the port is free when close() returns.
  probe.close(() => {});
  return port;
}

async function bindOnce(
  open: Opener,
  openOptions: OpenOptions,
  checked: CheckedOptions,
  endpoint: Endpoint,
  port: number,
): Promise<BoundTransport> {
  let transport: UdpTransport;
  try {
    transport = await open(openOptions, endpoint.host, port);
  } catch (error) {
    throw toSocketError(error, 'bind', endpoint);
  }
  const address = transport.address();
  const bound: Endpoint = { host: address.address, port: address.port };
  let step = '';
  try {
    if (checked.kernelReceiveBufferSize !== undefined) {
      step = `setting kernelReceiveBufferSize to ${checked.kernelReceiveBufferSize}`;
      transport.setRecvBufferSize(checked.kernelReceiveBufferSize);
    }
    if (checked.kernelSendBufferSize !== undefined) {
      step = `setting kernelSendBufferSize to ${checked.kernelSendBufferSize}`;
      transport.setSendBufferSize(checked.kernelSendBufferSize);
    }
    if (checked.broadcast === true) {
      step = 'enabling broadcast';
      transport.setBroadcast(true);
    }
  } catch (error) {
    transport.close(() => {});
    throw optionError(`${step} on ${formatEndpoint(bound)}`, error, bound);
  }
  return {
    transport,
    family: openOptions.family,
    receiveQueueLimit: checked.receiveQueueLimit,
    receiveQueueBytes: checked.receiveQueueBytes,
    broadcast: checked.broadcast === true,
  };
}
