// `npm run soak:kill` (not in CI): many kill -9 trials of backfill, import, cleanup and archive on the
// embedded store (test/support/kill-trials.ts), each followed at once by the README's recovery
// command. Prints, per command, how many trials ran, how many kills landed mid-run and how many of
// those ended in the uninterrupted state; exits 1 if any did not.
//   AGG_SOAK_KILLS=100   trials in all, spread over the four commands
//   AGG_SOAK_SEED=soak   the series of seeds (the same seed, the same kill points)
import { fileURLToPath } from 'node:url';
import { KILL_COMMANDS, killTrial, type TrialOutcome } from '../test/support/kill-trials.js';

const bin = fileURLToPath(new URL('../../bin/agg.js', import.meta.url));
const total = Number(process.env.AGG_SOAK_KILLS ?? '100');
if (!Number.isInteger(total) || total < 1) throw new Error(`AGG_SOAK_KILLS must be a whole number, not ${process.env.AGG_SOAK_KILLS}`);
const series = process.env.AGG_SOAK_SEED ?? 'soak';

const outcomes: TrialOutcome[] = [];
const started = Date.now();
for (let i = 0; i < total; i++) {
  const command = KILL_COMMANDS[i % KILL_COMMANDS.length]!;
  const outcome = await killTrial(bin, command, `${series}-${i}`);
  outcomes.push(outcome);
  if (outcome.landedMidRun && !outcome.correct) process.stdout.write(`FAIL ${command} seed ${outcome.seed}: ${outcome.problem}\n`);
}
let failed = 0;
for (const command of KILL_COMMANDS) {
  const mine = outcomes.filter((outcome) => outcome.command === command);
  const landed = mine.filter((outcome) => outcome.landedMidRun);
  const correct = landed.filter((outcome) => outcome.correct);
  failed += landed.length - correct.length;
  process.stdout.write(`${command.padEnd(9)} trials ${String(mine.length).padStart(4)}  landed mid-run ${String(landed.length).padStart(4)}  correct ${String(correct.length).padStart(4)}\n`);
}
const landed = outcomes.filter((outcome) => outcome.landedMidRun).length;
process.stdout.write(`all       trials ${String(total).padStart(4)}  landed mid-run ${String(landed).padStart(4)}  correct ${String(landed - failed).padStart(4)}  (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
process.exitCode = failed > 0 ? 1 : 0;
