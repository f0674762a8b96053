import { PLACEMENTS, type Placement } from './placement.js';
import type { Mode } from './scenario.js';

/** What the command line asked for. */
export interface SuiteArgs {
  mode: Mode;
  /** Rounds per scenario; the mode's default when not given. */
  rounds: number | undefined;
  /** Scenario ids to run; all when empty. */
  only: string[];
  write: boolean;
  help: boolean;
  placement: Placement;
}

export const USAGE = `Usage: npm run bench -- [--quick] [--rounds N] [--only ID[,ID...]]
                       [--placement apart|together|free] [--no-write]

  --quick        smaller sizes and fewer rounds (well under 2 minutes)
  --rounds N     rounds per scenario (default: 5 quick, 9 full)
  --only IDS     run only these scenarios (comma-separated ids; see the list below)
  --placement P  apart (default): the two ends of a trial pinned to two CPUs;
                 together: both pinned to one CPU; free: left to the scheduler
  --no-write     print the report without replacing bench/results/latest.*

The markdown report goes to stdout, progress to stderr.`;

/** Parses `argv` (without node and the script); throws an Error naming a bad argument. */
export function parseArgs(argv: readonly string[]): SuiteArgs {
  const args: SuiteArgs = {
    mode: 'full',
    rounds: undefined,
    only: [],
    write: true,
    help: false,
    placement: 'apart',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') args.mode = 'quick';
    else if (arg === '--full') args.mode = 'full';
    else if (arg === '--no-write') args.write = false;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg === '--rounds') {
      const text = value();
      const rounds = Number(text);
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) {
        throw new Error(`--rounds must be an integer from 1 to 100, got "${text}"`);
      }
      args.rounds = rounds;
    } else if (arg === '--placement') {
      const text = value();
      const placement = PLACEMENTS.find((p) => p === text);
      if (placement === undefined) {
        throw new Error(`--placement must be one of ${PLACEMENTS.join(', ')}, got "${text}"`);
      }
      args.placement = placement;
    } else if (arg === '--only') {
      args.only.push(
        ...value()
          .split(',')
          .filter((id) => id !== ''),
      );
    } else {
      throw new Error(`unknown argument "${arg}"`);
    }
  }
  return args;
}
