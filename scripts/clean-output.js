// Removes the TypeScript compiler's output before a build, so that a file deleted or moved in
// src/ or test/ leaves nothing behind: no stale module in the packed package, no deleted test
// run. The native addon's build (build/Release, node-gyp's files) and the recorded test
// durations stay.
import { rmSync } from 'node:fs';

for (const output of ['dist', 'build/src', 'build/test', 'build/bench']) {
  rmSync(output, { recursive: true, force: true });
}
