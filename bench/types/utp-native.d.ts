/**
 * The part of utp-native (libutp bindings, BEP 29) that the goodput benchmark uses; the
 * package ships no type declarations of its own.
 */
declare module 'utp-native' {
  import type { Duplex } from 'node:stream';

  namespace utp {
    /** One uTP connection: a duplex byte stream. */
    interface Connection extends Duplex {
      readonly remoteAddress: string;
      readonly remotePort: number;
    }

    /** A UDP socket that carries uTP connections, both accepted and initiated. */
    interface Socket {
      bind(port: number, host: string, onListening?: () => void): void;
      listen(port: number, host: string, onListening?: () => void): void;
      address(): { address: string; family: string; port: number };
      connect(port: number, host: string): Connection;
      /** Closes once every connection of the socket has closed. */
      close(onClose?: () => void): void;
      unref(): void;
      readonly connections: Connection[];
      on(event: 'connection', listener: (connection: Connection) => void): this;
      on(event: 'error', listener: (error: Error) => void): this;
      once(event: 'listening' | 'close', listener: () => void): this;
      once(event: 'error', listener: (error: Error) => void): this;
    }

    function createServer(onConnection?: (connection: Connection) => void): Socket;
  }

  function utp(options?: { allowHalfOpen?: boolean }): utp.Socket;

  export = utp;
}
