// `npm run bench:storage`: stored bytes per user for the default grid (18 filter sets × 10 types), in
// process, before and after content-addressed results: "before" is what the old layout held (every
// result's own JSON, one copy per header), "after" what each store holds now (each distinct data once
// per user), measured from the stores themselves. Real exports from ../shared/fixtures/real/ (skipped
// with a message when absent) and the generated 100,000-record user.
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeAggregations } from '../src/core/compute.js';
import { DEFAULT_GRID } from '../src/core/filters.js';
import type { InputRecord } from '../src/core/record.js';
import { toAggregationWrite } from '../src/store/aggregation-write.js';
import { LOCAL_DB_FILE, SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { AggregationWrite } from '../src/store/types.js';
import { SHARED_MIN_BYTES } from '../src/store/value-limits.js';
import { parseTakeout } from '../src/takeout/index.js';
import { generateUser } from '../fixtures/generator.js';
import { convexStoredBytes } from './support/convex-stored-bytes.js';

/** Fields besides the text of a content head and one piece (user id, dataHash twice, counts, state, system fields). */
const CONTENT_DOCS_FIELD_BYTES = 300;

const REAL = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/real');
const REAL_FILES = ['keira-watch-history.json', 'flowstate-watch-history.html'];

interface BenchUser {
  readonly label: string;
  readonly records: InputRecord[];
  readonly asOf: string;
  readonly timeZone: string;
}

function users(): BenchUser[] {
  const out: BenchUser[] = [];
  for (const file of REAL_FILES) {
    const path = join(REAL, file);
    if (!existsSync(path)) {
      console.log(`${file}: skipped, ${path} is absent`);
      continue;
    }
    const { records } = parseTakeout(readFileSync(path));
    // As of the export's newest watch: its recent timeframes are the ones the owner would have seen.
    const newest = records.reduce((max, r) => (r.watchedAt !== null && r.watchedAt > max ? r.watchedAt : max), '');
    out.push({ label: file, records, asOf: newest === '' ? '2026-01-01T00:00:00.000Z' : newest, timeZone: 'UTC' });
  }
  out.push({
    label: 'generated 100,000-record user',
    records: generateUser({ userId: 'bench', records: 100_000, seed: 'bench-v1', years: 6, channels: 600 }),
    asOf: '2025-06-30T20:00:00.000Z',
    timeZone: 'America/Chicago',
  });
  return out;
}

function writesOf(user: BenchUser): AggregationWrite[] {
  const { results } = computeAggregations({ records: user.records, context: { asOf: user.asOf, timeZone: user.timeZone }, filterSets: DEFAULT_GRID });
  return results.map((result) =>
    toAggregationWrite(result, { userId: 'bench', asOf: user.asOf, timeZone: user.timeZone, computedAtMs: Date.parse(user.asOf), ttlMs: 3_600_000, recordCount: user.records.length, computeMs: 0 }),
  );
}

/** Data bytes the embedded store holds for the user, from its content table. */
async function embeddedStoredBytes(writes: readonly AggregationWrite[]): Promise<{ bytes: number; contents: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'agg-bench-storage-'));
  try {
    const store = SqliteStore.open(dir);
    await store.upsertAggregations(writes);
    await store.close();
    const db = new Database(join(dir, LOCAL_DB_FILE), { readonly: true });
    // A long content's text is its head row plus its parts (src/store/sqlite/contents.ts).
    const row = db
      .prepare(
        `SELECT (SELECT count(*) FROM aggregation_contents WHERE user_id = 'bench') AS contents,
           (SELECT coalesce(sum(length(CAST(data AS BLOB))), 0) FROM aggregation_contents WHERE user_id = 'bench')
             + (SELECT coalesce(sum(length(CAST(data AS BLOB))), 0) FROM aggregation_content_parts WHERE user_id = 'bench') AS bytes`,
      )
      .get() as { contents: number; bytes: number };
    db.close();
    return row;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} KiB`;
const ratio = (after: number, before: number) => `${((after / before) * 100).toFixed(1)}% of before`;

async function main(): Promise<void> {
  console.log(`stored result bytes per user, default grid (${DEFAULT_GRID.length} filter sets × 10 types), in-process; node ${process.version}\n`);
  for (const user of users()) {
    const writes = writesOf(user);
    const before = writes.reduce((n, w) => n + w.metadata.bytes, 0);
    const distinct = new Set(writes.map((w) => w.dataHash)).size;
    console.log(`${user.label}: ${user.records.length.toLocaleString('en-US')} records, ${writes.length} results, ${distinct} distinct data`);
    console.log(`  before (every result's JSON, old layout)   ${kib(before).padStart(14)}`);
    const embedded = await embeddedStoredBytes(writes);
    console.log(`  after, embedded store (content rows)        ${kib(embedded.bytes).padStart(14)}  ${embedded.contents} contents, ${ratio(embedded.bytes, before)}`);
    const convex = await convexStoredBytes(writes);
    console.log(
      `  after, Convex component (inline + content)  ${kib(convex.inlineBytes + convex.contentBytes).padStart(14)}  ` +
        `${convex.inline} inline (${kib(convex.inlineBytes)}), ${convex.contents} contents (${kib(convex.contentBytes)}), ${ratio(convex.inlineBytes + convex.contentBytes, before)}`,
    );
    // The line between inline and shared (SHARED_MIN_BYTES): what the tiny results would cost shared instead.
    const tiny = new Map(writes.filter((w) => w.metadata.bytes < SHARED_MIN_BYTES).map((w) => [w.dataHash, w.metadata.bytes]));
    const tinyCount = writes.filter((w) => w.metadata.bytes < SHARED_MIN_BYTES).length;
    const tinyBytes = writes.filter((w) => w.metadata.bytes < SHARED_MIN_BYTES).reduce((n, w) => n + w.metadata.bytes, 0);
    const sharedTiny = [...tiny.values()].reduce((n, b) => n + b, 0);
    console.log(
      `  results under ${SHARED_MIN_BYTES} B inline: ${tinyCount} (${kib(tinyBytes)}); shared they would save ${kib(tinyBytes - sharedTiny)} ` +
        `and add ${tiny.size} heads + ${tiny.size} pieces (~${kib(tiny.size * CONTENT_DOCS_FIELD_BYTES)} of fields)`,
    );
    console.log('');
  }
}

await main();
