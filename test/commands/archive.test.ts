import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runArchive, selectionOf } from '../../src/archive/archiver.js';
import { LocalDirectoryDestination } from '../../src/archive/destination.js';
import { MANIFEST_FILE, type Manifest, decodeChunk, keyText, rowKey, rowLine } from '../../src/archive/format.js';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_FILTERS, canonicalFilters, filterHash } from '../../src/core/filters.js';
import { sha256Hex } from '../../src/core/hash/sha256.js';
import { type JsonValue, canonicalJson } from '../../src/core/json.js';
import type { InputRecord } from '../../src/core/record.js';
import { toAggregationWrite } from '../../src/store/aggregation-write.js';
import { ARCHIVE_TABLES, type ArchiveRow, type ArchiveTable } from '../../src/store/maintenance.js';
import { toStoredRecord } from '../../src/store/record-codec.js';
import type { RunRecord, StoredAggregation } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import { Random } from '../../fixtures/random.js';
import { type CliHarness, HARNESSES, jsonOf } from '../support/cli-harness.js';
import { runAgg } from '../support/cli.js';
import { assertDocumentLimits, losingCaller, makeConvexTestStore } from '../support/convex-test-store.js';
import { faultyStore } from '../support/faulty-store.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const MINUTE = 60_000;
const USERS = ['u1', 'u2', 'u3'];

function recordsOf(userId: string): InputRecord[] {
  const old = Array.from({ length: 4 }, (_, i) => ({ id: `${userId}-old-${i}`, watchedAt: `2023-0${i + 1}-15T12:00:00.000Z`, videoTitle: `Old ${i}`, channelTitle: 'Alpha', topics: ['Music'] }));
  const recent = Array.from({ length: 3 }, (_, i) => ({ id: `${userId}-new-${i}`, watchedAt: `2025-06-0${i + 1}T12:00:00.000Z`, videoTitle: `New ${i}`, channelTitle: 'Beta', product: 'YouTube Music' as const }));
  return [...old, ...recent, { id: `${userId}-undated`, watchedAt: null, videoTitle: 'Undated' }];
}

function run(runId: string, finishedAt: string | null): RunRecord {
  return { runId, command: 'backfill', args: ['--all'], target: 'all', startedAt: '2023-12-31T00:00:00.000Z', finishedAt, status: finishedAt ? 'succeeded' : 'running', counts: { users: 3 }, checkpoint: { done: ['u1'] }, heartbeatAt: '2023-12-31T00:00:00.000Z' };
}

/** A synthetic result larger than one Convex document, stored in chunks there. */
function bigAggregation(userId: string): StoredAggregation {
  const data: JsonValue = Array.from({ length: 9000 }, (_, i) => ({ i, text: `session ${i} ${'y'.repeat(100)}` }));
  const json = canonicalJson(data);
  return {
    userId,
    aggregationType: 'session_analysis',
    filterHash: filterHash(canonicalFilters({ timeframe: 'YTD' })),
    version: 1,
    dataHash: sha256Hex(json),
    asOf: '2025-01-01T00:00:00.000Z',
    timeZone: 'UTC',
    computedAt: '2025-01-01T00:00:00.000Z',
    expiresAt: '2025-01-01T02:00:00.000Z',
    metadata: { recordCount: 8, computeMs: 3.5, bytes: Buffer.byteLength(json) },
    filters: canonicalFilters({ timeframe: 'YTD' }),
    data,
  };
}

