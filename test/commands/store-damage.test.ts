// A run whose embedded store is deleted or damaged under it ends with exit 3 and one line naming the
// file, never `succeeded`; and it says "progress saved" only when the ledger's last write went through.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { builtCli } from '../support/built-cli.js';
import { runAgg } from '../support/cli.js';
import { seedUsers } from '../support/store-fixtures.js';

async function seededDir(users: number, records: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'agg-store-damage-'));
  const store = SqliteStore.open(dir);
  try {
    await seedUsers(store, users, records, 'store-damage');
  } finally {
    await store.close();
  }
  return dir;
}

/** The store in `dir`, where `beforeWrite(n)` runs before the n-th upsertAggregations call goes through. */
function interceptingStore(dir: string, beforeWrite: (call: number) => void): Store {
  const store = SqliteStore.open(dir);
  let calls = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'upsertAggregations' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        beforeWrite(++calls);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const removeStoreFiles = (dir: string) => {
  for (const name of ['agg.db', 'agg.db-wal', 'agg.db-shm']) rmSync(join(dir, name), { force: true });
};

const lostLine = (dir: string) => `agg: the embedded store ${join(dir, 'agg.db')} was deleted or replaced while agg was using it; nothing more was written\n`;

describe('a backfill whose embedded store goes away or breaks mid-run', () => {
  it('stops with exit 3 and one line when the files are deleted, and claims no saved progress', async () => {
    const dir = await seededDir(12, 80);
    const run = await runAgg(['backfill', '--all', '--quiet', '--concurrency', '2'], {
      openStore: () => interceptingStore(dir, (call) => call === 4 && removeStoreFiles(dir)),
    });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toBe(lostLine(dir));
    expect(run.stdout).not.toMatch(/succeeded/);
    // Nothing came back into being, and nothing pretends the store is an empty one.
    expect(existsSync(join(dir, 'agg.db'))).toBe(false);
    const users = await runAgg(['--local', dir, 'users', '--json']);
    expect(users.code).toBe(2);
    expect(users.stdout).toBe('');
  });

  it('says the store is damaged when a table disappears mid-run, without claiming saved progress', async () => {
    const dir = await seededDir(12, 80);
    const run = await runAgg(['backfill', '--all', '--quiet', '--concurrency', '2'], {
      openStore: () =>
        interceptingStore(dir, (call) => {
          if (call !== 3) return;
          const other = new Database(join(dir, 'agg.db'));
          other.exec('DROP TABLE agg_runs');
          other.close();
        }),
    });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toBe(
      `agg: the embedded store ${join(dir, 'agg.db')} is damaged (its table agg_runs is missing); restore it from a backup (archived rows come back with agg archive --restore)\n`,
    );
  });

  it('does say "progress saved" when the ledger still took the final write', async () => {
    const dir = await seededDir(6, 60);
    const run = await runAgg(['backfill', '--all', '--quiet', '--concurrency', '1'], {
      openStore: () =>
        interceptingStore(dir, (call) => {
          if (call === 3) throw new StoreError('the deployment refused the write (a store-wide failure)', 'permanent');
        }),
    });
    expect(run.code, run.stderr).toBe(3);
    const [ran] = await (async () => {
      const store = SqliteStore.open(dir);
      try {
        return await store.listRuns(1);
      } finally {
        await store.close();
      }
    })();
    expect(ran).toMatchObject({ status: 'failed', counts: expect.objectContaining({ usersDone: 2 }) as unknown });
    expect(run.stderr).toBe(`agg: the deployment refused the write (a store-wide failure) (progress saved: agg backfill --resume ${ran!.runId})\n`);
  });
});

describe('a real agg process whose store is removed (rm .agg/agg.db*) while it runs', () => {
  let bin = '';
  beforeAll(() => {
    bin = builtCli();
  }, 200_000);

  /** usersDone of the run in the ledger, once there is one (read without disturbing the writer). */
  function usersDone(dir: string): number {
    try {
      const db = new Database(join(dir, 'agg.db'), { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare('SELECT counts FROM agg_runs LIMIT 1').get() as { counts: string } | undefined;
        return row ? ((JSON.parse(row.counts) as { usersDone?: number }).usersDone ?? 0) : 0;
      } finally {
        db.close();
      }
    } catch {
      return 0;
    }
  }

  it('exits 3 with the one line, never succeeded', async () => {
    const dir = await seededDir(80, 300);
    const child = spawn(process.execPath, [bin, '--local', dir, '--quiet', 'backfill', '--all', '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let running = true;
    void exited.then(() => (running = false));
    while (running && usersDone(dir) < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(running, `the run ended before the store was removed: ${stderr}`).toBe(true);
    removeStoreFiles(dir);
    const code = await exited;
    expect(stderr).toBe(lostLine(dir));
    expect(code).toBe(3);
    expect(stdout).not.toMatch(/succeeded/);
  }, 60_000);
});
