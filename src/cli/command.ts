/** One `dsock` command, e.g. `chat udp`. */
export interface Command {
  /** The words that select it, e.g. `['chat', 'udp']`. */
  words: string[];
  /** One line for the command list. */
  summary: string;
  /** The whole help text shown by `dsock WORDS --help`. */
  help: string;
  /** Runs the command with the arguments after its words; resolves with the exit status. */
  run(args: string[]): Promise<number>;
}
