// `agg --url http://127.0.0.1:PORT --admin-key …` against a loopback deployment: the production path
// (ConvexHttpClient over HTTP) in-process, with every output captured so tests can search it for the key.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggSchema as schema } from '../../src/test.js';
import type { InputRecord } from '../../src/core/record.js';
import type { ConvexStore } from '../../src/store/convex/convex-store.js';
import { toStoredRecord } from '../../src/store/record-codec.js';
import { type CliRun, runAgg } from './cli.js';
import { makeConvexTestStore } from './convex-test-store.js';
import { type LoopbackConvex, type LoopbackOptions, startLoopbackConvex } from './loopback-convex.js';

export const TABLES = Object.keys((schema as unknown as { tables: Record<string, unknown> }).tables).sort();

/** How the deploy key reaches agg: the flag, the environment, or `.env.local` as the Convex CLI writes it. */
export type KeyVia = 'flag' | 'env' | 'dotenv';

export interface AggOptions {
  readonly now?: () => number;
  /** Per-call timeout (default 500ms: the loopback answers in milliseconds, and a stall costs a timeout). */
  readonly timeout?: string;
  readonly retries?: number;
  readonly keyVia?: KeyVia;
  /** Pass this key instead of the deployment's (a wrong one, to see it refused). */
  readonly adminKey?: string;
  readonly url?: string;
  readonly env?: Record<string, string>;
  readonly signal?: AbortSignal;
}

export interface SnapshotOptions {
  /** Tables left out. */
  readonly skip?: readonly string[];
  /** Fields left out wherever they occur (e.g. times taken from a clock the runs did not share). */
  readonly omit?: readonly string[];
}

