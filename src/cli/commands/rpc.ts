import { RpcClient } from '../../rpc/client.js';
import { rpcRegistry } from '../../rpc/messages.js';
import { RawJson } from '../../rpc/presentation.js';
import type { Command } from '../command.js';
import { endpointArgument, parseCommandLine, stringOption } from '../args.js';
import { UsageError } from '../usage-error.js';
import {
  callTimeout,
  DEFAULT_CALL_SECONDS,
  jsonFile,
  printCall,
  reportingInputFiles,
} from './rpc-common.js';

/** The `--prefix` option: the frame's length prefix, 2 bytes (the course's) or 4. */
export function prefixOption(value: string | boolean | undefined): 'uint16be' | 'uint32be' {
  if (value === undefined || value === '2') return 'uint16be';
  if (value === '4') return 'uint32be';
  throw new UsageError(`invalid --prefix "${String(value)}": expected 2 (the course's) or 4 bytes`);
}

export const rpcCallCommand: Command = {
  words: ['rpc', 'call'],
  help: `Usage: dsock rpc call HOST:PORT METHOD [JSON_ARG...] [--metadata FILE]
                     [--timeout SECONDS] [--prefix 2|4]

Calls METHOD on the RPC server at HOST:PORT with the arguments given, each one JSON value
(tagged objects as the server expects them: {"id": "ada", "password": "pw", "$type":
"Credentials"}), and prints the result as JSON on stdout. The arguments and the metadata file
are sent byte for byte as written. A remote error is printed on stderr as one line, exit 1.
One connection per call, as the course's client does.

Options:
  --metadata FILE       send the JSON in FILE as the request's metadata (a token)
  --timeout SECONDS     give up after SECONDS (default ${DEFAULT_CALL_SECONDS})
  --prefix 2|4          the frame's length prefix in bytes (default 2, the course's)

Example:
  dsock rpc call 127.0.0.1:8080 get_user '"ada"'
  dsock rpc call 127.0.0.1:8080 check_password '{"id":"ada","password":"pw","$type":"Credentials"}'
  dsock rpc call 127.0.0.1:8080 get_user '"bob"' --metadata token.json
`,
  run(args) {
    return reportingInputFiles('rpc call', () => callMethod(args));
  },
};

async function callMethod(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    metadata: { type: 'string' },
    timeout: { type: 'string' },
    prefix: { type: 'string' },
  });
  const server = endpointArgument(positionals[0]);
  const method = positionals[1];
  if (method === undefined) throw new UsageError('missing METHOD');
  const callArgs = positionals.slice(2).map((text, i) => {
    try {
      return new RawJson(text);
    } catch (error) {
      throw new UsageError(
        `argument ${i + 1} is not JSON (${(error as Error).message}): ` +
          `write a string as '"text"'`,
      );
    }
  });
  const timeout = callTimeout(values.timeout);
  const prefix = prefixOption(values.prefix);
  const metadataPath = stringOption(values.metadata);
  const metadata = metadataPath === undefined ? null : await jsonFile(metadataPath, 'metadata');
  const registry = rpcRegistry();
  const client = new RpcClient(server, { registry, timeout, prefix });
  try {
    return await printCall('rpc call', registry, () => client.call(method, callArgs, { metadata }));
  } finally {
    await client.close();
  }
}
