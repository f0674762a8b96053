/**
 * One `dsock` command, e.g. `chat udp` (its line in the command list is in main.ts, which loads
 * a command module only when it runs that command).
 */
export interface Command {
  /** The words that select it, e.g. `['chat', 'udp']`. */
  words: string[];
  /** The whole help text shown by `dsock WORDS --help`. */
  help: string;
  /** Runs the command with the arguments after its words; resolves with the exit status. */
  run(args: string[]): Promise<number>;
}
