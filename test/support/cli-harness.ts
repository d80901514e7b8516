import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toStoredRecord } from '../../src/store/record-codec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { InputRecord } from '../../src/core/record.js';
import type { Store } from '../../src/store/store.js';
import { type CliRun, runAgg } from './cli.js';
import { type TestConvex, makeConvexTestStore, makeTestConvex } from './convex-test-store.js';

/** One store behind `agg` in tests: the embedded store in a temporary directory, or ConvexStore on convex-test. */
export interface CliHarness {
  readonly kind: 'sqlite' | 'convex';
  /** The working directory commands run in (archives default to ./archive under it). */
  readonly cwd: string;
  /** Runs `agg <args>` against this store. */
  run(args: string[], options?: { now?: () => number; env?: Record<string, string | undefined>; wrap?: (store: Store) => Store }): Promise<CliRun>;
  /** A store over the same data, for setting up and checking; close it when done. */
  open(): Store;
  /** Users with a few records each, loaded fast. */
  seedUsers(users: ReadonlyArray<{ userId: string; records: InputRecord[] }>): Promise<void>;
  /** convex-test's handle (Convex only), for the app's public functions. */
  readonly t: TestConvex | null;
}

/** The deployment the Convex harness's runs name: a development one, so no --prod is needed. */
const TEST_DEPLOYMENT_ENV = { CONVEX_URL: 'https://agg-harness-123.convex.cloud', CONVEX_DEPLOY_KEY: 'dev:agg-harness-123|harness-test-key' } as const;

export const HARNESSES: ReadonlyArray<[string, () => CliHarness]> = [
  [
    'embedded store',
    () => {
      const cwd = mkdtempSync(join(tmpdir(), 'agg-cli-'));
      const dir = join(cwd, '.agg');
      return {
        kind: 'sqlite',
        cwd,
        t: null,
        run: (args, options = {}) =>
          runAgg(args, {
            cwd,
            env: options.env ?? {},
            ...(options.now ? { now: options.now } : {}),
            // Resolution finds ./.agg in the working directory, as it would for a user.
            openStore: (target) => {
              if (target.kind !== 'sqlite' || target.dir !== dir) throw new Error(`the CLI resolved ${JSON.stringify(target)}, not the embedded store in ${dir}`);
              return options.wrap ? options.wrap(SqliteStore.open(target.dir)) : SqliteStore.open(target.dir);
            },
          }),
        open: () => SqliteStore.open(dir),
        seedUsers: async (users) => {
          const store = SqliteStore.open(dir);
          for (const { userId, records } of users) await store.putRecords({ userId, records, change: { changeId: `seed:${userId}`, changeType: 'import', at: '2025-01-01T00:00:00.000Z' } });
          await store.close();
        },
      };
    },
  ],
  [
    'ConvexStore on convex-test',
    () => {
      const cwd = mkdtempSync(join(tmpdir(), 'agg-cli-'));
      const t = makeTestConvex();
      return {
        kind: 'convex',
        cwd,
        t,
        run: (args, options = {}) =>
          runAgg(args, {
            cwd,
            // A development deployment, named as a team's CI names it; only the transport is convex-test.
            env: { ...TEST_DEPLOYMENT_ENV, ...options.env },
            ...(options.now ? { now: options.now } : {}),
            openStore: (target) => {
              if (target.kind !== 'convex' || target.url !== TEST_DEPLOYMENT_ENV.CONVEX_URL) throw new Error(`the CLI resolved ${JSON.stringify({ ...target, adminKey: undefined })}, not ${TEST_DEPLOYMENT_ENV.CONVEX_URL}`);
              return options.wrap ? options.wrap(makeConvexTestStore(t)) : makeConvexTestStore(t);
            },
          }),
        open: () => makeConvexTestStore(t),
        // Raw inserts (plus exact stats and a change-log entry, as putRecords writes them): convex-test
        // answers each keyed lookup by scanning its table.
        seedUsers: async (users) => {
          await t.run(async (ctx) => {
            for (const { userId, records } of users) {
              const stored = records.map(toStoredRecord);
              for (const record of stored) await ctx.db.insert('watch_records', { userId, ...record });
              const dated = stored.map((r) => r.watchedAt).filter((w): w is string => w !== null).sort();
              if (stored.length > 0) {
                await ctx.db.insert('user_stats', {
                  userId,
                  recordCount: stored.length,
                  firstWatchedAt: dated[0] ?? null,
                  lastWatchedAt: dated.at(-1) ?? null,
                  lastChangeAt: '2025-01-01T00:00:00.000Z',
                });
                await ctx.db.insert('data_change_log', {
                  changeId: `seed:${userId}`,
                  userId,
                  changeType: 'import',
                  recordCount: stored.length,
                  changedAt: '2025-01-01T00:00:00.000Z',
                  processed: false,
                  processedAt: null,
                });
              }
            }
          });
        },
      };
    },
  ],
];

/** Parses the one JSON document a --json run prints. */
export function jsonOf<T = Record<string, unknown>>(run: CliRun): T {
  if (run.stdout.trimEnd().includes('\n')) throw new Error(`expected one JSON line, got:\n${run.stdout}\n${run.stderr}`);
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}