export interface LoopbackHarness {
  readonly server: LoopbackConvex;
  readonly cwd: string;
  /** Every run's arguments and output, for the key-leak search. */
  readonly runs: Array<{ args: string[]; run: CliRun }>;
  agg(args: string[], options?: AggOptions): Promise<CliRun>;
  /** The same data through ConvexStore in-process (no HTTP, no faults), for setting up and checking. */
  store(): ConvexStore;
  /** Users with records, stats and an unprocessed change-log entry, inserted directly. */
  seedUsers(users: ReadonlyArray<{ userId: string; records: InputRecord[] }>, at?: string): Promise<void>;
  /** Every document of every table, without ids and with run-specific tokens masked (see normalize). */
  snapshot(options?: SnapshotOptions): Promise<Record<string, string[]>>;
  /** Every document of every table as stored, for searching. */
  rawDump(): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(options: LoopbackOptions = {}): Promise<LoopbackHarness> {
  const server = await startLoopbackConvex(options);
  const cwd = mkdtempSync(join(tmpdir(), 'agg-http-'));
  const runs: LoopbackHarness['runs'] = [];

  const dump = async (): Promise<Record<string, Array<Record<string, unknown>>>> => {
    const out: Record<string, Array<Record<string, unknown>>> = {};
    for (const table of TABLES) out[table] = (await server.t.run((ctx) => ctx.db.query(table as never).collect())) as Array<Record<string, unknown>>;
    return out;
  };

  return {
    server,
    cwd,
    runs,
    async agg(args, o = {}) {
      const key = o.adminKey ?? server.adminKey;
      const via = o.keyVia ?? 'flag';
      const env: Record<string, string> = { ...(o.env ?? {}) };
      if (via === 'env') env.CONVEX_DEPLOY_KEY = key;
      if (via === 'dotenv') writeFileSync(join(cwd, '.env.local'), `# written by the Convex CLI\nCONVEX_DEPLOY_KEY="${key}"\n`);
      const global = ['--url', o.url ?? server.url, ...(via === 'flag' ? ['--admin-key', key] : []), '--timeout', o.timeout ?? '500ms', ...(o.retries !== undefined ? ['--retries', String(o.retries)] : [])];
      const full = [...global, ...args];
      const run = await runAgg(full, { cwd, env, ...(o.now ? { now: o.now } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      runs.push({ args: full, run });
      return run;
    },
    store: () => makeConvexTestStore(server.t),
    async seedUsers(users, at = '2025-01-01T00:00:00.000Z') {
      await server.t.run(async (ctx) => {
        for (const { userId, records } of users) {
          const stored = records.map(toStoredRecord);
          for (const record of stored) await ctx.db.insert('watch_records', { userId, ...record });
          const dated = stored.map((r) => r.watchedAt).filter((w): w is string => w !== null).sort();
          await ctx.db.insert('user_stats', { userId, recordCount: stored.length, firstWatchedAt: dated[0] ?? null, lastWatchedAt: dated.at(-1) ?? null, lastChangeAt: at });
          await ctx.db.insert('data_change_log', { changeId: `seed:${userId}`, userId, changeType: 'import', recordCount: stored.length, changedAt: at, processed: false, processedAt: null });
        }
      });
    },
    async snapshot(o = {}) {
      const all = await dump();
      const out: Record<string, string[]> = {};
      for (const table of TABLES) {
        if (o.skip?.includes(table)) continue;
        out[table] = all[table]!.map((doc) => normalize(doc, { cwd, url: server.url, omit: o.omit ?? [] })).sort();
      }
      return out;
    },
    async rawDump() {
      return JSON.stringify(await dump());
    },
    close: () => server.close(),
  };
}

/**
 * One document as comparable text: no `_id`/`_creationTime`, no store-call counts (retries add calls)
 * or compute times, no hash of a file that names a random id,
 * and the tokens that differ between two otherwise identical runs masked: run ids, lease holders,
 * archive ids, audit event ids, the random tail of import change ids, the hash part of records
 * revisions (it folds in those change ids; the counter stays), the server's URL and the working directory.
 */
export function normalize(doc: Record<string, unknown>, context: { cwd: string; url: string; omit?: readonly string[] }): string {
  const { _id, _creationTime, ...rest } = doc;
  // manifestSha256 hashes manifest.json, which names the (random) archive id.
  const omit = new Set(['storeCalls', 'computeMs', 'manifestSha256', ...(context.omit ?? [])]);
  let text = JSON.stringify(rest, (key, value: unknown) => (omit.has(key) ? undefined : value));
  text = text.split(context.cwd).join('<cwd>').split(context.url).join('<url>');
  return text
    .replace(/\b(bf|va|cl|du|im|ar)-\d{8}-\d{6}-[0-9a-f]{6}\b/g, '<$1-run>')
    .replace(/<(bf|va)-run>@[0-9a-f]{8}/g, '<$1-run>@<holder>')
    .replace(/\barc-[0-9TZ]+-[0-9a-f]+\b/g, '<archive>')
    .replace(/\bevt-[0-9a-f-]{36}\b/g, '<event>')
    .replace(/(import:[^"]*?:\d{4}-\d\d-\d\dT[\d:.]+Z):[0-9a-f]{8}/g, '$1:<random>')
    .replace(/"(recordsRevision|revision)":"(\d+)\.[0-9a-f]{10}"/g, '"$1":"$2.<hash>"');
}

/** Searches everything captured for the key and its secret half; returns where each was found. */
export function keyLeaks(key: string, places: Record<string, string>): string[] {
  const secret = key.slice(key.indexOf('|') + 1);
  const leaks: string[] = [];
  for (const [where, text] of Object.entries(places)) {
    if (text.includes(key)) leaks.push(`${where}: the deploy key`);
    else if (secret.length >= 8 && text.includes(secret)) leaks.push(`${where}: the key's secret half`);
  }
  return leaks;
}

/** Everything a harness captured (every run's stdout and stderr, and every stored document). */
export async function capturedText(harness: LoopbackHarness): Promise<Record<string, string>> {
  const places: Record<string, string> = { store: await harness.rawDump() };
  harness.runs.forEach(({ run }, i) => {
    places[`run ${i + 1} stdout`] = run.stdout;
    places[`run ${i + 1} stderr`] = run.stderr;
  });
  return places;
}

/** Writes each user's records as a JSON Lines file in the harness's directory; returns the paths. */
export function writeUserFiles(harness: LoopbackHarness, users: ReadonlyArray<{ userId: string; records: InputRecord[] }>): Map<string, string> {
  const paths = new Map<string, string>();
  for (const { userId, records } of users) {
    const path = join(harness.cwd, `${userId}.jsonl`);
    writeFileSync(path, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
    paths.set(userId, path);
  }
  return paths;
}

/** What differs between two snapshots, briefly: per table, rows only on one side, shown where they diverge. */
export function snapshotDiff(actual: Record<string, string[]>, expected: Record<string, string[]>): string[] {
  const out: string[] = [];
  const commonPrefix = (a: string, b: string) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
  };
  for (const table of [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort()) {
    const a = actual[table] ?? [];
    const e = expected[table] ?? [];
    const expectedSet = new Set(e);
    const actualSet = new Set(a);
    const extra = a.filter((row) => !expectedSet.has(row));
    const missing = e.filter((row) => !actualSet.has(row));
    if (a.length !== e.length) out.push(`${table}: ${a.length} rows, expected ${e.length}`);
    for (const row of extra.slice(0, 3)) {
      // Show the unexpected row next to the most similar missing one, from where they part.
      const closest = missing.reduce<{ row: string; at: number } | null>((best, other) => {
        const at = commonPrefix(row, other);
        return best === null || at > best.at ? { row: other, at } : best;
      }, null);
      if (closest === null) out.push(`${table} unexpected: ${row.slice(0, 240)}`);
      else {
        const from = Math.max(0, closest.at - 60);
        out.push(`${table} differs at …${row.slice(from, closest.at + 120)}… (expected …${closest.row.slice(from, closest.at + 120)}…)`);
      }
    }
    if (extra.length === 0) for (const row of missing.slice(0, 3)) out.push(`${table} missing: ${row.slice(0, 240)}`);
  }
  return out;
}
