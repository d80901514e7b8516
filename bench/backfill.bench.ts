// `npm run bench:backfill`: backfill over generated users on the embedded store, and on ConvexStore
// against a deployment simulated in a worker thread behind a per-call network latency.
// Prints store calls per user, bytes written, and wall time against the latency bound.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';
import { ConvexStore } from '../src/store/convex/convex-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { generateUsers } from '../fixtures/generator.js';
import { NO_WAIT_RETRY } from '../test/support/convex-test-store.js';
import { SimulatedDeployment } from './support/simulated-deployment.js';

const USERS = Number(process.env.AGG_BENCH_USERS ?? 32);
const RECORDS = Number(process.env.AGG_BENCH_RECORDS ?? 400);
const CONCURRENCY = 8;
const LATENCY_MS = 30;

interface Summary {
  storeCalls: number;
  written: number;
  unchanged: number;
  bytes: number;
  users: { done: number };
}

const EMPTY_DIR = mkdtempSync(join(tmpdir(), 'agg-bench-cwd-'));

async function backfill(openStore: () => Store): Promise<{ summary: Summary; ms: number }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    // Resolution runs for real: in an empty directory it finds no deployment, and connect opens the bench's store.
    cwd: EMPTY_DIR,
    now: () => Date.now(),
    connect: openStore,
  };
  const started = performance.now();
  const elu = performance.eventLoopUtilization();
  const code = await runCli(['backfill', '--all', '--concurrency', String(CONCURRENCY), '--json', '--quiet'], io);
  const ms = performance.now() - started;
  if (process.env.AGG_BENCH_ELU) console.log(`  (event loop utilization ${performance.eventLoopUtilization(elu).utilization.toFixed(2)})`);
  if (code !== 0) throw new Error(`backfill exited ${code}: ${err}${out.slice(0, 2000)}`);
  return { summary: JSON.parse(out) as Summary, ms };
}

const population = [...generateUsers({ users: USERS, records: RECORDS, seed: 'bench-backfill' })];
const recordCount = population.reduce((n, user) => n + user.records.length, 0);

function row(label: string, value: string): void {
  console.log(`${label.padEnd(34)} ${value}`);
}

async function embedded(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agg-bench-backfill-'));
  try {
    const seed = SqliteStore.open(dir);
    for (const user of population) await seed.putRecords({ userId: user.userId, records: user.records, change: { changeId: `seed:${user.userId}`, changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
    await seed.close();
    const first = await backfill(() => SqliteStore.open(dir));
    const second = await backfill(() => SqliteStore.open(dir));
    console.log('\nembedded store (SQLite)');
    row('first run', `${first.ms.toFixed(0)} ms, ${first.summary.written} results written, ${(first.summary.bytes / 1024 / 1024).toFixed(1)} MiB`);
    row('  store calls per user', (first.summary.storeCalls / USERS).toFixed(1));
    row('  users per second', (USERS / (first.ms / 1000)).toFixed(1));
    row('second run, unchanged data', `${second.ms.toFixed(0)} ms, ${second.summary.written} written, ${second.summary.unchanged} unchanged`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Trial {
  readonly first: { summary: Summary; ms: number };
  readonly second: { summary: Summary; ms: number };
  readonly busyFirst: string;
  readonly busySecond: string;
}

const ratio = (result: { summary: Summary; ms: number }): number => result.ms / ((result.summary.storeCalls * LATENCY_MS) / CONCURRENCY);

/** One trial on a fresh deployment: the first run onto an empty store, then a second on unchanged data. */
async function convexTrial(): Promise<Trial> {
  const deployment = new SimulatedDeployment(LATENCY_MS);
  try {
    for (const user of population) await deployment.seed({ userId: user.userId, records: user.records, change: { changeId: `seed:${user.userId}`, changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
    const open = () => new ConvexStore(deployment.caller(), { description: 'simulated deployment', retry: NO_WAIT_RETRY });
    const busy = (since: number[], ms: number): string => deployment.utilization(since).map((active) => `${((active / ms) * 100).toFixed(0)}%`).join(', ');
    let since = deployment.utilization();
    const first = await backfill(open);
    const busyFirst = busy(since, first.ms);
    since = deployment.utilization();
    const second = await backfill(open);
    return { first, second, busyFirst, busySecond: busy(since, second.ms) };
  } finally {
    await deployment.close();
  }
}

// A run lasts about a second, so one run is at the mercy of the machine's other work: the bench runs
// several trials and reports the median one, with the spread.
const TRIALS = Number(process.env.AGG_BENCH_TRIALS ?? 5);

async function convex(): Promise<void> {
  const trials: Trial[] = [];
  for (let i = 0; i < TRIALS; i++) trials.push(await convexTrial());
  const median = <T>(items: T[], key: (item: T) => number): T => [...items].sort((a, b) => key(a) - key(b))[Math.floor((items.length - 1) / 2)]!;
  const spread = (pick: (trial: Trial) => number): string => {
    const values = trials.map(pick).sort((a, b) => a - b);
    return `${values[0]!.toFixed(2)}–${values[values.length - 1]!.toFixed(2)}× over ${values.length} trials`;
  };
  const report = (label: string, result: { summary: Summary; ms: number }, busy: string, pick: (trial: Trial) => number): void => {
    const bound = (result.summary.storeCalls * LATENCY_MS) / CONCURRENCY;
    row(label, `${result.ms.toFixed(0)} ms, ${result.summary.written} written, ${result.summary.unchanged} unchanged, ${(result.summary.bytes / 1024 / 1024).toFixed(1)} MiB`);
    row('  store calls per user', (result.summary.storeCalls / USERS).toFixed(1));
    row('  latency bound', `${bound.toFixed(0)} ms  (calls × ${LATENCY_MS} ms / concurrency ${CONCURRENCY})`);
    row('  wall time / bound', `${ratio(result).toFixed(2)}×  (target ≤ 1.3×; median trial, ${spread(pick)})`);
    row('  simulated deployment threads busy', busy);
  };
  console.log(`\nConvexStore, ${LATENCY_MS} ms per call, deployment simulated in two worker threads`);
  const first = median(trials, (trial) => ratio(trial.first));
  report('first run', first.first, first.busyFirst, (trial) => ratio(trial.first));
  const second = median(trials, (trial) => ratio(trial.second));
  report('second run, unchanged data', second.second, second.busySecond, (trial) => ratio(trial.second));
  const rewritten = Math.max(...trials.map((trial) => trial.second.summary.written));
  row('  writes on the second run', rewritten === 0 ? `0 in every trial (target: nothing rewritten)` : `${rewritten} (expected 0)`);
}

console.log(`backfill bench: ${USERS} users, ${recordCount} records, 10 types × 18-set grid, node ${process.version}`);
console.log('every figure is in-process: `agg backfill --all` run through the CLI entry (runCli) in this process, store included; no node start-up');
if (process.env.AGG_BENCH_ONLY !== 'convex') await embedded();
if (process.env.AGG_BENCH_ONLY !== 'embedded') await convex();
