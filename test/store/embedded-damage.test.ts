// The embedded store notices a file that is not a store, a damaged one, and one deleted or replaced
// while it is open: it refuses or stops with a permanent StoreError naming the file, and never starts
// a new empty store over somebody's file.
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.js';
import { withRetry } from '../../src/store/retry.js';
import { sqliteStoreError } from '../../src/store/sqlite/sqlite-errors.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createStoreFile } from '../../src/store/sqlite/store-file.js';
import type { RunRecord } from '../../src/store/types.js';
import { seedUsers } from '../support/store-fixtures.js';

const PAGE = 4096;

function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'agg-damage-'));
}

/** A closed store with a few users (its log checkpointed into agg.db). */
async function realStore(): Promise<string> {
  const dir = emptyDir();
  const store = SqliteStore.open(dir);
  await seedUsers(store, 3, 200, 'damage');
  await store.close();
  return dir;
}

function openError(dir: string, options: { mustExist?: boolean } = {}): StoreError {
  try {
    SqliteStore.open(dir, options).close();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('the store opened');
}

const run = (runId: string): RunRecord => ({
  runId,
  command: 'backfill',
  args: [],
  target: 'all',
  startedAt: '2025-07-01T00:00:00.000Z',
  finishedAt: null,
  status: 'running',
  counts: {},
  checkpoint: null,
  heartbeatAt: '2025-07-01T00:00:00.000Z',
});

describe('opening an embedded store', () => {
  it.each([false, true])('refuses a 0-byte agg.db, naming it, and leaves it as it was (mustExist %s)', (mustExist) => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'agg.db'), '');
    const error = openError(dir, { mustExist });
    expect(error.kind).toBe('permanent');
    expect(error.message).toBe(
      `the embedded store ${join(dir, 'agg.db')} is empty (0 bytes), not an SQLite database; agg will not start a new store over it: restore it from a backup (archived rows come back with agg archive --restore), or move it away to start afresh`,
    );
    expect(statSync(join(dir, 'agg.db')).size).toBe(0);
    expect(readdirSync(dir)).toEqual(['agg.db']);
  });

  it('refuses a text file named agg.db and never writes to it', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'agg.db'), 'my notes, not a database\n');
    expect(openError(dir).message).toMatch(new RegExp(`^the embedded store ${join(dir, 'agg.db')} is a file of 25 bytes, not an SQLite database; `));
    expect(readFileSync(join(dir, 'agg.db'), 'utf8')).toBe('my notes, not a database\n');
    expect(readdirSync(dir)).toEqual(['agg.db']);
  });

  it('refuses a store with a corrupted page (PRAGMA quick_check), suggesting a restore', async () => {
    const dir = await realStore();
    const path = join(dir, 'agg.db');
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(3 * PAGE);
    bytes.fill(0xa5, PAGE, 2 * PAGE);
    writeFileSync(path, bytes);
    for (const mustExist of [false, true]) {
      const error = openError(dir, { mustExist });
      expect(error.kind).toBe('permanent');
      expect(error.message).toMatch(new RegExp(`^the embedded store ${path} is damaged \\(PRAGMA quick_check: .+\\); restore it from a backup \\(archived rows come back with agg archive --restore\\)$`));
    }
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('refuses a store whose agg_runs table was dropped', async () => {
    const dir = await realStore();
    const db = new Database(join(dir, 'agg.db'));
    db.exec('DROP TABLE agg_runs');
    db.close();
    expect(openError(dir).message).toBe(
      `the embedded store ${join(dir, 'agg.db')} is damaged (its table agg_runs is missing); restore it from a backup (archived rows come back with agg archive --restore)`,
    );
  });

  it('creates a missing store whole: no empty file is ever at its path, and no building file stays behind', async () => {
    const dir = emptyDir();
    const store = SqliteStore.open(dir);
    await store.putRun(run('r1'));
    await store.close();
    expect(readdirSync(dir)).toEqual(['agg.db']);
    expect(readFileSync(join(dir, 'agg.db')).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
  });

  it('keeps the store another process created first, and drops its own', () => {
    const dir = emptyDir();
    const path = join(dir, 'agg.db');
    createStoreFile(path, (db) => {
      db.exec('CREATE TABLE mine (x)');
      // Meanwhile another process links its store into place.
      createStoreFile(path, (other) => other.exec('CREATE TABLE theirs (x)'));
    });
    const db = new Database(path, { readonly: true });
    expect((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((row) => row.name)).toEqual(['theirs']);
    db.close();
    expect(readdirSync(dir)).toEqual(['agg.db']);
  });
});

describe('an open embedded store', () => {
  it.each([
    ['deleted', (path: string) => rmSync(path)],
    ['deleted with its directory (rm -rf .agg)', (path: string) => rmSync(join(path, '..'), { recursive: true })],
    ['replaced by another file', (path: string) => (writeFileSync(`${path}.other`, readFileSync(path)), renameSync(`${path}.other`, path))],
    ['truncated', (path: string) => truncateSync(path, 0)],
    ['left without its write-ahead log', (path: string) => rmSync(`${path}-wal`)],
  ])('fails every later call permanently once its file was %s', async (_how, damage) => {
    const dir = await realStore();
    const path = join(dir, 'agg.db');
    const store = SqliteStore.open(dir);
    await store.putRun(run('before'));
    damage(path);
    const message = `the embedded store ${path} was deleted or replaced while agg was using it; nothing more was written`;
    await expect(store.putRun(run('after'))).rejects.toThrow(message);
    await expect(store.listUsers({ cursor: null })).rejects.toMatchObject({ message, kind: 'permanent', scope: 'store' });
    await expect(store.maintenance.listArchiveManifests()).rejects.toThrow(message);
    await store.close();
    if (existsSync(path) && statSync(path).size > 0) {
      const reopened = SqliteStore.open(dir);
      expect((await reopened.listRuns(10)).map((r) => r.runId)).not.toContain('after');
      await reopened.close();
    }
  });

  it('turns a table dropped while it is open into a permanent "damaged" error naming the file', async () => {
    const dir = await realStore();
    const store = SqliteStore.open(dir);
    const other = new Database(join(dir, 'agg.db'));
    other.exec('DROP TABLE agg_runs');
    other.close();
    await expect(store.putRun(run('r1'))).rejects.toMatchObject({
      kind: 'permanent',
      scope: 'store',
      message: `the embedded store ${join(dir, 'agg.db')} is damaged (its table agg_runs is missing); restore it from a backup (archived rows come back with agg archive --restore)`,
    });
    await store.close();
  });
});

describe("SQLite's failures as StoreErrors", () => {
  it('calls a corrupt page that a query reads a permanent "damaged" error', async () => {
    const dir = await realStore();
    const path = join(dir, 'agg.db');
    const bytes = readFileSync(path);
    bytes.fill(0xa5, PAGE, 2 * PAGE);
    writeFileSync(path, bytes);
    // Past agg's checks on open: a query that reads the page fails as better-sqlite3 fails it.
    const db = new Database(path);
    let raw: unknown = null;
    try {
      db.prepare('SELECT body FROM watch_records').all();
    } catch (error) {
      raw = error;
    }
    db.close();
    expect((raw as { code?: string }).code).toMatch(/^SQLITE_CORRUPT/);
    const mapped = sqliteStoreError(raw, path);
    expect(mapped).toMatchObject({ kind: 'permanent', scope: 'store' });
    expect(mapped!.message).toMatch(new RegExp(`^the embedded store ${path} is damaged \\(database disk image is malformed\\); restore it from a backup`));
  });

  it.each(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED', 'SQLITE_LOCKED_SHAREDCACHE'])('calls %s transient', (code) => {
    const error = Object.assign(new Error('database is locked'), { code });
    expect(sqliteStoreError(error, '/x/agg.db')).toMatchObject({ kind: 'transient', message: `the embedded store /x/agg.db is busy: another agg process is writing to it (${code})` });
  });

  it('calls SQLITE_NOTADB damaged, SQLITE_READONLY_DBMOVED lost, and passes a bug in agg on as it is', () => {
    expect(sqliteStoreError(Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' }), '/x/agg.db')!.message).toMatch(/^the embedded store \/x\/agg\.db is damaged \(file is not a database\)/);
    expect(sqliteStoreError(Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY_DBMOVED' }), '/x/agg.db')!.message).toMatch(/was deleted or replaced while agg was using it/);
    expect(sqliteStoreError(Object.assign(new Error('near "SELEC": syntax error'), { code: 'SQLITE_ERROR' }), '/x/agg.db')).toBeNull();
    expect(sqliteStoreError(new TypeError('x is undefined'), '/x/agg.db')).toBeNull();
  });

  it('retries a busy store under the policy, and gives up as a permanent error after its attempts', async () => {
    const waits: number[] = [];
    const policy = { attempts: 3, baseDelayMs: 100, maxDelayMs: 150, random: () => 0.999, sleep: async (ms: number) => void waits.push(ms) };
    let calls = 0;
    const busy = () => {
      calls++;
      throw sqliteStoreError(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }), '/x/agg.db')!;
    };
    await expect(withRetry(busy, policy)).rejects.toMatchObject({ kind: 'permanent', message: expect.stringMatching(/is busy: .* \(gave up after 3 attempts\)$/) as unknown });
    expect(calls).toBe(3);
    // Exponential, capped, jittered below the cap.
    expect(waits).toEqual([99, 149]);
  });
});

describe('a busy embedded store', () => {
  it('waits for another connection\'s write lock under the retry policy, and gives up after its attempts', async () => {
    const dir = await realStore();
    const other = new Database(join(dir, 'agg.db'));
    other.exec('BEGIN IMMEDIATE');
    let sleeps = 0;
    const releasing = {
      attempts: 4,
      baseDelayMs: 1,
      maxDelayMs: 1,
      random: () => 0,
      // The other writer commits while the second retry waits.
      sleep: async () => {
        if (++sleeps === 2) other.exec('COMMIT');
      },
    };
    const store = SqliteStore.open(dir, { retry: releasing, busyTimeoutMs: 20 });
    await store.putRun(run('after-the-lock'));
    expect(store.stats).toEqual({ calls: 3, retries: 2 });
    expect((await store.getRun('after-the-lock'))?.runId).toBe('after-the-lock');
    await store.close();

    other.exec('BEGIN IMMEDIATE');
    const once = SqliteStore.open(dir, { retry: { ...releasing, attempts: 1 }, busyTimeoutMs: 20 });
    await expect(once.putRun(run('never'))).rejects.toMatchObject({
      kind: 'permanent',
      message: `the embedded store ${join(dir, 'agg.db')} is busy: another agg process is writing to it (SQLITE_BUSY) (gave up after 1 attempt)`,
    });
    await once.close();
    other.exec('ROLLBACK');
    other.close();
  });
});

/** Each `.transaction(` call in `source` with what follows its closing parenthesis (strings and comments skipped). */
function transactionCalls(source: string): string[] {
  const calls: string[] = [];
  for (let at = source.indexOf('.transaction('); at >= 0; at = source.indexOf('.transaction(', at + 1)) {
    let i = at + '.transaction('.length;
    for (let depth = 1; depth > 0; i++) {
      const c = source[i]!;
      if (c === "'" || c === '"' || c === '`') {
        for (i++; source[i] !== c; i++) if (source[i] === '\\') i++;
      } else if (c === '/' && source[i + 1] === '/') {
        i = source.indexOf('\n', i);
      } else if (c === '(') depth++;
      else if (c === ')') depth--;
    }
    calls.push(source.slice(i, i + 12));
  }
  return calls;
}

it('begins every transaction of the embedded store IMMEDIATE (a deferred one fails, not waits, when it turns writer)', () => {
  const dir = fileURLToPath(new URL('../../src/store/sqlite/', import.meta.url));
  const calls = readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) => transactionCalls(readFileSync(join(dir, name), 'utf8')).map((after) => `${name}: ${after}`));
  expect(transactionCalls("db.transaction(() => run(`VALUES (?)`, ')'))(); db.transaction(f).immediate()")).toEqual(['(); db.trans', '.immediate()']);
  expect(calls.length).toBeGreaterThanOrEqual(15);
  expect(calls.filter((call) => !call.includes(': .immediate()'))).toEqual([]);
});
