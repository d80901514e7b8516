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
import type { Store } from '../src/store/types.js';
import { generateUsers } from '../fixtures/generator.js';
import { NO_WAIT_RETRY } from '../test/support/convex-test-store.js';
import { SimulatedDeployment } from './support/simulated-deployment.js';

const USERS = Number(process.env.AGG_BENCH_USERS ?? 32);
const RECORDS = 400;
const CONCURRENCY = 8;
const LATENCY_MS = 30;

interface Summary {
  storeCalls: number;
  written: number;
  unchanged: number;
  bytes: number;
  users: { done: number };
}

async function backfill(openStore: () => Store): Promise<{ summary: Summary; ms: number }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    cwd: process.cwd(),
    now: () => Date.now(),
    openStore,
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

async function convex(): Promise<void> {
  const deployment = new SimulatedDeployment(LATENCY_MS);
  for (const user of population) await deployment.seed({ userId: user.userId, records: user.records, change: { changeId: `seed:${user.userId}`, changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
  const open = () => new ConvexStore(deployment.caller(), { description: 'simulated deployment', retry: NO_WAIT_RETRY });
  const report = (label: string, result: { summary: Summary; ms: number }): void => {
    const bound = (result.summary.storeCalls * LATENCY_MS) / CONCURRENCY;
    row(label, `${result.ms.toFixed(0)} ms, ${result.summary.written} written, ${result.summary.unchanged} unchanged, ${(result.summary.bytes / 1024 / 1024).toFixed(1)} MiB`);
    row('  store calls per user', (result.summary.storeCalls / USERS).toFixed(1));
    row('  latency bound', `${bound.toFixed(0)} ms  (calls × ${LATENCY_MS} ms / concurrency ${CONCURRENCY})`);
    row('  wall time / bound', `${(result.ms / bound).toFixed(2)}×  (target ≤ 1.3×)`);
  };
  try {
    console.log(`\nConvexStore, ${LATENCY_MS} ms per call, deployment simulated in two worker threads`);
    const busy = (since: number[], ms: number): string => deployment.utilization(since).map((active) => `${((active / ms) * 100).toFixed(0)}%`).join(', ');
    let since = deployment.utilization();
    const first = await backfill(open);
    report('first run', first);
    row('  simulated deployment threads busy', busy(since, first.ms));
    since = deployment.utilization();
    const second = await backfill(open);
    report('second run, unchanged data', second);
    row('  simulated deployment threads busy', busy(since, second.ms));
    row('  writes on the second run', second.summary.written === 0 ? '0 (target: nothing rewritten)' : `${second.summary.written} (expected 0)`);
  } finally {
    await deployment.close();
  }
}

console.log(`backfill bench: ${USERS} users, ${recordCount} records, 10 types × 18-set grid, node ${process.version}`);
if (process.env.AGG_BENCH_ONLY !== 'convex') await embedded();
if (process.env.AGG_BENCH_ONLY !== 'embedded') await convex();
