// kill -9 at seeded random points of a long command on the embedded store, followed at once by the
// README's recovery command, must end in the state of an uninterrupted run. Shared by the test suite
// (a few trials) and `npm run soak:kill` (many). No fixed sleeps: each kill waits for a seeded point
// read from the store from outside the process, and each trial checks that the kill landed mid-run.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { Random } from '../../fixtures/random.js';
import { generateUsers } from '../../fixtures/generator.js';
import { aggregationSnapshot, seedUsers } from './store-fixtures.js';

export type KillCommand = 'backfill' | 'import' | 'cleanup' | 'archive';
export const KILL_COMMANDS: readonly KillCommand[] = ['backfill', 'import', 'cleanup', 'archive'];

export interface TrialOutcome {
  readonly command: KillCommand;
  readonly seed: string;
  /** The kill landed while the command was mid-way (not before it started, not after it finished). */
  readonly landedMidRun: boolean;
  readonly correct: boolean;
  /** Why not, when not. */
  readonly problem: string | null;
}

const AS_OF = ['--as-of', '2025-06-01T00:00:00Z'];
const USERS = 6;
const RECORDS = 2500;

function query<T>(dir: string, sql: string, ...params: unknown[]): T | null {
  let db: Database.Database;
  try {
    db = new Database(join(dir, 'agg.db'), { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  try {
    return (db.prepare(sql).get(...params) as T | undefined) ?? null;
  } catch {
    return null;
  } finally {
    db.close();
  }
}

function count(dir: string, table: string): number | null {
  return query<{ n: number }>(dir, `SELECT COUNT(*) AS n FROM ${table}`)?.n ?? null;
}

function latestRun(dir: string): { status: string; usersDone: number } | null {
  const row = query<{ status: string; counts: string }>(dir, 'SELECT status, counts FROM agg_runs ORDER BY started_at DESC LIMIT 1');
  return row ? { status: row.status, usersDone: (JSON.parse(row.counts) as { usersDone?: number }).usersDone ?? 0 } : null;
}

function run(bin: string, cwd: string, args: string[]): number {
  try {
    execFileSync(process.execPath, [bin, ...args], { cwd, stdio: 'ignore' });
    return 0;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

/** Starts the command and SIGKILLs it once `reached()` is true; resolves when it is gone. */
async function killWhen(bin: string, cwd: string, args: string[], reached: () => boolean): Promise<{ killed: boolean }> {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], { cwd, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 60_000;
  while (!done && Date.now() < deadline) {
    if (reached()) {
      child.kill('SIGKILL');
      await exited;
      return { killed: true };
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  if (!done) child.kill('SIGKILL');
  await exited;
  return { killed: false };
}

async function snapshot(dir: string): Promise<string[]> {
  const store = SqliteStore.open(dir);
  try {
    return await aggregationSnapshot(store);
  } finally {
    await store.close();
  }
}

async function seeded(seed: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'agg-kill-'));
  const store = SqliteStore.open(dir);
  try {
    await seedUsers(store, USERS, RECORDS, seed);
  } finally {
    await store.close();
  }
  return dir;
}

function recordRows(dir: string): string {
  const db = new Database(join(dir, 'agg.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT * FROM watch_records ORDER BY user_id, record_id').all();
    return JSON.stringify(rows);
  } finally {
    db.close();
  }
}

function stats(dir: string): string {
  const db = new Database(join(dir, 'agg.db'), { readonly: true });
  try {
    return JSON.stringify(db.prepare('SELECT user_id, record_count, first_watched_at, last_watched_at FROM user_stats ORDER BY user_id').all());
  } finally {
    db.close();
  }
}

/** One trial: the command killed at a seeded point, the recovery run, the end state checked. */
export async function killTrial(bin: string, command: KillCommand, seed: string): Promise<TrialOutcome> {
  const random = new Random(`${command}:${seed}`);
  const outcome = (landedMidRun: boolean, problem: string | null): TrialOutcome => ({ command, seed, landedMidRun, correct: landedMidRun && problem === null, problem });
  const dir = await seeded('kill');
  const local = ['--local', dir, '--quiet'];
  try {
    switch (command) {
      case 'backfill': {
        const reference = await seeded('kill');
        run(bin, reference, ['--local', reference, '--quiet', 'backfill', '--all', ...AS_OF]);
        const expected = await snapshot(reference);
        rmSync(reference, { recursive: true, force: true });
        // Kill after a seeded number of users is checkpointed, or a seeded number of results written.
        // Points in the first 80 % of the run: a kill aimed at the very end can land after it.
        const afterUsers = 1 + random.int(USERS - 2);
        const afterRows = 1 + random.int(Math.floor(USERS * 180 * 0.8));
        const byUsers = random.next() < 0.5;
        await killWhen(bin, dir, [...local, 'backfill', '--all', '--concurrency', '2', ...AS_OF], () =>
          byUsers ? (latestRun(dir)?.usersDone ?? 0) >= afterUsers : (count(dir, 'precomputed_aggregations') ?? 0) >= afterRows,
        );
        const killed = latestRun(dir);
        // Mid-run: the ledger had not recorded the run's end (users may all be done, the end not).
        const mid = killed?.status === 'running';
        if (process.env.AGG_KILL_KEEP === '1') process.stderr.write(`killed: ${JSON.stringify(killed)} (by ${byUsers ? `users >= ${afterUsers}` : `rows >= ${afterRows}`})\n`);
        const code = run(bin, dir, [...local, 'backfill', '--resume', 'last']);
        if (code !== 0) return outcome(mid, `recovery exited ${code}`);
        const actual = await snapshot(dir);
        if (JSON.stringify(actual) !== JSON.stringify(expected)) return outcome(mid, 'aggregations differ from an uninterrupted run');
        if (run(bin, dir, [...local, 'validate', '--all', '--fail-on', 'any']) !== 0) return outcome(mid, 'validate is not clean');
        return outcome(mid, null);
      }
      case 'import': {
        const [user] = [...generateUsers({ users: 1, records: 30_000, seed: `kill-import:${seed}` })];
        const file = join(dir, 'records.jsonl');
        writeFileSync(file, `${user!.records.map((record) => JSON.stringify(record)).join('\n')}\n`);
        const before = count(dir, 'watch_records')!;
        const afterRows = before + 1 + random.int(Math.floor(user!.records.length * 0.8));
        await killWhen(bin, dir, [...local, 'import', file, '--user', 'big'], () => (count(dir, 'watch_records') ?? 0) >= afterRows);
        const written = (count(dir, 'watch_records') ?? 0) - before;
        const mid = written > 0 && written < user!.records.length;
        const code = run(bin, dir, [...local, 'import', file, '--user', 'big']);
        if (code !== 0) return outcome(mid, `recovery exited ${code}`);
        const stored = query<{ n: number }>(dir, "SELECT COUNT(*) AS n FROM watch_records WHERE user_id = 'big'")?.n;
        const stat = query<{ record_count: number }>(dir, "SELECT record_count FROM user_stats WHERE user_id = 'big'")?.record_count;
        if (stored !== user!.records.length || stat !== user!.records.length) return outcome(mid, `records ${stored}, stats ${stat}, expected ${user!.records.length}`);
        const pending = query<{ n: number }>(dir, "SELECT COUNT(*) AS n FROM data_change_log WHERE user_id = 'big' AND processed = 0")?.n ?? 0;
        if (pending < 1) return outcome(mid, 'no change-log entry for the import');
        return outcome(mid, null);
      }
      case 'cleanup': {
        run(bin, dir, [...local, 'backfill', '--all', ...AS_OF]);
        const total = count(dir, 'precomputed_aggregations')!;
        const batch = 5;
        // At least three batches in, so that a row recording nothing cannot pass for one a batch behind.
        const afterDeleted = 2 * batch + 1 + random.int(Math.floor(total * 0.8));
        const cleanup = [...local, 'cleanup', '--expired', '--as-of', '2099-01-01T00:00:00Z', '--batch-size', String(batch)];
        await killWhen(bin, dir, cleanup, () => total - (count(dir, 'precomputed_aggregations') ?? total) >= afterDeleted);
        const left = count(dir, 'precomputed_aggregations') ?? 0;
        const mid = left > 0 && left < total;
        // The dead run's row records what it deleted: every batch it stored, or all but the one batch
        // whose deletion committed just before the kill, ahead of the row's update.
        const dead = query<{ run_id: string; status: string; counts: string }>(dir, "SELECT run_id, status, counts FROM agg_runs WHERE command = 'cleanup' ORDER BY started_at DESC LIMIT 1");
        const recordedOf = (row: { counts: string } | null) => (row ? ((JSON.parse(row.counts) as { deleted?: number }).deleted ?? 0) : null);
        const recorded = recordedOf(dead);
        const deleted = total - left;
        if (mid && (dead === null || dead.status !== 'running')) return outcome(mid, `the killed cleanup's ledger row is ${dead?.status ?? 'missing'}`);
        if (mid && !(recorded === deleted || recorded === deleted - batch)) return outcome(mid, `the killed cleanup's ledger row records ${recorded} deleted, ${deleted} were`);
        const code = run(bin, dir, cleanup);
        if (code !== 0) return outcome(mid, `recovery exited ${code}`);
        if (count(dir, 'precomputed_aggregations') !== 0) return outcome(mid, 'expired rows left after the recovery');
        const running = query<{ n: number }>(dir, "SELECT COUNT(*) AS n FROM agg_runs WHERE command = 'cleanup' AND status = 'running'")?.n ?? 0;
        if (running !== 0) return outcome(mid, 'a cleanup run still marked running');
        // The recovery marks the dead row interrupted and leaves its counts as they were.
        if (mid) {
          const after = query<{ status: string; counts: string }>(dir, 'SELECT status, counts FROM agg_runs WHERE run_id = ?', dead!.run_id);
          if (after?.status !== 'interrupted' || recordedOf(after) !== recorded) return outcome(mid, `the killed cleanup's row is ${after?.status} recording ${recordedOf(after)} deleted after the recovery`);
        }
        return outcome(mid, null);
      }
      case 'archive': {
        writeFileSync(join(dir, 'agg.config.json'), JSON.stringify({ archive: { rowsPerChunk: 500 } }));
        const original = recordRows(dir);
        const originalStats = stats(dir);
        const total = count(dir, 'watch_records')!;
        const archive = [...local, 'archive', '--table', 'records', '--older-than', '1d', '--yes', '--out', join(dir, 'cold')];
        // Kill during the export (a manifest being written) or during the deletion of archived rows.
        const duringDeletion = random.next() < 0.6;
        const afterDeleted = 1 + random.int(Math.floor(total * 0.8));
        await killWhen(bin, dir, archive, () =>
          duringDeletion ? total - (count(dir, 'watch_records') ?? total) >= afterDeleted : (count(dir, 'archive_manifests') ?? 0) >= 1,
        );
        const left = count(dir, 'watch_records') ?? total;
        const manifest = query<{ status: string }>(dir, 'SELECT status FROM archive_manifests ORDER BY created_at DESC LIMIT 1');
        const mid = manifest !== null && manifest.status !== 'deleted' && left > 0;
        const code = run(bin, dir, archive);
        if (code !== 0) return outcome(mid, `recovery exited ${code}`);
        // Undated records are never archived by age: they stay.
        const dated = query<{ n: number }>(dir, 'SELECT COUNT(*) AS n FROM watch_records WHERE watched_at IS NOT NULL')?.n;
        if (dated !== 0) return outcome(mid, `${dated} dated records left after the recovery`);
        // Every row is in exactly one archive: restoring them all gives back the store as it was.
        const ids = new Database(join(dir, 'agg.db'), { readonly: true });
        const manifests = ids.prepare("SELECT manifest_id FROM archive_manifests WHERE status = 'deleted'").all() as Array<{ manifest_id: string }>;
        ids.close();
        for (const { manifest_id } of manifests) {
          const restored = run(bin, dir, [...local, 'archive', '--restore', manifest_id]);
          if (restored !== 0) return outcome(mid, `restore of ${manifest_id} exited ${restored}`);
        }
        if (recordRows(dir) !== original) return outcome(mid, `restored records differ from the original (${count(dir, 'watch_records')} of ${total})`);
        if (stats(dir) !== originalStats) return outcome(mid, 'user_stats differ after the restore');
        return outcome(mid, null);
      }
    }
    throw new Error(`no kill trial for ${command as string}`);
  } finally {
    // AGG_KILL_KEEP=1 keeps a trial's store for a look (its path goes to stderr).
    if (process.env.AGG_KILL_KEEP === '1') process.stderr.write(`kill trial ${command}/${seed}: ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
