import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AGGREGATION_TYPES } from '../../src/core/aggregations/definition.js';
import { DEFAULT_FILTERS, filterHash } from '../../src/core/filters.js';
import { sha256Hex } from '../../src/core/hash/sha256.js';
import type { JsonValue } from '../../src/core/json.js';
import { VALIDATION_STATUSES } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, type AdapterHarness, aggregationSnapshot, seedUsers, withOpen } from '../support/store-fixtures.js';

const agg = (harness: AdapterHarness, args: string[], env: Record<string, string> = {}) => runAgg(args, { openStore: () => harness.openStore(), env });

const statusCounts = z.object(Object.fromEntries(VALIDATION_STATUSES.map((s) => [s, z.number().int().nonnegative()])) as Record<(typeof VALIDATION_STATUSES)[number], z.ZodNumber>);

/** The documented JSON report (agg.validate/v1): tests hold the output to it. */
const reportSchema = z.object({
  schema: z.literal('agg.validate/v1'),
  runId: z.string().nullable(),
  status: z.string(),
  generatedAt: z.string(),
  target: z.string(),
  seed: z.string().nullable(),
  options: z.object({ types: z.array(z.enum(AGGREGATION_TYPES)), tolerance: z.number(), failOn: z.string(), maxDiffs: z.number() }),
  users: z.object({ total: z.number(), validated: z.number(), failed: z.number(), clean: z.number() }),
  totals: statusCounts,
  byType: z.record(z.string(), statusCounts),
  findings: z.array(
    z.object({
      userId: z.string(),
      type: z.enum(AGGREGATION_TYPES),
      filterHash: z.string(),
      filters: z.unknown(),
      status: z.enum(VALIDATION_STATUSES),
      diffCount: z.number(),
      diffs: z.array(z.object({ path: z.string(), stored: z.unknown(), fresh: z.unknown() })),
    }),
  ),
  findingsOmitted: z.number(),
  failures: z.array(z.object({ userId: z.string(), error: z.string() })).max(100),
  failuresOmitted: z.number(),
  repair: z.unknown(),
  guardrail: z.unknown(),
  ms: z.number(),
  exitCode: z.number(),
}).strict();

/** Rewrites one stored aggregation's data in place, as a bug or a bad write would. */
async function corrupt(store: Store, userId: string, mutate: (data: JsonValue) => void): Promise<void> {
  const key = { userId, aggregationType: 'top_channels' as const, filterHash: filterHash(DEFAULT_FILTERS) };
  const stored = (await store.readAggregation(key))!;
  const data = structuredClone(stored.data);
  mutate(data);
  const json = JSON.stringify(data);
  await store.upsertAggregations([
    { ...stored, json, dataHash: sha256Hex(json), longestArray: 10, widestObject: 4, depth: 2, metadata: { ...stored.metadata, bytes: json.length } },
  ]);
}

