// `npm run soak` (not part of CI): the whole life cycle of many thousands of generated users through the
// CLI — import → backfill → validate → rollout → cleanup → archive → restore → backfill --changed →
// validate — on the embedded store at two population sizes, and a smaller run against the loopback
// Convex deployment over HTTP with 10 % injected faults. Prints throughput and peak memory per phase,
// and a final consistency check; exits 1 when a check fails or memory grows with the population
// (it must be bounded by concurrency, not by users).
//
// Each run is a child process of its own, so its peak memory is its own. Environment:
//   AGG_SOAK_USERS=1000,4000   the two embedded populations (default)
//   AGG_SOAK_RECORDS=40        mean records per user
//   AGG_SOAK_HTTP_USERS=40     users of the loopback run (convex-test scans every document per indexed read)
//   AGG_SOAK_TYPES=kpi,top_channels,monthly_trend   types computed (all: every type)
//   AGG_SOAK_ONLY=embedded|loopback
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runCli } from '../src/cli/main.js';
import { openStore } from '../src/store/open.js';
import type { CliIo } from '../src/cli/io.js';
import { AGGREGATION_TYPES } from '../src/core/aggregations/definition.js';
import { generateUsers } from '../fixtures/generator.js';
import { type LoopbackConvex, startLoopbackConvex, transientFaults } from '../test/support/loopback-convex.js';

const CONCURRENCY = 8;
const GRID_SETS = 18;

interface PhaseResult {
  phase: string;
  ms: number;
  users: number;
  records: number;
  /** Peak live heap (reachable after a GC) and peak resident set during the phase, in MiB. */
  heapMiB: number;
  rssMiB: number;
}

interface RunResult {
  kind: 'embedded' | 'loopback';
  users: number;
  records: number;
  phases: PhaseResult[];
  checks: Array<{ check: string; ok: boolean; detail: string }>;
  faults?: { injected: number; lostAfterCommit: number; requests: number };
}

// The child: one population through the whole life cycle.

/**
 * Peak memory of a phase. The CLI keeps the event loop busy for long stretches, so timers would only
 * sample between commands: the resident set is sampled by a worker thread (every 10 ms, whatever the
 * main thread does), and the live heap (what is still reachable after a full GC) in band, every 100th
 * store call, through a store wrapper. The peak heap in use would mostly measure when the GC last ran.
 */
class MemoryWatch {
  private live = 0;
  private calls = 0;
  private readonly shared = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly gc = (globalThis as { gc?: () => void }).gc;

  constructor() {
    this.worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const peak = new Int32Array(workerData);
       setInterval(() => { const kib = Math.round(process.memoryUsage.rss() / 1024); if (kib > Atomics.load(peak, 0)) Atomics.store(peak, 0, kib); }, 10);`,
      { eval: true, workerData: this.shared.buffer },
    );
    this.worker.unref();
  }

  /** A store whose calls sample the live heap. */
  watch<S extends object>(store: S): S {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function' || property === 'constructor') return value;
        return (...args: unknown[]) => {
          if (++this.calls % 100 === 0) this.sampleLive();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  private sampleLive(): void {
    this.gc?.();
    this.live = Math.max(this.live, process.memoryUsage().heapUsed);
  }

  reset(): void {
    this.live = 0;
    this.sampleLive();
    Atomics.store(this.shared, 0, 0);
  }

  peaks(): { heapMiB: number; rssMiB: number } {
    this.sampleLive();
    return { heapMiB: this.live / 2 ** 20, rssMiB: Atomics.load(this.shared, 0) / 1024 };
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

async function child(kind: 'embedded' | 'loopback', users: number, recordsPerUser: number, types: string[]): Promise<RunResult> {
  const cwd = mkdtempSync(join(tmpdir(), `agg-soak-${kind}-`));
  let server: LoopbackConvex | null = null;
  if (kind === 'loopback') server = await startLoopbackConvex({ recordCalls: false });
  const watch = new MemoryWatch();
  // The store agg would open for --local / --url: the embedded store in cwd, or ConvexStore over
  // ConvexHttpClient to the loopback; wrapped so its calls sample the live heap.
  const target = server
    ? ({ kind: 'convex', url: server.url, adminKey: server.adminKey, deployment: server.deployment, production: false } as const)
    : ({ kind: 'sqlite', dir: join(cwd, '.agg') } as const);
  const open = () => watch.watch(openStore(target, { timeoutMs: 2000, retries: 5 }));
  const phases: PhaseResult[] = [];
  const checks: RunResult['checks'] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ check: name, ok, detail });
  const agg = async (args: string[], allowed: number[] = [0]): Promise<string> => {
    let out = '';
    let err = '';
    const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: { USER: 'soak' }, cwd, now: () => Date.now(), connect: open };
    const code = await runCli(['--quiet', ...args], io);
    if (!allowed.includes(code)) throw new Error(`agg ${args.join(' ')} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
    return out;
  };
  const typeArgs = types.flatMap((type) => ['--type', type]);
  const phase = async <T>(name: string, work: () => Promise<T>, counts: (result: T) => { users: number; records: number }): Promise<T> => {
    watch.reset();
    const started = performance.now();
    const result = await work();
    const ms = performance.now() - started;
    phases.push({ phase: name, ms, ...counts(result), ...watch.peaks() });
    return result;
  };

