// Several agg processes on one embedded store at once, as cron jobs and an operator produce them: each
// must wait its turn for the write lock (WAL, busy_timeout, BEGIN IMMEDIATE, the one retry policy),
// never fail with "database is locked", and together they must leave exactly the state that the same
// commands leave one after the other.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { generateUsers } from '../../fixtures/generator.js';
import { builtCli } from '../support/built-cli.js';
import { runAgg } from '../support/cli.js';
import { seedUsers } from '../support/store-fixtures.js';

const USERS = 12;
const ORPHANED = 4;
const RECORDS = 300;
/** The import's batches (2,000 records) each re-read 1,900 known records before writing new ones. */
const IMPORTED = [...generateUsers({ users: 1, records: 11_000, seed: 'concurrent-import' })][0]!.records;

interface Scenario {
  readonly name: string;
  /** Seeds the store beyond the USERS + ORPHANED seeded users. */
  prepare(dir: string, users: readonly string[]): Promise<void>;
  /** The commands that run at once (after `agg --local DIR --quiet`). */
  commands(dir: string, users: readonly string[]): string[][];
}

const backfillUsers = (users: readonly string[]) => ['backfill', '--user', ...users.slice(0, USERS)];

/** The import's user already has most of the file: each batch of 2,000 re-reads 1,900 records, then writes. */
async function seedImport(dir: string): Promise<void> {
  const store = SqliteStore.open(dir);
  try {
    const known = IMPORTED.filter((_, i) => i % 2000 < 1900);
    await store.putRecords({ userId: 'imported', records: known, change: { changeId: 'seed:imported', changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
  } finally {
    await store.close();
  }
  writeFileSync(join(dir, 'import.jsonl'), `${IMPORTED.map((record) => JSON.stringify(record)).join('\n')}\n`);
}

/** Users whose records are gone after a backfill: their aggregations are orphans for a cleanup to delete. */
async function seedOrphans(dir: string, orphaned: readonly string[]): Promise<void> {
  const backfilled = await runAgg(['--local', dir, '--quiet', 'backfill', '--user', ...orphaned], { now: Date.now });
  expect(backfilled.code, backfilled.stderr).toBe(0);
  const store = SqliteStore.open(dir);
  try {
    for (const userId of orphaned) {
      const ids: string[] = [];
      for (let cursor: string | null = null; ; ) {
        const page = await store.pageRecords(userId, { cursor });
        ids.push(...page.items.map((record) => record.id));
        if (page.isDone) break;
        cursor = page.cursor;
      }
      await store.deleteRecords(userId, ids, { changeId: `gone:${userId}`, changeType: 'delete', at: '2025-06-02T00:00:00.000Z' });
    }
  } finally {
    await store.close();
  }
}

const SCENARIOS: Scenario[] = [
  {
    // The case. Before BEGIN IMMEDIATE and the one retry policy this failed 4 runs in 4: a
    // command ended with "database is locked" (exit 70) or SQLITE_BUSY (exit 3).
    name: 'a backfill, an import and a cleanup',
    async prepare(dir, users) {
      await seedImport(dir);
      await seedOrphans(dir, users.slice(USERS));
    },
    // Not the change log: which entries a backfill has marked processed when the cleanup looks depends
    // on the order, so its deletions there legitimately differ from a sequential run's.
    commands: (dir, users) => [backfillUsers(users), ['import', join(dir, 'import.jsonl'), '--user', 'imported'], ['cleanup', '--expired', '--orphans', '--runs', '90', '--batch-size', '5']],
  },
  {
    name: 'two backfills of the same users with --force-lease',
    async prepare() {},
    commands: (_dir, users) => [
      [...backfillUsers(users), '--force-lease'],
      [...backfillUsers(users), '--force-lease'],
    ],
  },
];

async function seededStore(scenario: Scenario): Promise<{ dir: string; users: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'agg-concurrent-'));
  const store = SqliteStore.open(dir);
  let users: string[];
  try {
    users = [...(await seedUsers(store, USERS + ORPHANED, RECORDS, 'concurrent')).keys()];
  } finally {
    await store.close();
  }
  await scenario.prepare(dir, users);
  return { dir, users };
}

/** Every row that does not depend on the clock or on timing (run ids, computedAt, change stamps). */
function storeState(dir: string): Record<string, string[]> {
  const db = new Database(join(dir, 'agg.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = (sql: string) => (db.prepare(sql).raw().all() as unknown[][]).map((row) => JSON.stringify(row));
    return {
      records: rows('SELECT user_id, record_id, watched_at, body FROM watch_records ORDER BY user_id, record_id'),
      users: rows('SELECT user_id, record_count, first_watched_at, last_watched_at FROM user_stats ORDER BY user_id'),
      aggregations: rows('SELECT user_id, aggregation_type, filter_hash, version, data_hash, as_of, time_zone, record_count, bytes FROM precomputed_aggregations ORDER BY 1, 2, 3'),
      changes: rows('SELECT user_id, change_type, record_count, processed FROM data_change_log ORDER BY 1, 2, 3, 4'),
      combinations: rows('SELECT user_id, filter_hash, usage_count FROM filter_combinations ORDER BY 1, 2'),
      runs: rows('SELECT command, status FROM agg_runs ORDER BY 1, 2'),
      leases: rows('SELECT name FROM agg_leases ORDER BY 1'),
    };
  } finally {
    db.close();
  }
}

describe('agg processes at once on one embedded store', () => {
  let bin = '';
  beforeAll(() => {
    // The processes run from dist/: built from the current sources (once, whichever file asks first).
    bin = builtCli();
  }, 200_000);

  function agg(dir: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, '--local', dir, '--quiet', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  }

  it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s: all exit 0, none is locked out, the end state is that of a sequential run', async (_name, scenario) => {
    const concurrent = await seededStore(scenario);
    const sequential = await seededStore(scenario);
    const commands = scenario.commands(concurrent.dir, concurrent.users);

    const runs = await Promise.all(commands.map((args) => agg(concurrent.dir, args)));
    runs.forEach((run, i) => {
      const what = `agg ${commands[i]!.join(' ')}: ${run.stderr}`;
      expect(run.stderr, what).not.toMatch(/database is locked|SQLITE_BUSY|is busy|unexpected error/);
      expect(run.code, what).toBe(0);
    });

    for (const args of scenario.commands(sequential.dir, sequential.users)) {
      const run = await runAgg(['--local', sequential.dir, '--quiet', ...args], { now: Date.now });
      expect(run.code, run.stderr).toBe(0);
    }
    const state = storeState(concurrent.dir);
    const expected = storeState(sequential.dir);
    for (const table of Object.keys(expected)) expect(state[table], table).toEqual(expected[table]);
    expect(state.runs.every((row) => row.endsWith(',"succeeded"]'))).toBe(true);
    expect(state.leases).toEqual([]);

    const validated = await runAgg(['--local', concurrent.dir, '--quiet', 'validate'], { now: Date.now });
    expect(validated.code, `${validated.stderr}\n${validated.stdout}`).toBe(0);
  }, 60_000);
});
