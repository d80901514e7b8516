// SIGINT and SIGTERM on a real agg process over the embedded store: seen within a second, the work in
// progress finishes, the checkpoint is saved, the run is marked interrupted and the exit code says
// which signal came (130, 143); the documented recovery finishes the job. Each signal is sent only once
// the ledger (read from outside the process) shows the run mid-way, and the test checks it still was.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { generateUser, generateUsers } from '../../fixtures/generator.js';
import { builtCli } from '../support/built-cli.js';
import { aggregationSnapshot, seedUsers } from '../support/store-fixtures.js';

const USERS = 8;
const RECORDS = 6000;

let bin = '';
beforeAll(() => {
  bin = builtCli();
}, 200_000);

interface Running {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; at: number }>;
}

function start(args: string[], cwd: string): Running {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  return { child, stderr: () => stderr, exited };
}

/** The newest run's ledger row, read from outside the process (WAL lets a reader in beside the writer). */
function latestRun(dir: string): { runId: string; status: string; counts: Record<string, number> } | null {
  let db: Database.Database;
  try {
    db = new Database(join(dir, 'agg.db'), { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  try {
    const row = db.prepare('SELECT run_id, status, counts FROM agg_runs ORDER BY started_at DESC LIMIT 1').get() as { run_id: string; status: string; counts: string } | undefined;
    return row ? { runId: row.run_id, status: row.status, counts: JSON.parse(row.counts) as Record<string, number> } : null;
  } catch {
    return null;
  } finally {
    db.close();
  }
}

function recordCount(dir: string, userId: string): number {
  const db = new Database(join(dir, 'agg.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM watch_records WHERE user_id = ?').get(userId) as { n: number }).n;
  } finally {
    db.close();
  }
}

async function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function seededStore(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'agg-signals-'));
  const store = SqliteStore.open(dir);
  try {
    await seedUsers(store, USERS, RECORDS, 'signals');
  } finally {
    await store.close();
  }
  return dir;
}

