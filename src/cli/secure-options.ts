/**
 * The options that secure a command's traffic: `--tls --cert FILE --key FILE` on the serving
 * side, `--tls [--ca FILE] [--insecure]` on the connecting side, `--psk FILE` for datagrams.
 */
import { readFileSync } from 'node:fs';
import { parsePsk } from '../psk/key.js';
import type { TlsConnectOptions, TlsListenOptions } from '../stream/tls-options.js';
import type { ParsedArgs } from './args.js';
import { UsageError } from './usage-error.js';

type Values = ParsedArgs['values'];

export const TLS_SERVER_OPTIONS = {
  tls: { type: 'boolean' },
  cert: { type: 'string' },
  key: { type: 'string' },
} as const;

export const TLS_CLIENT_OPTIONS = {
  tls: { type: 'boolean' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
} as const;

/** Both sides' options, for a command that listens and connects (a group chat member). */
export const TLS_PEER_OPTIONS = { ...TLS_SERVER_OPTIONS, ...TLS_CLIENT_OPTIONS } as const;

export const PSK_OPTION = { psk: { type: 'string' } } as const;

export const TLS_SERVER_HELP = `  --tls          speak TLS (the clients must use --tls too)
  --cert FILE    the server's certificate, PEM (make one with dsock tls cert)
  --key FILE     the certificate's private key, PEM`;

export const TLS_CLIENT_HELP = `  --tls          speak TLS, and refuse a server whose certificate does not verify
  --ca FILE      trust the certificate authorities (or self-signed certificate) in FILE,
                 PEM, instead of the system's
  --insecure     with --tls, accept any certificate (encrypted, but the server is not
                 authenticated)`;

export const PSK_HELP = `  --psk FILE     seal every datagram with the pre-shared key in FILE (make one with dsock
                 keygen): encrypted and authenticated, replays dropped; every peer needs the
                 same key (docs/psk.md)`;

function readOption(values: Values, name: string): string | undefined {
  const file = values[name];
  if (file === undefined || typeof file !== 'string') return undefined;
  if (file === '') throw new UsageError(`--${name} needs a file name`);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    throw new UsageError(`cannot read --${name} ${file}: ${code}`);
  }
}

function needsTls(values: Values, names: readonly string[]): void {
  if (values.tls === true) return;
  const given = names.find((name) => values[name] !== undefined);
  if (given !== undefined) throw new UsageError(`--${given} needs --tls`);
}

/** The server's TLS options from `--tls --cert FILE --key FILE`, or undefined without --tls. */
export function serverTls(values: Values): TlsListenOptions | undefined {
  needsTls(values, ['cert', 'key']);
  if (values.tls !== true) return undefined;
  const cert = readOption(values, 'cert');
  const key = readOption(values, 'key');
  if (cert === undefined || key === undefined) {
    throw new UsageError(
      `--tls needs --cert FILE and --key FILE to serve (make them with dsock tls cert)`,
    );
  }
  return { cert, key };
}

/** The client's TLS options from `--tls [--ca FILE] [--insecure]`, or undefined without --tls. */
export function clientTls(values: Values): TlsConnectOptions | undefined {
  needsTls(values, ['ca', 'insecure']);
  if (values.tls !== true) return undefined;
  const ca = readOption(values, 'ca');
  if (ca !== undefined && values.insecure === true) {
    throw new UsageError('--ca and --insecure contradict each other: give one');
  }
  return {
    ...(ca !== undefined ? { ca } : {}),
    ...(values.insecure === true ? { rejectUnauthorized: false } : {}),
  };
}

/** The pre-shared key read from `--psk FILE`, or undefined without it. */
export function pskOption(values: Values): Buffer | undefined {
  const text = readOption(values, 'psk');
  if (text === undefined) return undefined;
  try {
    return parsePsk(text, `the key in --psk ${String(values.psk)}`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
