/**
 * The part of zeromq.js (6.x) that the framed-messages benchmark uses. The package is bench/'s
 * own dependency, absent from a main install, so the benchmark compiles against this instead of
 * the package's declarations.
 */
declare module 'zeromq' {
  interface SocketOptions {
    /** How long close() waits for unsent messages, in ms (0: drop them). */
    linger?: number;
  }

  /** A PULL socket: receives the messages PUSH sockets send, as multipart arrays. */
  export class Pull implements AsyncIterable<Buffer[]> {
    constructor(options?: SocketOptions);
    bind(address: string): Promise<void>;
    readonly lastEndpoint: string | null;
    close(): void;
    [Symbol.asyncIterator](): AsyncIterator<Buffer[]>;
  }

  /** A PUSH socket: sends each message to one connected PULL socket. */
  export class Push {
    constructor(options?: SocketOptions);
    connect(address: string): void;
    send(message: Buffer | string): Promise<void>;
    close(): void;
  }
}
