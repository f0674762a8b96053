/**
 * The few parts of Bun's own API the Bun peers use, typed here so that the project depends on
 * neither Bun nor its type package; the code in this directory runs only under Bun (started by
 * peer-host.ts). Names and signatures follow Bun's documentation (bun.com/docs, UDP and TCP).
 */

/** Bun's UDP socket, bound (`Bun.udpSocket`). */
export interface UdpSocket {
  readonly port: number;
  /** The file descriptor, for socket options Bun does not offer. */
  readonly fd: number;
  /** Sends one datagram; false when the kernel's buffer is full (then `drain` is called). */
  send(data: Uint8Array, port: number, address: string): boolean;
  /**
   * Sends `[data, port, address, data, port, address, ...]` in one call; the number of
   * datagrams sent, fewer than given when the kernel's buffer filled up.
   */
  sendMany(packets: readonly (Uint8Array | number | string)[]): number;
  close(): void;
}

export interface UdpSocketOptions {
  hostname: string;
  port: number;
  binaryType?: 'buffer';
  socket?: {
    data?(socket: UdpSocket, data: Uint8Array, port: number, address: string): void;
    drain?(socket: UdpSocket): void;
    error?(socket: UdpSocket, error: Error): void;
  };
}

/** Bun's TCP socket (`Bun.connect`, or the server side given to a `Bun.listen` handler). */
export interface TcpSocket {
  /** Writes what the kernel takes now: the number of bytes written (-1 once closed). */
  write(data: Uint8Array): number;
  setNoDelay(noDelay: boolean): boolean;
  end(): void;
}

export interface TcpSocketHandler {
  open?(socket: TcpSocket): void;
  data?(socket: TcpSocket, data: Uint8Array): void;
  drain?(socket: TcpSocket): void;
  close?(socket: TcpSocket): void;
  error?(socket: TcpSocket, error: Error): void;
}

export interface TcpListener {
  readonly port: number;
  /** Stops listening; `true` also closes the open connections. */
  stop(closeActiveConnections?: boolean): void;
}

interface BunApi {
  readonly version: string;
  udpSocket(options: UdpSocketOptions): Promise<UdpSocket>;
  listen(options: { hostname: string; port: number; socket: TcpSocketHandler }): TcpListener;
  connect(options: {
    hostname: string;
    port: number;
    socket: TcpSocketHandler;
  }): Promise<TcpSocket>;
}

const bun = (globalThis as { Bun?: BunApi }).Bun;
if (bun === undefined) throw new Error('bench/bun/ runs under Bun only (see peer-host.ts)');

/** The `Bun` global. */
export const Bun: BunApi = bun;

const SOL_SOCKET = 1;
const SO_RCVBUF = 8;

/**
 * Sets SO_RCVBUF on a Bun UDP socket, which its API does not offer, through `bun:ffi` and the
 * C library's setsockopt: the receivers of every contender get the same buffer.
 */
export async function setReceiveBuffer(socket: UdpSocket, bytes: number): Promise<void> {
  // A specifier TypeScript does not try to resolve: bun:ffi exists under Bun only.
  const specifier = 'bun:ffi';
  const ffi = (await import(specifier)) as {
    dlopen(
      library: string,
      symbols: Record<string, { args: string[]; returns: string }>,
    ): { symbols: { setsockopt(...args: unknown[]): number } };
    ptr(view: ArrayBufferView): unknown;
  };
  const libc = ffi.dlopen('libc.so.6', {
    setsockopt: { args: ['i32', 'i32', 'i32', 'ptr', 'u32'], returns: 'i32' },
  });
  const value = new Int32Array([bytes]);
  const result = libc.symbols.setsockopt(socket.fd, SOL_SOCKET, SO_RCVBUF, ffi.ptr(value), 4);
  if (result !== 0) throw new Error(`setsockopt(SO_RCVBUF, ${bytes}) failed on the Bun socket`);
}
