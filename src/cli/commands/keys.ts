import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSelfSignedCertificate } from '../../apps/tls-cert.js';
import { generatePsk } from '../../psk/key.js';
import type { Command } from '../command.js';
import { noArgumentsAfter, numberOption, parseCommandLine } from '../args.js';
import { status } from '../terminal.js';
import { UsageError } from '../usage-error.js';

export const keygenCommand: Command = {
  words: ['keygen'],
  help: `Usage: dsock keygen

Prints a new random pre-shared key (32 bytes from the system's random generator, as 64
hexadecimal digits) on stdout. Save it to a file and give that file to every peer of a group
with --psk FILE (chat udp, stream udp, sink udp); keep it secret: whoever has it can read
and send the group's datagrams.

Example:
  dsock keygen > lab.psk
  dsock chat udp 9000 --psk lab.psk
`,
  run(args) {
    const { positionals } = parseCommandLine(args, {});
    noArgumentsAfter(positionals, 0);
    process.stdout.write(`${generatePsk()}\n`);
    return Promise.resolve(0);
  },
};

export const tlsCertCommand: Command = {
  words: ['tls', 'cert'],
  help: `Usage: dsock tls cert --host NAME... --out DIR [--days N]

Makes a self-signed certificate (RSA 2048, SHA-256) valid for every NAME (host names or IP
addresses, the first also its common name) and its private key, and writes them to DIR as
cert.pem and key.pem (the key readable by its owner only). Serve with
--tls --cert DIR/cert.pem --key DIR/key.pem; clients trust it with --tls --ca DIR/cert.pem.

Options:
  --host NAME... the names and addresses the certificate is valid for
  --out DIR      the directory to write cert.pem and key.pem to (made if missing)
  --days N       how many days the certificate is valid (default 365)

Example:
  dsock tls cert --host localhost 127.0.0.1 ::1 --out lab
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      host: { type: 'string', multiple: true },
      out: { type: 'string' },
      days: { type: 'string' },
    });
    const named = (values.host as unknown as string[] | undefined) ?? [];
    if (named.length === 0) {
      noArgumentsAfter(positionals, 0);
      throw new UsageError('missing --host NAME');
    }
    // `--host a b c` as well as `--host a --host b`: the words after --host are more names.
    const hosts = [...named, ...positionals];
    const out = values.out;
    if (typeof out !== 'string' || out === '') throw new UsageError('missing --out DIR');
    const days = numberOption(values.days, 'days', { min: 1, max: 36500, integer: true });
    let made;
    try {
      made = await createSelfSignedCertificate({ hosts, ...(days !== undefined ? { days } : {}) });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    mkdirSync(out, { recursive: true });
    const certFile = join(out, 'cert.pem');
    const keyFile = join(out, 'key.pem');
    writeFileSync(certFile, made.cert);
    writeFileSync(keyFile, made.key, { mode: 0o600 });
    status(`# wrote ${certFile} and ${keyFile}, valid for ${hosts.join(', ')}`);
    return 0;
  },
};