/** Users with old and new records, expired and fresh aggregations, processed and pending change-log entries, old and new runs. */
async function seed(harness: CliHarness, options: { big?: boolean; rowsPerChunk?: number } = {}): Promise<void> {
  await harness.seedUsers(USERS.map((userId) => ({ userId, records: recordsOf(userId) })));
  const store = harness.open();
  try {
    for (const userId of USERS) {
      const { results } = computeAggregations({ records: recordsOf(userId), context: { asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC' }, filterSets: [DEFAULT_FILTERS], types: ['kpi', 'top_channels', 'monthly_trend'] });
      // u3's results are fresh; the others expired in January.
      const computedAtMs = userId === 'u3' ? NOW - MINUTE : Date.parse('2025-01-01T00:00:00.000Z');
      await store.upsertAggregations(results.map((r) => toAggregationWrite(r, { userId, asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC', computedAtMs, ttlMs: 3_600_000, recordCount: 8, computeMs: 2 })));
    }
    if (options.big) await store.maintenance.restoreArchivedRows('precomputed_aggregations', [bigAggregation('u1')], { manifestId: 'seed', at: '2025-01-01T00:00:00.000Z' });
    await store.markChangesProcessed('u1', [{ changeId: 'seed:u1', changedAt: '2025-01-01T00:00:00.000Z' }], '2025-01-02T00:00:00.000Z');
    await store.markChangesProcessed('u2', [{ changeId: 'seed:u2', changedAt: '2025-01-01T00:00:00.000Z' }], '2025-01-02T00:00:00.000Z');
    for (const r of [run('r1', '2024-01-01T00:00:00.000Z'), run('r2', '2024-02-01T00:00:00.000Z'), run('r3', null), run('r4', '2025-06-01T00:00:00.000Z')]) await store.putRun(r);
  } finally {
    await store.close();
  }
  writeFileSync(join(harness.cwd, 'agg.config.json'), JSON.stringify({ archive: { retention: { watch_records: '365d' }, rowsPerChunk: options.rowsPerChunk ?? 3 } }));
}

/** Every row of the four archivable tables, as its archive line, keyed by table and key. */
async function snapshot(store: Store): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const put = (table: ArchiveTable, row: ArchiveRow) => out.set(`${table}:${keyText(rowKey(table, row))}`, rowLine(row));
  for (const userId of USERS) {
    let cursor: string | null = null;
    for (;;) {
      const page = await store.pageRecords(userId, { cursor });
      for (const record of page.items) put('watch_records', { userId, ...toStoredRecord(record) });
      if (page.isDone) break;
      cursor = page.cursor;
    }
    for (const digest of await store.listDigests(userId)) put('precomputed_aggregations', (await store.readAggregation(digest))!);
    for (const entry of await store.listChanges(userId)) put('data_change_log', entry);
  }
  // Archive's own ledger rows (one per archive or restore run, after the data was set up) are left out.
  for (const r of await store.listRuns(100)) if (r.command !== 'archive') put('agg_runs', r);
  return out;
}

/** Is this original row one the archive should take (config above, clock at NOW)? */
function eligible(key: string, line: string): boolean {
  const row = JSON.parse(line) as Record<string, unknown>;
  if (key.startsWith('watch_records:')) return typeof row.watchedAt === 'string' && row.watchedAt < '2024-07-01';
  if (key.startsWith('precomputed_aggregations:')) return (row.expiresAt as string) < '2025-06-01';
  if (key.startsWith('data_change_log:')) return row.processed === true && (row.changedAt as string) < '2025-04-02';
  return row.finishedAt !== null && (row.finishedAt as string) < '2025-01-02';
}

/** Rows in complete archives on disk (status `deleted` in the store), with how often each appears. */
async function archivedRows(harness: CliHarness, store: Store): Promise<Map<string, { line: string; count: number }>> {
  const out = new Map<string, { line: string; count: number }>();
  const root = join(harness.cwd, 'archive');
  for (const row of await store.maintenance.listArchiveManifests()) {
    if (row.status !== 'deleted') continue;
    const manifest = JSON.parse(readFileSync(join(root, row.manifestId, MANIFEST_FILE), 'utf8')) as Manifest;
    for (const entry of manifest.chunks) {
      const decoded = decodeChunk(entry, readFileSync(join(root, row.manifestId, entry.file)));
      if ('problem' in decoded) throw new Error(decoded.problem);
      for (const r of decoded.rows) {
        const key = `${entry.table}:${keyText(rowKey(entry.table, r))}`;
        const seen = out.get(key);
        out.set(key, { line: rowLine(r), count: (seen?.count ?? 0) + 1 });
      }
    }
  }
  return out;
}

/** The invariants after any sequence of crashes and a final clean run. */
async function expectSafe(harness: CliHarness, original: Map<string, string>): Promise<void> {
  const store = harness.open();
  try {
    const now = await snapshot(store);
    const archived = await archivedRows(harness, store);
    for (const [key, line] of original) {
      const inStore = now.get(key) === line;
      const copy = archived.get(key);
      expect(copy?.count ?? 0, `${key} archived more than once`).toBeLessThanOrEqual(1);
      if (eligible(key, line)) {
        expect(inStore, `${key} should have left the store`).toBe(false);
        expect(now.has(key), `${key} should have left the store`).toBe(false);
        expect(copy?.line, `${key} should be in a verified archive, byte for byte`).toBe(line);
      } else {
        expect(inStore, `${key} should still be in the store`).toBe(true);
        expect(copy, `${key} should not be archived`).toBeUndefined();
      }
    }
    const manifests = await store.maintenance.listArchiveManifests();
    expect(manifests.filter((m) => m.status !== 'deleted').map((m) => m.status)).toEqual([]);
    expect(readdirSync(join(harness.cwd, 'archive')).sort()).toEqual(manifests.map((m) => m.manifestId).sort());
    for (const userId of USERS) {
      const records = [...now.keys()].filter((k) => k.startsWith(`watch_records:["${userId}"`)).length;
      expect((await store.getUser(userId))?.recordCount ?? 0, `${userId} stats`).toBe(records);
      expect((await store.getUser(userId))!.firstWatchedAt).toBe('2025-06-01T12:00:00.000Z');
      // One entry per archive that took some of the user's records; together they count every record.
      const changes = (await store.listChanges(userId)).filter((c) => c.changeType === 'archive');
      expect(changes.length, `${userId} archive change-log entries`).toBeGreaterThan(0);
      expect(changes.every((c) => !c.processed && c.changeId.startsWith('archive:arc-'))).toBe(true);
      expect(changes.reduce((sum, c) => sum + c.recordCount, 0), `${userId} archived records logged`).toBe(4);
    }
  } finally {
    await store.close();
  }
}

interface ArchiveJson {
  leftovers: { resumed: { manifestId: string }[]; discarded: { manifestId: string }[] };
  archives: { manifestId: string; rows: number; chunks: number; deletion: { deleted: number; alreadyGone: number; retained: number } }[];
}

describe.each(HARNESSES)('agg archive on the %s', (_name, make) => {
  let harness: CliHarness;
  beforeEach(() => {
    harness = make();
  });

  it('archives, verifies and restores byte-identical rows, keeping user stats exact and logging the change', async () => {
    await seed(harness, { big: true });
    const store = harness.open();
    const original = await snapshot(store);
    await store.close();
    const refused = await harness.run(['archive']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('agg: warning: archiving watch records removes 12 records of 3 users (watched before 2024-07-01T00:00:00.000Z)');
    expect(refused.stderr).toContain('needs --yes');
    expect(await snapshot(harness.open())).toEqual(original);

    const dry = jsonOf<{ eligible: Record<string, { rows: number }> }>(await harness.run(['archive', '--dry-run', '--json']));
    expect(Object.fromEntries(Object.entries(dry.eligible).map(([t, e]) => [t, e.rows]))).toEqual({ watch_records: 12, precomputed_aggregations: 7, data_change_log: 2, agg_runs: 2 });

    const archived = await harness.run(['archive', '--yes', '--json']);
    expect(archived.code, archived.stderr).toBe(0);
    const outcome = jsonOf<ArchiveJson>(archived);
    expect(outcome.archives).toHaveLength(1);
    expect(outcome.archives[0]).toMatchObject({ rows: 23, deletion: { deleted: 23, alreadyGone: 0, retained: 0 } });
    const id = outcome.archives[0]!.manifestId;
    await expectSafe(harness, original);

    const verified = await harness.run(['archive', '--verify', id]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toContain('verified: ');
    const listed = jsonOf<{ archives: { manifestId: string; status: string; rows: number }[] }>(await harness.run(['archive', '--list', '--json']));
    expect(listed.archives).toMatchObject([{ manifestId: id, status: 'deleted', rows: 23 }]);

    const plan = jsonOf<{ totals: { inserted: number } }>(await harness.run(['archive', '--restore', join(harness.cwd, 'archive', id), '--dry-run', '--json']));
    expect(plan.totals.inserted).toBe(23);
    const restored = await harness.run(['archive', '--restore', join(harness.cwd, 'archive', id, MANIFEST_FILE), '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(jsonOf<{ totals: { inserted: number } }>(restored).totals.inserted).toBe(23);
    const back = harness.open();
    try {
      const now = await snapshot(back);
      for (const [key, line] of original) expect(now.get(key), key).toBe(line);
      for (const userId of USERS) {
        expect(await back.getUser(userId)).toMatchObject({ recordCount: 8, firstWatchedAt: '2023-01-15T12:00:00.000Z', lastWatchedAt: '2025-06-03T12:00:00.000Z' });
        expect((await back.listChanges(userId)).find((c) => c.changeType === 'restore')).toMatchObject({ changeId: `restore:${id}:${userId}`, recordCount: 4, processed: false });
      }
      expect((await back.maintenance.getArchiveManifest(id))!.status).toBe('restored');
    } finally {
      await back.close();
    }
    // Restoring again changes nothing.
    const again = jsonOf<{ totals: { inserted: number; identical: number } }>(await harness.run(['archive', '--restore', id, '--json']));
    expect(again.totals).toMatchObject({ inserted: 0, identical: 23 });
    // Every document stays within Convex's limits (the manifest row, the restored chunks).
    if (harness.t) expect(await assertDocumentLimits(harness.t)).toBeGreaterThan(40);
  }, 60_000);

  it('never loses or duplicates a row when a run crashes at any store call and is run again', async () => {
    // A clean run on a copy says how many store calls a whole run makes.
    const probe = make();
    await seed(probe);
    let probeStore: ReturnType<typeof faultyStore<Store>> | null = null;
    const counted = await probe.run(['archive', '--yes'], { now: () => NOW, wrap: (s) => (probeStore = faultyStore(s, {})) });
    const calls = probeStore!.injected.calls;
    expect(counted.code, counted.stderr).toBe(0);
    expect(calls).toBeGreaterThan(20);
    const random = new Random(`archive-crash-${harness.kind}`);
    const points = harness.kind === 'sqlite' ? Array.from({ length: calls }, (_, i) => i + 1) : Array.from({ length: 14 }, () => 1 + random.int(calls));
    for (const point of points) {
      harness = make();
      await seed(harness);
      const original = await snapshot(harness.open());
      let clock = NOW;
      // Crash once, or twice in a row at nearby points, then run cleanly.
      const crashes = random.chance(0.3) ? [point, 1 + random.int(calls)] : [point];
      for (const crashAfter of crashes) {
        const crashed = await harness.run(['archive', '--yes'], { now: () => clock, wrap: (s) => faultyStore(s, { crashAfter }) });
        // A second crash point can lie beyond the end of a shorter run: then that run simply finishes.
        if (crashed.code !== 0) expect(crashed.stderr, `crash at ${crashAfter}`).toContain('simulated crash');
        // A crashed run's lease expires before the rerun.
        clock += 3 * MINUTE;
      }
      const rerun = await harness.run(['archive', '--yes', '--json'], { now: () => clock });
      expect(rerun.code, `rerun after a crash at ${crashes.join(', ')}: ${rerun.stderr}`).toBe(0);
      await expectSafe(harness, original);
    }
  }, 240_000);

  it('finishes a verified archive after a crash between writing its chunks and deleting its rows, without exporting again', async () => {
    await seed(harness);
    const original = await snapshot(harness.open());
    const crashAt = (method: string) => (store: Store) => {
      let crashed = false;
      const facet = new Proxy(store.maintenance, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
          return (...args: unknown[]) => {
            crashed = true;
            throw new Error(`simulated crash before ${method}`);
          };
        },
      });
      return new Proxy(store, { get: (target, property, receiver) => (property === 'maintenance' ? facet : crashed && property !== 'close' ? () => Promise.reject(new Error('simulated crash (dead)')) : Reflect.get(target, property, receiver)) });
    };
    const crashed = await harness.run(['archive', '--yes'], { wrap: crashAt('deleteArchivedRows') });
    expect(crashed.code).toBe(70);
    const store = harness.open();
    const [row] = await store.maintenance.listArchiveManifests();
    expect(row!.status).toBe('verified');
    expect(await snapshot(store)).toEqual(original);
    await store.close();
    // kill -9 also leaves temporary files behind; they belong to the archive and go with it.
    writeFileSync(join(harness.cwd, 'archive', row!.manifestId, '.chunk-00099.jsonl.gz.dead.tmp'), 'partial');
    const listed = await harness.run(['archive', '--list']);
    expect(listed.stdout).toContain('deleting rows (unfinished)');
    expect(listed.stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
    const rerun = jsonOf<ArchiveJson>(await harness.run(['archive', '--yes', '--json'], { now: () => NOW + 3 * MINUTE }));
    expect(rerun.leftovers.resumed.map((a) => a.manifestId)).toEqual([row!.manifestId]);
    expect(rerun.archives).toEqual([]);
    const resumed = rerun.leftovers.resumed[0] as unknown as ArchiveJson['archives'][number];
    expect(resumed.deletion).toMatchObject({ deleted: 22, retained: 0 });
    // The stray temporary file is not part of the archive but does no harm; the check ignores it.
    expect(readdirSync(join(harness.cwd, 'archive'))).toEqual([row!.manifestId]);
    const store2 = harness.open();
    expect((await archivedRows(harness, store2)).size).toBe(22);
    await store2.close();
  });

  it('discards an export that crashed before it was verified, files and all, and exports again', async () => {
    await seed(harness);
    const original = await snapshot(harness.open());
    let puts = 0;
    let dead = false;
    // kill -9 just before the row would say `verified`: nothing runs after that point.
    const crashOnVerified = (store: Store) => {
      const facet = new Proxy(store.maintenance, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (dead || (property === 'putArchiveManifest' && ++puts === 2)) {
              dead = true;
              return Promise.reject(new Error('simulated crash before marking the archive verified'));
            }
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      return new Proxy(store, {
        get: (target, property, receiver) => {
          if (property === 'maintenance') return facet;
          const value = Reflect.get(target, property, receiver);
          return dead && typeof value === 'function' && property !== 'close' ? () => Promise.reject(new Error('simulated crash (dead)')) : value;
        },
      });
    };
    expect((await harness.run(['archive', '--yes'], { wrap: crashOnVerified })).code).toBe(70);
    const [left] = readdirSync(join(harness.cwd, 'archive'));
    expect(readdirSync(join(harness.cwd, 'archive', left!))).toContain(MANIFEST_FILE);
    // And a chunk truncated by the crash, for good measure.
    writeFileSync(join(harness.cwd, 'archive', left!, 'chunk-00001.jsonl.gz'), 'trunc');
    const rerun = jsonOf<ArchiveJson>(await harness.run(['archive', '--yes', '--json'], { now: () => NOW + 3 * MINUTE }));
    expect(rerun.leftovers.discarded.map((a) => a.manifestId)).toEqual([left]);
    expect(rerun.archives).toHaveLength(1);
    expect(readdirSync(join(harness.cwd, 'archive'))).toEqual([rerun.archives[0]!.manifestId]);
    await expectSafe(harness, original);
  });

  it('refuses a destination it cannot write before any work, deleting nothing', async () => {
    await seed(harness);
    const original = await snapshot(harness.open());
    writeFileSync(join(harness.cwd, 'not-a-dir'), 'a file in the way');
    const failed = await harness.run(['archive', '--yes', '--out', 'not-a-dir']);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/agg: \S+\/not-a-dir: cannot create the archive directory: a file is in the way \(choose another --out\)\n$/);
    const store = harness.open();
    expect(await store.maintenance.listArchiveManifests()).toEqual([]);
    expect(await snapshot(store)).toEqual(original);
    await store.close();
    // The lease was released: the next run (elsewhere) goes ahead at once.
    expect((await harness.run(['archive', '--yes'])).code).toBe(0);
    await expectSafe(harness, original);
  });

  it('refuses a bad --out with one line naming it, even with nothing to archive, and leaves a good one as it was', async () => {
    await seed(harness);
    const original = await snapshot(harness.open());
    writeFileSync(join(harness.cwd, 'file'), 'x');
    // No run finished before a 1000-week cutoff: nothing is eligible.
    for (const [out, message] of [
      ['file/x', `${join(harness.cwd, 'file/x')}: cannot create the archive directory: ${join(harness.cwd, 'file')} is a file, not a directory (choose another --out)`],
      ['', '--out needs a directory'],
      [' ', '--out needs a directory'],
    ] as const) {
      for (const extra of [[], ['--dry-run']]) {
        const result = await harness.run(['archive', '--out', out, '--table', 'runs', '--older-than', '1000w', ...extra]);
        expect(result.code, `--out "${out}" ${extra.join(' ')}: ${result.stderr}`).toBe(2);
        expect(result.stderr.split('\n').filter((l) => l.startsWith('agg: ') && !l.startsWith('agg: using'))).toEqual([expect.stringContaining(`agg: ${message}`)]);
      }
    }
    // A good destination that does not exist yet is checked, and not left behind by a dry run or an empty run.
    for (const extra of [[], ['--dry-run']]) {
      const result = await harness.run(['archive', '--out', 'deep/er/dir', '--table', 'runs', '--older-than', '1000w', ...extra]);
      expect(result.code, result.stderr).toBe(0);
      expect(readdirSync(harness.cwd).sort()).not.toContain('deep');
    }
    const store = harness.open();
    expect(await store.maintenance.listArchiveManifests()).toEqual([]);
    expect(await snapshot(store)).toEqual(original);
    await store.close();
  });

  it.skipIf(process.platform !== 'linux' || !existsSync('/proc/self'))('refuses --out under /proc at once (a recursive mkdir there never returns)', async () => {
    await seed(harness);
    for (const olderThan of ['0d', '1000w']) {
      const result = await harness.run(['archive', '--out', '/proc/agg', '--table', 'runs', '--older-than', olderThan]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/^agg: \/proc\/agg: cannot create the archive directory: (\/proc does not allow new directories|permission denied) \(choose another --out\)$/m);
    }
    const store = harness.open();
    expect(await store.maintenance.listArchiveManifests()).toEqual([]);
    await store.close();
  }, 20_000);

  it('fails --verify on a corrupted chunk and refuses to delete or restore from it', async () => {
    await seed(harness);
    const original = await snapshot(harness.open());
    // Stop right after the archive is verified, before any row is deleted.
    const crashed = await harness.run(['archive', '--yes'], {
      wrap: (store) => {
        const facet = new Proxy(store.maintenance, {
          get: (target, property, receiver) => (property === 'deleteArchivedRows' ? () => Promise.reject(new Error('simulated crash')) : (Reflect.get(target, property, receiver) as Function).bind(target)),
        });
        return new Proxy(store, { get: (target, property, receiver) => (property === 'maintenance' ? facet : Reflect.get(target, property, receiver)) });
      },
    });
    expect(crashed.code).toBe(70);
    const [id] = readdirSync(join(harness.cwd, 'archive'));
    const chunk = join(harness.cwd, 'archive', id!, 'chunk-00002.jsonl.gz');
    const good = readFileSync(chunk);
    const bad = Buffer.from(good);
    bad[bad.length - 12] ^= 0xff;
    writeFileSync(chunk, bad);
    const verify = await harness.run(['archive', '--verify', id!]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/chunk-00002\.jsonl\.gz fails its checksum/);
    expect(verify.stdout).toContain('FAILED: 1 problem');
    const blocked = await harness.run(['archive', '--yes'], { now: () => NOW + 3 * MINUTE });
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toMatch(/agg: archive arc-\S+ cannot be completed: chunk-00002\.jsonl\.gz fails its checksum .* no row was deleted in this run/);
    expect(await snapshot(harness.open())).toEqual(original);
    const restore = await harness.run(['archive', '--restore', id!], { now: () => NOW + 6 * MINUTE });
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain('is not complete (status verified)');
    // With the chunk repaired from a copy, the same command finishes the job.
    writeFileSync(chunk, good);
    const finished = jsonOf<ArchiveJson>(await harness.run(['archive', '--yes', '--json'], { now: () => NOW + 9 * MINUTE }));
    expect(finished.leftovers.resumed).toHaveLength(1);
    await expectSafe(harness, original);
    // A complete archive whose chunk goes bad cannot be restored from.
    writeFileSync(chunk, bad);
    const refused = await harness.run(['archive', '--restore', id!], { now: () => NOW + 12 * MINUTE });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('fails verification, nothing was restored');
  });

  it('keeps rows changed between export and deletion, and a restore skips their stale copies', async () => {
    await seed(harness);
    const edited = { id: 'u2-old-1', watchedAt: '2023-02-15T12:00:00.000Z', videoTitle: 'Edited after export', channelTitle: 'Alpha', topics: ['Music'] };
    let edits = 0;
    const editing = (store: Store) => {
      const facet = new Proxy(store.maintenance, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== 'deleteArchivedRows') return typeof value === 'function' ? value.bind(target) : value;
          return async (...args: Parameters<Store['maintenance']['deleteArchivedRows']>) => {
            if (edits++ === 0) await store.putRecords({ userId: 'u2', records: [edited], change: { changeId: 'edit', changeType: 'update', at: '2025-06-30T00:00:00.000Z' } });
            return target.deleteArchivedRows(...args);
          };
        },
      });
      return new Proxy(store, { get: (target, property, receiver) => (property === 'maintenance' ? facet : Reflect.get(target, property, receiver)) });
    };
    const outcome = jsonOf<ArchiveJson>(await harness.run(['archive', '--yes', '--json'], { wrap: editing }));
    expect(outcome.archives[0]!.deletion).toMatchObject({ deleted: 21, retained: 1 });
    const id = outcome.archives[0]!.manifestId;
    const text = await harness.run(['archive', '--restore', id]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/watch_records\s*│\s*11\s*│\s*0\s*│\s*0\s*│\s*1/);
    const store = harness.open();
    const u2 = (await store.pageRecords('u2', { cursor: null })).items.find((r) => r.id === 'u2-old-1');
    expect(u2?.videoTitle).toBe('Edited after export');
    expect((await store.getUser('u2'))!.recordCount).toBe(8);
    await store.close();
  });

  it('refuses bad arguments with one line and exit 2, and a held lease with exit 75 (0 with --skip-if-running)', async () => {
    await seed(harness);
    for (const [args, message] of [
      [['--table', 'users'], '--table "users" is not an archivable table'],
      [['--older-than', 'ages'], '--older-than "ages" is not a duration'],
      [['--list', '--verify', 'x'], 'choose one of --list, --verify per run'],
      [['--verify', 'nowhere'], 'nowhere: no such file or directory'],
      [['--verify', 'arc-20250101T000000000Z-abcdef'], 'no archive arc-20250101T000000000Z-abcdef in this store'],
      [['--list', '--table', 'runs'], '--table goes with archiving, not with --list'],
      [['--restore', 'x', '--yes'], '--yes goes with archiving'],
    ] as const) {
      const result = await harness.run(['archive', ...args]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr.split('\n').filter((l) => l.startsWith('agg: ') && !l.startsWith('agg: using'))).toEqual([expect.stringContaining(message)]);
    }
    // Zero is a duration: --older-than 0d archives everything eligible now.
    const everything = await harness.run(['archive', '--table', 'runs', '--older-than', '0d', '--dry-run']);
    expect(everything.code, everything.stderr).toBe(0);
    writeFileSync(join(harness.cwd, 'agg.config.json'), JSON.stringify({ archive: { retention: { precomputed_aggregations: { kpi: '7d', bogus: '1d' } } } }));
    const badConfig = await harness.run(['archive', '--dry-run']);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('archive.retention.precomputed_aggregations');
    writeFileSync(join(harness.cwd, 'agg.config.json'), JSON.stringify({}));
    const noRetention = await harness.run(['archive', '--table', 'records']);
    expect(noRetention.code).toBe(2);
    expect(noRetention.stderr).toContain('watch_records has no retention in agg.config.json');
    const store = harness.open();
    await store.acquireLease({ name: 'archive', holder: 'other-host', runId: null, now: new Date(NOW).toISOString(), ttlMs: 120_000 });
    await store.close();
    const held = await harness.run(['archive']);
    expect(held.code).toBe(75);
    expect(held.stderr).toContain('agg: another archive is running: holder other-host (host and pid unknown) holds the lease archive, last heartbeat 2025-07-01T00:00:00.000Z (0 ms ago), lease expires 2025-07-01T00:02:00.000Z; nothing done (exit 75');
    expect((await harness.run(['archive', '--skip-if-running'])).code).toBe(0);
    expect((await harness.run(['archive', '--list', '--skip-if-running'])).code).toBe(2);
    expect((await harness.run(['archive'], { now: () => NOW + 3 * MINUTE })).code).toBe(0);
  });
});

describe('agg archive over ConvexStore when every mutation\'s answer is lost once', () => {
  it('ends exactly as a fault-free run: archives, restores, nothing twice', async () => {
    const harness = HARNESSES[1]![1]();
    await seed(harness, { big: true });
    const original = await snapshot(harness.open());
    const caller = losingCaller(harness.t!);
    const run = (args: string[], now = NOW) => runAgg(args, { cwd: harness.cwd, now: () => now, openStore: () => makeConvexTestStore(harness.t!, caller) });
    const archived = await run(['archive', '--yes', '--json']);
    expect(archived.code, archived.stderr).toBe(0);
    expect(caller.lost()).toBeGreaterThan(10);
    const outcome = jsonOf<ArchiveJson>(archived);
    // Rows deleted by a call whose answer was lost count as already gone on the retry; none is kept.
    expect(outcome.archives[0]!.deletion.deleted + outcome.archives[0]!.deletion.alreadyGone).toBe(23);
    expect(outcome.archives[0]!.deletion.retained).toBe(0);
    await expectSafe(harness, original);
    const restored = await run(['archive', '--restore', outcome.archives[0]!.manifestId, '--json'], NOW + 3 * MINUTE);
    expect(restored.code, restored.stderr).toBe(0);
    const now = await snapshot(harness.open());
    for (const [key, line] of original) expect(now.get(key), key).toBe(line);
    const store = harness.open();
    for (const userId of USERS) expect((await store.getUser(userId))!.recordCount).toBe(8);
    await assertDocumentLimits(harness.t!);
  }, 60_000);
});

describe('agg archive interrupted', () => {
  it('stops at a chunk boundary with exit 130, leaving every row in the store and no half archive', async () => {
    const harness = HARNESSES[0]![1]();
    await seed(harness);
    const original = await snapshot(harness.open());
    const controller = new AbortController();
    controller.abort();
    const run = await runAgg(['archive', '--yes', '--local', join(harness.cwd, '.agg')], { cwd: harness.cwd, now: () => NOW, signal: controller.signal });
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/agg: interrupted: archive arc-\S+ was being exported \(nothing was deleted; the partial export is discarded\); run the same command again to finish/);
    const store = harness.open();
    expect(await store.maintenance.listArchiveManifests()).toEqual([]);
    expect(await snapshot(store)).toEqual(original);
    // Its ledger row says it was interrupted.
    expect((await store.listRuns(5, 'archive')).map((r) => r.status)).toEqual(['interrupted']);
    await store.close();
    expect(readdirSync(join(harness.cwd, 'archive'))).toEqual([]);
  });
});

describe('runArchive', () => {
  it('splits a large selection into several complete archives', async () => {
    const harness = HARNESSES[0]![1]();
    await seed(harness);
    const store = harness.open();
    const original = await snapshot(store);
    const destination = LocalDirectoryDestination.at('archive', harness.cwd);
    const asOf = new Date(NOW).toISOString();
    const selection = selectionOf({ asOf, tables: [...ARCHIVE_TABLES], watchedBefore: '2024-07-01T00:00:00.000Z', expiredBefore: { kpi: '2025-06-24T00:00:00.000Z', top_channels: '2025-06-24T00:00:00.000Z', monthly_trend: '2025-06-01T00:00:00.000Z' }, changesBefore: '2025-04-02T00:00:00.000Z', runsBefore: '2025-01-02T00:00:00.000Z' });
    const result = await runArchive({ store, context: { now: () => NOW, emit: () => undefined }, open: (location) => LocalDirectoryDestination.fromLocation(location) }, destination, selection, [...ARCHIVE_TABLES], 2, 3);
    await store.close();
    // 22 eligible rows, 2 per chunk, at most 3 chunks per archive.
    expect(result.archives.map((a) => a.chunks)).toEqual([3, 3, 3, 2]);
    expect(result.archives.reduce((sum, a) => sum + a.rows, 0)).toBe(22);
    await expectSafe(harness, original);
  });
});
