/** A command line that cannot be run as written: reported on one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
