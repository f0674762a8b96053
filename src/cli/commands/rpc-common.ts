import { readFile } from 'node:fs/promises';
import { RemoteError } from '../../errors.js';
import { RawJson, type TypeRegistry } from '../../rpc/presentation.js';
import { numberOption } from '../args.js';
import { harmless } from '../terminal.js';

/** How long a command-line call may take unless told otherwise, in seconds. */
export const DEFAULT_CALL_SECONDS = 10;

/** The `--timeout SECONDS` option of the RPC clients, in ms. */
export function callTimeout(value: string | boolean | undefined): number {
  const seconds = numberOption(value, 'timeout', { min: 0.001, max: 86_400, unit: 'seconds' });
  return Math.ceil((seconds ?? DEFAULT_CALL_SECONDS) * 1000);
}

/** A file named on the command line that cannot be used: one line on stderr, exit 1. */
export class InputFileError extends Error {
  override name = 'InputFileError';
}

/**
 * Runs a command's `body`, turning an {@link InputFileError} into its one line on stderr and
 * exit status 1.
 */
export async function reportingInputFiles(
  command: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    process.stderr.write(`dsock ${command}: ${error.message}\n`);
    return 1;
  }
}

/** A JSON file (a token, metadata) to send byte for byte; a failure names the file. */
export async function jsonFile(path: string, what: string): Promise<RawJson> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InputFileError(`cannot read ${what} file ${path} (${code})`);
  }
  try {
    return new RawJson(text);
  } catch (error) {
    throw new InputFileError(`${what} file ${path} is not JSON: ${(error as Error).message}`);
  }
}

/** A call's result as the JSON text printed on stdout (tags kept, indented as Python does). */
export function resultText(registry: TypeRegistry, result: unknown): string {
  return JSON.stringify(registry.encode(result), null, 2);
}

/**
 * Runs `call`: prints its result's JSON on stdout, exit 0; a remote error becomes one line on
 * stderr (the server's text, newlines and terminal controls escaped), exit 1. Other failures
 * are thrown, for the CLI to report.
 */
export async function printCall(
  command: string,
  registry: TypeRegistry,
  call: () => Promise<unknown>,
  onResult?: (text: string) => Promise<void>,
): Promise<number> {
  let result: unknown;
  try {
    result = await call();
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    const line = harmless(error.message.replaceAll('\r', '\\r').replaceAll('\n', '\\n'));
    process.stderr.write(`dsock ${command}: remote error: ${line}\n`);
    return 1;
  }
  const text = resultText(registry, result);
  await onResult?.(text);
  process.stdout.write(`${text}\n`);
  return 0;
}
