import { UsageError } from './usage-error.js';

const NEGATIVE_NUMBER = /^-(?:[0-9]|\.[0-9])/;

/**
 * Refuses a negative number given to a command whose numbers are all counts, sizes or times,
 * with a message that names it. Without this, the command-line parser reads `-5` as an
 * unknown option (or calls `--rate -5` ambiguous), which says nothing about the number.
 * `positionals` names the positional arguments in order, e.g. `['COUNT']`; `flags` are the
 * options that take no value, e.g. `['once']`.
 */
export function refuseNegativeNumbers(
  args: readonly string[],
  positionals: readonly string[],
  flags: readonly string[] = [],
): void {
  let position = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') return;
    const previous = args[i - 1];
    const optionValue =
      previous !== undefined &&
      previous.startsWith('--') &&
      !previous.includes('=') &&
      !flags.includes(previous.slice(2));
    if (NEGATIVE_NUMBER.test(arg)) {
      const label = optionValue ? previous : (positionals[position] ?? 'argument');
      throw new UsageError(`invalid ${label} "${arg}": must not be negative`);
    }
    if (!arg.startsWith('-') && !optionValue) position++;
  }
}