  try {
    // import: each user's records written as a file, imported, and the file removed.
    if (server) server.setFaults(transientFaults(0.1, 'soak'));
    const imported = await phase(
      'import',
      async () => {
        let records = 0;
        let inserted = 0;
        let count = 0;
        for (const user of generateUsers({ users, records: recordsPerUser, seed: 'soak' })) {
          const file = join(cwd, 'user.jsonl');
          writeFileSync(file, user.records.map((record) => JSON.stringify(record)).join('\n'));
          const summary = JSON.parse(await agg(['import', file, '--user', user.userId, '--json'])) as { inserted: number; unchanged: number };
          unlinkSync(file);
          records += user.records.length;
          // After a lost answer, the retried batch finds its own rows: counted unchanged, not inserted.
          inserted += summary.inserted + summary.unchanged;
          count++;
        }
        check('import took every record', inserted === records, `${inserted} of ${records}`);
        return { users: count, records };
      },
      (r) => r,
    );
    const backfill = await phase(
      'backfill --all',
      async () => JSON.parse(await agg(['backfill', '--all', ...typeArgs, '--concurrency', String(CONCURRENCY), '--json'])) as { users: { done: number }; records: number; written: number },
      (r) => ({ users: r.users.done, records: r.records }),
    );
    const expectedRows = users * types.length * GRID_SETS;
    check('backfill wrote every result', backfill.written === expectedRows, `${backfill.written} of ${expectedRows}`);
    const firstValidate = await phase(
      'validate --all',
      async () => JSON.parse(await agg(['validate', '--all', ...typeArgs, '--concurrency', String(CONCURRENCY), '--json'], [0, 1])) as { users: { total: number }; totals: Record<string, number> },
      (r) => ({ users: r.users.total, records: 0 }),
    );
    const notMatching = (totals: Record<string, number>) => Object.entries(totals).filter(([status, n]) => status !== 'match' && n > 0);
    check('first validate is clean', notMatching(firstValidate.totals).length === 0 && firstValidate.totals.match === expectedRows, JSON.stringify(firstValidate.totals));
    await phase(
      'rollout --percent 25, 50',
      async () => {
        const first = JSON.parse(await agg(['rollout', '--percent', '25', '--reason', 'soak', '--json'])) as { summary: { knownUsers: number } };
        await agg(['rollout', '--percent', '50', '--reason', 'soak', '--json']);
        return first;
      },
      (r) => ({ users: r.summary.knownUsers, records: 0 }),
    );
    await phase('cleanup', async () => JSON.parse(await agg(['cleanup', '--json'])) as unknown, () => ({ users, records: 0 }));
    const archived = await phase(
      'archive records > 2 years',
      async () => JSON.parse(await agg(['archive', '--table', 'records', '--older-than', '730d', '--yes', '--json'])) as { archives: Array<{ manifestId: string; rows: number }> },
      (r) => ({ users, records: r.archives.reduce((n, a) => n + a.rows, 0) }),
    );
    const archivedRows = archived.archives.reduce((n, a) => n + a.rows, 0);
    check('archive moved old records', archivedRows > 0 && archived.archives.length === 1, `${archivedRows} rows in ${archived.archives.length} archive(s)`);
    const restored = await phase(
      'archive --restore',
      async () => JSON.parse(await agg(['archive', '--restore', archived.archives[0]!.manifestId, '--json'])) as { totals: { inserted: number; identical: number; conflicting: number } },
      (r) => ({ users, records: r.totals.inserted }),
    );
    check('restore put every row back', restored.totals.inserted + restored.totals.identical === archivedRows && restored.totals.conflicting === 0, JSON.stringify(restored.totals));
    const changed = await phase(
      'backfill --changed',
      async () => JSON.parse(await agg(['backfill', '--changed', ...typeArgs, '--concurrency', String(CONCURRENCY), '--json'])) as { users: { done: number }; records: number; written: number },
      (r) => ({ users: r.users.done, records: r.records }),
    );
    check('recomputing after the round trip rewrote nothing', changed.written === 0, `${changed.written} written`);
    const finalValidate = await phase(
      'validate --all (final)',
      async () => JSON.parse(await agg(['validate', '--all', ...typeArgs, '--concurrency', String(CONCURRENCY), '--json'], [0, 1])) as { users: { total: number }; totals: Record<string, number> },
      (r) => ({ users: r.users.total, records: 0 }),
    );
    check('final validate is clean', notMatching(finalValidate.totals).length === 0 && finalValidate.totals.match === expectedRows, JSON.stringify(finalValidate.totals));
    const listed = JSON.parse(await agg(['users', '--json'])) as { users: Array<{ recordCount: number }> };
    const storedRecords = listed.users.reduce((n, u) => n + u.recordCount, 0);
    check('users and records equal what was generated', listed.users.length === users && storedRecords === imported.records, `${listed.users.length} users, ${storedRecords} records (generated ${imported.users}, ${imported.records})`);
    return {
      kind,
      users,
      records: imported.records,
      phases,
      checks,
      ...(server ? { faults: { injected: [...server.stats.faults.values()].reduce((a, b) => a + b, 0), lostAfterCommit: server.stats.lostAfterCommit, requests: server.stats.requests } } : {}),
    };
  } finally {
    await watch.stop();
    await server?.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}

// The parent: runs the children and reports.

function runChild(kind: string, users: number, records: number, types: string[]): RunResult {
  const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), 'child', kind, String(users), String(records), types.join(',')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as RunResult;
}