describe.each(ADAPTER_FACTORIES)('agg validate on the %s', (_name, make) => {
  async function backfilled(users = 2): Promise<AdapterHarness> {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, users, 100, 'validate'));
    expect((await agg(harness, ['backfill', '--all'])).code).toBe(0);
    return harness;
  }

  it('puts the finding first: a never-backfilled user is one line with what to do, and the table fits 80 columns', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 2, 40, 'grouped'));
    expect((await agg(harness, ['backfill', '--user', 'user-001'])).code).toBe(0);
    await withOpen(harness, (store) => corrupt(store, 'user-001', (data) => ((data as { videoCount: number }[])[0]!.videoCount += 1)));
    const run = await agg(harness, ['validate']);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => line.length > 80)).toEqual([]);
    const drift = lines.findIndex((line) => /user-001 · top_channels · All\/All: drift/.test(line));
    const missing = lines.indexOf('user-002: 180 missing (10 types × 18 filter sets)');
    expect(lines[missing + 1]).toBe('  never stored: agg backfill --user user-002');
    expect(drift).toBeGreaterThan(0);
    expect(missing).toBeGreaterThan(drift); // drift first, the summary of the missing after it
    expect(lines.filter((line) => line.includes(': missing'))).toEqual([]);
    // The verdict is the last line: what was found, and what it means for the exit code.
    expect(lines.at(-1)).toBe('verdict: 1 drift, 180 missing; fails (--fail-on drift); exit 1');
    expect(run.code).toBe(1);
  });

  it('--max-findings lists more one by one (table and Markdown), folds what does not fit, and is checked', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 2, 40, 'grouped'));
    expect((await agg(harness, ['backfill', '--user', 'user-001'])).code).toBe(0);
    const all = await agg(harness, ['validate', '--max-findings', '180']);
    expect(all.stdout.split('\n').filter((line) => /^user-002 · .*: missing$/.test(line))).toHaveLength(180);
    const few = await agg(harness, ['validate', '--max-findings', '179', '--format', 'markdown']);
    expect(few.stdout).toContain('- user-002: 180 missing (10 types × 18 filter sets): never stored: agg backfill --user user-002');
    expect(few.stdout).not.toContain(': missing\n');
    expect(few.stdout.trimEnd().split('\n').at(-1)).toBe('**verdict: 180 missing; passes (--fail-on drift); exit 0**');
    const bad = await agg(harness, ['validate', '--max-findings', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-findings "-1" must be a whole number from 0 to 2000/);
  });

  it('is clean after a backfill, and records each user\'s outcome', async () => {
    const harness = await backfilled();
    const run = await agg(harness, ['validate', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = reportSchema.parse(JSON.parse(run.stdout));
    expect(report.totals).toEqual({ match: 360, drift: 0, stale: 0, missing: 0, orphan: 0, outdated: 0, expired: 0 });
    expect(report.users).toEqual({ total: 2, validated: 2, failed: 0, clean: 2 });
    const outcomes = await withOpen(harness, (store) => store.getValidations(['user-001', 'user-002']));
    expect(outcomes.map((o) => [o.userId, o.clean, o.runId])).toEqual([
      ['user-001', true, report.runId],
      ['user-002', true, report.runId],
    ]);
  });

  it('reports exactly the edited user\'s aggregations as stale, and fails only per --fail-on', async () => {
    const harness = await backfilled();
    await withOpen(harness, (store) =>
      store.putRecords({ userId: 'user-002', records: [{ id: 'edited', watchedAt: '2025-06-01T00:00:00.000Z' }], change: { changeId: 'edit-1', changeType: 'update', at: '2099-01-01T00:00:00.000Z' } }),
    );
    const drift = await agg(harness, ['validate', '--json']);
    expect(drift.code).toBe(0);
    const report = reportSchema.parse(JSON.parse(drift.stdout));
    expect(report.totals.stale).toBe(180);
    expect(report.totals.match).toBe(180);
    expect(new Set(report.findings.map((f) => f.userId))).toEqual(new Set(['user-002']));
    expect((await agg(harness, ['validate', '--fail-on', 'any'])).code).toBe(1);
  });

  it('reports a corrupted value as drift, with the exact path, and exits 1', async () => {
    const harness = await backfilled();
    await withOpen(harness, (store) => corrupt(store, 'user-001', (data) => ((data as { videoCount: number }[])[3]!.videoCount += 1)));
    const run = await agg(harness, ['validate', '--user', 'user-001']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/user-001 · top_channels · All\/All: drift/);
    expect(run.stdout).toMatch(/top_channels\[3\]\.videoCount: stored (\d+), fresh (\d+)/);
    const [, stored, fresh] = /top_channels\[3\]\.videoCount: stored (\d+), fresh (\d+)/.exec(run.stdout)!;
    expect(Number(stored)).toBe(Number(fresh) + 1);
    // One drifted row: the repair rewrites that row, not the user's 180.
    const repaired = await agg(harness, ['validate', '--user', 'user-001', '--repair']);
    expect(repaired.stdout).toMatch(/repair plan: rewrite 1 drift \(exactly those rows, of 1 user\)/);
    expect(repaired.stdout).toMatch(/repaired: 1 written, 0 refreshed \(equal data\), 0 deleted/);
    expect((await agg(harness, ['validate', '--user', 'user-001'])).code).toBe(0);
  });

  it('finds missing, orphaned and outdated aggregations, and --repair fixes them after printing the plan', async () => {
    const harness = await backfilled();
    const key = (userId: string, type: (typeof AGGREGATION_TYPES)[number]) => ({ userId, aggregationType: type, filterHash: filterHash(DEFAULT_FILTERS) });
    await withOpen(harness, async (store) => {
      await store.deleteAggregations([key('user-001', 'kpi')]);
      const stored = (await store.readAggregation(key('user-001', 'monthly_trend')))!;
      await store.upsertAggregations([{ ...stored, version: 0, json: JSON.stringify(stored.data), longestArray: 100, widestObject: 4, depth: 2 }]);

      const other = (await store.readAggregation(key('user-002', 'kpi')))!;
      await store.upsertAggregations([{ ...other, filterHash: 'f'.repeat(64), json: JSON.stringify(other.data), longestArray: 0, widestObject: 9, depth: 1 }]);
    });
    const found = reportSchema.parse(JSON.parse((await agg(harness, ['validate', '--json', '--fail-on', 'missing'])).stdout));
    expect(found).toMatchObject({ totals: { missing: 1, outdated: 1, orphan: 1, match: 358 }, exitCode: 1 });
    const planned = await agg(harness, ['validate', '--repair', '--dry-run']);
    expect(planned.stdout).toMatch(/repair plan: rewrite 1 missing, 1 outdated \(exactly those rows, of 1 user\), delete 1 orphan\nrepair not applied \(dry run\)/);
    const before = await withOpen(harness, aggregationSnapshot);
    expect(await withOpen(harness, aggregationSnapshot)).toEqual(before);
    const repaired = await agg(harness, ['validate', '--repair']);
    // Exactly the two broken rows are written, the orphan deleted: nothing else of the user is touched.
    expect(repaired.stdout).toMatch(/repaired: 2 written, 0 refreshed \(equal data\), 1 deleted/);
    const untouched = (await withOpen(harness, aggregationSnapshot)).filter((row) => !row.includes('|kpi|') && !row.includes('|monthly_trend|'));
    expect(untouched).toEqual(before.filter((row) => !row.includes('|kpi|') && !row.includes('|monthly_trend|') && !row.includes('f'.repeat(64))));
    const after = reportSchema.parse(JSON.parse((await agg(harness, ['validate', '--json', '--fail-on', 'any'])).stdout));
    expect(after.totals).toEqual({ match: 360, drift: 0, stale: 0, missing: 0, orphan: 0, outdated: 0, expired: 0 });
    expect(after.exitCode).toBe(0);
  });

  it('treats aggregations of a user without records as orphans', async () => {
    const harness = await backfilled();
    await withOpen(harness, async (store) => {
      const records = await store.pageRecords('user-002', { cursor: null, limit: 10_000 });
      await store.deleteRecords('user-002', records.items.map((r) => r.id), { changeId: 'gone', changeType: 'delete', at: '2099-01-01T00:00:00.000Z' });
    });
    const report = reportSchema.parse(JSON.parse((await agg(harness, ['validate', '--json'])).stdout));
    expect(report.totals.orphan).toBe(180);
    expect(report.users.total).toBe(2);
  });
});

