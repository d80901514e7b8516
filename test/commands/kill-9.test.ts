// kill -9 at seeded random points of backfill, import, cleanup and archive on the embedded store,
// followed at once by the README's recovery command: every trial ends in the state of an
// uninterrupted run. `npm run soak:kill` runs many more trials (AGG_SOAK_KILLS).
import { beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from '../support/built-cli.js';
import { KILL_COMMANDS, killTrial } from '../support/kill-trials.js';

let bin = '';
beforeAll(() => {
  bin = builtCli();
}, 200_000);

describe.each(KILL_COMMANDS.map((command) => [command]))('%s killed with SIGKILL mid-run', (command) => {
  it.each([['a'], ['b']])('recovers at once to the uninterrupted state (seed %s)', async (seed) => {
    // A trial proves something only if its kill landed mid-run; one that landed after the end (the
    // process outran the poll) is inconclusive and the next seed of the series is tried instead.
    for (let attempt = 0; attempt < 4; attempt++) {
      const outcome = await killTrial(bin, command, `${seed}${attempt}`);
      expect(outcome.problem, `seed ${seed}${attempt}`).toBeNull();
      if (outcome.landedMidRun) return;
    }
    throw new Error(`no kill landed mid-run in 4 trials of ${command}`);
  }, 180_000);
});