function report(result: RunResult): void {
  console.log(`\n${result.kind === 'embedded' ? 'embedded store' : 'loopback Convex deployment over HTTP, 10 % faults'}: ${result.users.toLocaleString('en-US')} users, ${result.records.toLocaleString('en-US')} records`);
  console.log(`  ${'phase'.padEnd(28)} ${'time'.padStart(9)} ${'users/s'.padStart(9)} ${'records/s'.padStart(10)} ${'live heap'.padStart(10)} ${'peak RSS'.padStart(9)}`);
  for (const p of result.phases) {
    const perSecond = (n: number) => (n > 0 ? (n / (p.ms / 1000)).toFixed(n / (p.ms / 1000) >= 100 ? 0 : 1) : '-');
    console.log(
      `  ${p.phase.padEnd(28)} ${`${(p.ms / 1000).toFixed(1)} s`.padStart(9)} ${perSecond(p.users).padStart(9)} ${perSecond(p.records).padStart(10)} ${`${p.heapMiB.toFixed(0)} MiB`.padStart(10)} ${`${p.rssMiB.toFixed(0)} MiB`.padStart(9)}`,
    );
  }
  if (result.faults) console.log(`  faults injected: ${result.faults.injected} of ${result.faults.requests} requests (${result.faults.lostAfterCommit} answers lost after a mutation committed)`);
  for (const c of result.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}`);
}

async function parent(): Promise<number> {
  const [small, large] = (process.env.AGG_SOAK_USERS ?? '1000,4000').split(',').map(Number) as [number, number];
  const records = Number(process.env.AGG_SOAK_RECORDS ?? 40);
  const httpUsers = Number(process.env.AGG_SOAK_HTTP_USERS ?? 40);
  const typesEnv = process.env.AGG_SOAK_TYPES ?? 'kpi,top_channels,monthly_trend';
  const types = typesEnv === 'all' ? [...AGGREGATION_TYPES] : typesEnv.split(',');
  const only = process.env.AGG_SOAK_ONLY;
  console.log(`soak: node ${process.version}, types ${types.join(', ')} × ${GRID_SETS} filter sets, concurrency ${CONCURRENCY}, ${records} records per user on average`);
  let failed = false;
  if (only !== 'loopback') {
    const runs = [small, large].map((users) => runChild('embedded', users, records, types));
    runs.forEach(report);
    // Memory is bounded by concurrency when the larger population peaks no higher than the smaller one
    // (plus noise): phase by phase, the live heap within 25 % + 16 MiB.
    console.log(`\nmemory as the population grows ${runs[0]!.users.toLocaleString('en-US')} → ${runs[1]!.users.toLocaleString('en-US')} users (peak live heap per phase):`);
    for (const [i, p] of runs[0]!.phases.entries()) {
      const q = runs[1]!.phases[i]!;
      const flat = q.heapMiB <= p.heapMiB * 1.25 + 16;
      failed ||= !flat;
      console.log(`  ${flat ? 'flat' : 'GROWS'} ${p.phase.padEnd(28)} ${p.heapMiB.toFixed(0).padStart(5)} MiB → ${q.heapMiB.toFixed(0).padStart(5)} MiB  (RSS ${p.rssMiB.toFixed(0)} → ${q.rssMiB.toFixed(0)} MiB)`);
    }
    failed ||= runs.some((run) => run.checks.some((c) => !c.ok));
  }
  if (only !== 'embedded') {
    const http = runChild('loopback', httpUsers, Math.min(records, 30), types);
    report(http);
    failed ||= http.checks.some((c) => !c.ok) || (http.faults?.injected ?? 0) === 0;
  }
  console.log(failed ? '\nsoak: FAILED' : '\nsoak: every check passed, memory flat');
  return failed ? 1 : 0;
}

if (process.argv[2] === 'child') {
  const [, , , kind, users, records, types] = process.argv;
  const result = await child(kind as 'embedded' | 'loopback', Number(users), Number(records), types!.split(','));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  process.exitCode = await parent();
}