describe('agg validate reports', () => {
  it('writes Markdown fit for a job summary and appends it to GITHUB_STEP_SUMMARY', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    await withOpen(harness, (store) => seedUsers(store, 1, 50, 'md'));
    await agg(harness, ['backfill', '--all']);
    const summary = join(mkdtempSync(join(tmpdir(), 'agg-summary-')), 'summary.md');
    const run = await agg(harness, ['validate', '--format', 'markdown'], { GITHUB_STEP_SUMMARY: summary });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^## agg validate: clean \(all\)/);
    expect(run.stdout).toContain('| **total** | **180** | **0** |');
    expect(readFileSync(summary, 'utf8')).toBe(run.stdout);
  });

  it('samples deterministically by seed', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    await withOpen(harness, (store) => seedUsers(store, 6, 30, 'sample'));
    await agg(harness, ['backfill', '--all']);
    const pick = async (seed: string) => {
      const report = JSON.parse((await agg(harness, ['validate', '--sample', '3', '--seed', seed, '--json'])).stdout);
      const outcomes = await withOpen(harness, (store) => store.getValidations(['user-001', 'user-002', 'user-003', 'user-004', 'user-005', 'user-006']));
      return { seed: report.seed, users: report.users.total, validated: outcomes.filter((o) => o.runId === report.runId).map((o) => o.userId).sort() };
    };
    const a = await pick('nightly-1');
    expect(a).toMatchObject({ seed: 'nightly-1', users: 3 });
    expect((await pick('nightly-1')).validated).toEqual(a.validated);
    // A share too small for six users still validates one of them, not nobody.
    const tiny = await agg(harness, ['validate', '--sample', '0.0001%', '--seed', 'nightly-1', '--json']);
    expect(tiny.code, tiny.stderr).toBe(0);
    expect(JSON.parse(tiny.stdout).users.total).toBe(1);
  });

  it.each([
    [['validate', '--format', 'xml'], /--format "xml" is not valid/],
    [['validate', '--fail-on', 'everything'], /--fail-on "everything" is not valid/],
    [['validate', '--sample', '0'], /--sample "0" must be a number of users from 1/],
    [['validate', '--sample', '150%'], /--sample "150%" must be .* a share above 0% up to 100%/],
    [['validate', '--seed', 'x'], /--seed goes with --sample/],
    [['validate', '--tolerance', '-1'], /--tolerance "-1" must be a number from 0 to 1/],
    [['validate', '--max-diffs', '2.5'], /--max-diffs "2.5" must be a whole number from 0 to 10000/],
    [['validate', '--dry-run'], /--dry-run goes with --repair/],
    [['validate', '--json', '--format', 'markdown'], /--json conflicts with --format markdown/],
    [['validate', '--user', 'a', '--all'], /choose one of/],
  ])('%j → one line, exit 2', async (args, message) => {
    const run = await runAgg(args as string[], { cwd: mkdtempSync(join(tmpdir(), 'agg-v-')) });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
