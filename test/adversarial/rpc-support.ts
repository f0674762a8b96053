/**
 * What the RPC server attack tests share: a server with a few methods that records its
 * connection errors, and a raw TCP peer that speaks frames by hand, as a hostile client can.
 * Every server and socket made here is closed by {@link closeAll}, which each file calls
 * after its tests.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  RpcServer,
  type CallContext,
  type RpcServerOptions,
  type SocketError,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';

const sockets: Socket[] = [];
const servers: RpcServer[] = [];

/** Closes every server and raw socket the tests made. */
export async function closeAll(): Promise<void> {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
}

export interface Served {
  server: RpcServer;
  errors: SocketError[];
}

export async function serve(options: RpcServerOptions = {}): Promise<Served> {
  const errors: SocketError[] = [];
  const server = await RpcServer.listen('127.0.0.1:0', {
    onConnectionError: (error) => errors.push(error),
    ...options,
    methods: {
      add: (_context: CallContext, a: number, b: number) => a + b,
      never: () => new Promise(() => undefined),
      ...options.methods,
    },
  });
  servers.push(server);
  return { server, errors };
}

/** A raw TCP client speaking frames by hand: what a hostile peer can send. */
export class RawPeer {
  readonly socket: Socket;
  /**
   * What arrived and is not yet taken, chunk by chunk: joined only as far as a response needs,
   * since joining every chunk onto all before it copies megabytes over and over once a server's
   * backlog of answers pours in.
   */
  #chunks: Buffer[] = [];
  #received = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#received += chunk.length;
      this.#wake?.();
    });
    socket.on('end', () => this.#end());
    socket.on('close', () => this.#end());
    socket.on('error', () => this.#end());
  }

  static async open(port: number, ms = 5000): Promise<RawPeer> {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    await within(once(socket, 'connect'), ms, 'connect');
    return new RawPeer(socket);
  }

  #end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  sendFrame(body: string | Buffer, prefix = 2): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const header = Buffer.alloc(prefix);
    if (prefix === 2) header.writeUInt16BE(bytes.length);
    else header.writeUInt32BE(bytes.length);
    this.socket.write(Buffer.concat([header, bytes]));
  }

  /**
   * Writes `body` as a frame over and over, in batches of 1,000, never reading, until the
   * server stops taking them (a write not drained within 1 s) or `limit` bytes went out; the
   * bytes written. Bounded by 30 s as a whole.
   */
  async floodUntilStalled(body: string, limit: number, what: string): Promise<number> {
    const bytes = Buffer.from(body);
    const header = Buffer.alloc(2);
    header.writeUInt16BE(bytes.length);
    const frame = Buffer.concat([header, bytes]);
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => frame));
    let written = 0;
    await within(
      (async () => {
        while (written < limit) {
          if (!this.socket.write(batch)) {
            const drained = once(this.socket, 'drain').then(() => true);
            const stalled = new Promise<boolean>((r) => setTimeout(() => r(false), 1000));
            if (!(await Promise.race([drained, stalled]))) break;
          }
          written += batch.length;
        }
      })(),
      30_000,
      what,
    );
    return written;
  }

  async #until(check: () => boolean, what: string, ms = 5000): Promise<void> {
    await within(
      (async () => {
        while (!check()) {
          if (this.#ended) throw new Error(`connection ended before ${what}`);
          await new Promise<void>((resolve) => (this.#wake = resolve));
        }
      })(),
      ms,
      what,
    );
  }

  /** The first `bytes` received (at least that many have arrived), in one buffer. */
  #head(bytes: number): Buffer {
    let joined = 1;
    for (let length = this.#chunks[0]?.length ?? 0; length < bytes; joined++)
      length += (this.#chunks[joined] as Buffer).length;
    if (joined > 1) this.#chunks.unshift(Buffer.concat(this.#chunks.splice(0, joined)));
    return this.#chunks[0] as Buffer;
  }

  /** The next response frame (behind a `prefix`-byte length), parsed. */
  async response(ms = 5000, prefix: 2 | 4 = 2): Promise<Record<string, unknown>> {
    const length = (): number => {
      const head = this.#head(prefix);
      return prefix === 2 ? head.readUInt16BE(0) : head.readUInt32BE(0);
    };
    await this.#until(
      () => this.#received >= prefix && this.#received >= prefix + length(),
      'a response',
      ms,
    );
    const size = prefix + length();
    const frame = this.#head(size);
    this.#chunks[0] = frame.subarray(size);
    if (this.#chunks[0].length === 0) this.#chunks.shift();
    this.#received -= size;
    return JSON.parse(frame.toString('utf8', prefix, size)) as Record<string, unknown>;
  }

  /** True once the server has closed (or reset) the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(ms = 5000): Promise<void> {
    this.socket.resume();
    await within(
      (async () => {
        while (!this.#ended) await new Promise<void>((resolve) => (this.#wake = resolve));
      })(),
      ms,
      'the server to close the connection',
    );
  }
}

export const request = (name: string, args: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name, args, metadata: null, ...extra, $type: 'Request' });