/** The state an uninterrupted backfill ends in. */
async function reference(): Promise<string[]> {
  const dir = await seededStore();
  execFileSync(process.execPath, [bin, '--local', dir, '--quiet', 'backfill', '--all', '--concurrency', '1', '--as-of', '2025-06-01T00:00:00Z'], { stdio: 'ignore' });
  const store = SqliteStore.open(dir);
  try {
    return await aggregationSnapshot(store);
  } finally {
    await store.close();
  }
}

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('backfill on the embedded store, stopped by %s', (signal, exitCode) => {
  it(`stops within a second with the checkpoint saved, exits ${exitCode}, and --resume finishes to the uninterrupted state`, async () => {
    const expected = await reference();
    const dir = await seededStore();
    const run = start(['--local', dir, '--quiet', 'backfill', '--all', '--concurrency', '1', '--as-of', '2025-06-01T00:00:00Z'], dir);
    const midway = await waitFor('the first user done', () => {
      const row = latestRun(dir);
      return row && row.status === 'running' && (row.counts.usersDone ?? 0) >= 1 ? row : null;
    });
    const sent = Date.now();
    run.child.kill(signal);
    const { code, at } = await run.exited;
    expect(code, run.stderr()).toBe(exitCode);
    expect(at - sent).toBeLessThan(2000);
    const stopped = latestRun(dir)!;
    // The signal landed mid-run: some users done, not all.
    expect(stopped).toMatchObject({ runId: midway.runId, status: 'interrupted' });
    expect(stopped.counts.usersDone).toBeGreaterThanOrEqual(1);
    expect(stopped.counts.usersDone).toBeLessThan(USERS);
    expect(run.stderr()).toContain(`progress saved: agg backfill --resume ${midway.runId}`);

    execFileSync(process.execPath, [bin, '--local', dir, '--quiet', 'backfill', '--resume', midway.runId], { stdio: 'ignore' });
    expect(latestRun(dir)).toMatchObject({ runId: midway.runId, status: 'succeeded', counts: expect.objectContaining({ usersDone: USERS }) });
    const store = SqliteStore.open(dir);
    try {
      expect(await aggregationSnapshot(store)).toEqual(expected);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('other long commands and a second signal', () => {
  it('validate stops on SIGTERM with 143 and the run interrupted', async () => {
    const dir = await seededStore();
    execFileSync(process.execPath, [bin, '--local', dir, '--quiet', 'backfill', '--all'], { stdio: 'ignore' });
    const run = start(['--local', dir, '--quiet', 'validate', '--all', '--concurrency', '1'], dir);
    await waitFor('validate mid-run', () => {
      const row = latestRun(dir);
      return row && row.runId.startsWith('va-') && row.status === 'running' && (row.counts.usersDone ?? 0) >= 1;
    });
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(143);
    const row = latestRun(dir)!;
    expect(row.status).toBe('interrupted');
    expect(row.counts.usersDone).toBeLessThan(USERS);
  }, 60_000);

  it('import stops between batches on SIGINT (130), and the same import again completes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agg-signals-import-'));
    const [user] = [...generateUsers({ users: 1, records: 60_000, seed: 'signals-import' })];
    const file = join(dir, 'records.jsonl');
    writeFileSync(file, `${user!.records.map((record) => JSON.stringify(record)).join('\n')}\n`);
    const run = start(['--local', dir, '--quiet', 'import', file, '--user', 'big'], dir);
    await waitFor('the first batch stored', () => {
      try {
        return recordCount(dir, 'big') > 0;
      } catch {
        return false;
      }
    });
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(130);
    const partial = recordCount(dir, 'big');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(user!.records.length);
    expect(run.stderr()).toMatch(/agg: interrupted after [\d,]+ of [\d,]+ records; run the same import again to finish/);
    execFileSync(process.execPath, [bin, '--local', dir, '--quiet', 'import', file, '--user', 'big'], { stdio: 'ignore' });
    expect(recordCount(dir, 'big')).toBe(user!.records.length);
  }, 60_000);

  it('a second signal exits at once, without waiting for the work in progress', async () => {
    const dir = await seededStore();
    const run = start(['--local', dir, '--quiet', 'backfill', '--all', '--concurrency', '1'], dir);
    await waitFor('the run started', () => latestRun(dir)?.status === 'running');
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(130);
  }, 60_000);
});

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('progress on a terminal', () => {
  it.skipIf(!hasScript)('animates under a pseudo-terminal with done/total, rate and ETA while the run is in flight', async () => {
    const dir = await seededStore();
    const out = join(dir, 'terminal.txt');
    // script(1) gives the process a terminal; stty gives it a width, as a real one has.
    // CI=1 as a CI runner sets it: colour on a terminal is agg's rule, not the spinner library's.
    execFileSync('script', ['-qfec', `stty cols 80 rows 24; ${process.execPath} ${bin} --local ${dir} backfill --all --concurrency 1`, out], { stdio: 'ignore', timeout: 60_000, env: { ...process.env, CI: '1' } });
    const frames = execFileSync('cat', [out]).toString('utf8').split(/\r|\u001b\[[0-9;?]*[A-Za-z]/).filter((frame) => frame.includes('backfill all:'));
    const counts = new Set(frames.map((frame) => /(\d+)\/8 users/.exec(frame)?.[1]).filter(Boolean));
    expect(counts.size, frames.join('\n')).toBeGreaterThanOrEqual(3);
    expect(frames.some((frame) => /users\/s, ETA \d/.test(frame)), frames.slice(-8).join('\n')).toBe(true);
    // The spinner is cyan on a terminal, and plain under NO_COLOR.
    expect(execFileSync('cat', [out]).toString('utf8')).toContain('\u001b[36m');
    const plain = join(dir, 'no-color.txt');
    execFileSync('script', ['-qfec', `stty cols 80 rows 24; ${process.execPath} ${bin} --local ${dir} backfill --all --force --concurrency 1`, plain], { stdio: 'ignore', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    const text = execFileSync('cat', [plain]).toString('utf8');
    expect(text).toMatch(/backfill all: \d+\/8 users/);
    expect(text).not.toContain('\u001b[36m');
  }, 60_000);

  it.skipIf(!hasScript)('shows how far a single heavy user has got, on one line of an 80-column terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agg-heavy-'));
    const store = SqliteStore.open(dir);
    try {
      await store.putRecords({ userId: 'heavy', records: generateUser({ userId: 'heavy', records: 40_000, seed: 'heavy', years: 3 }), change: { changeId: 'seed', changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
    } finally {
      await store.close();
    }
    const out = join(dir, 'terminal.txt');
    execFileSync('script', ['-qfec', `stty cols 80 rows 24; ${process.execPath} ${bin} --local ${dir} backfill --user heavy`, out], { stdio: 'ignore', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    const frames = execFileSync('cat', [out]).toString('utf8').split(/\r|\n|\u001b\[[0-9;?]*[A-Za-z]/).filter((frame) => frame.includes('backfill users:heavy'));
    const reached = new Set(frames.map((frame) => /heavy: (\d+)\/180 results/.exec(frame)?.[1]).filter(Boolean));
    expect(reached.size, frames.join('\n')).toBeGreaterThanOrEqual(2);
    expect(Math.max(...frames.map((frame) => frame.length))).toBeLessThanOrEqual(80);
  }, 120_000);
});
