import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, type AdapterHarness, seedUsers, withOpen } from '../support/store-fixtures.js';

const T0 = Date.parse('2025-07-01T00:00:00.000Z');

function agg(harness: AdapterHarness, args: string[], options: { now?: number; cwd?: string } = {}) {
  return runAgg(args, { openStore: () => harness.openStore(), now: () => options.now ?? T0, ...(options.cwd ? { cwd: options.cwd } : {}) });
}

/** Parses Prometheus text exposition back into `name{labels}` → value, checking HELP/TYPE lines. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    const type = /^# TYPE (agg_[a-z_]+) gauge$/.exec(line);
    if (type) {
      typed.add(type[1]!);
      continue;
    }
    if (line.startsWith('# HELP agg_')) continue;
    const sample = /^(agg_[a-z_]+)(\{(?:[a-z_]+="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN)$/.exec(line);
    expect(sample, `not a valid sample line: ${line}`).not.toBeNull();
    expect(typed.has(sample![1]!), `${sample![1]} has no TYPE line`).toBe(true);
    samples.set(`${sample![1]}${sample![2] ?? ''}`, Number(sample![3]));
  }
  return samples;
}

async function populated(make: () => AdapterHarness): Promise<AdapterHarness> {
  const harness = make();
  await withOpen(harness, (store) => seedUsers(store, 3, 60, 'status'));
  expect((await agg(harness, ['backfill', '--user', 'user-001', '--user', 'user-002'])).code).toBe(0);
  expect((await agg(harness, ['validate', '--user', 'user-001', '--user', 'user-002'])).code).toBe(0);
  expect((await agg(harness, ['rollout', '--percent', '100', '--actor', 'ops'])).code).toBe(0);
  return harness;
}

describe.each(ADAPTER_FACTORIES)('agg status on the %s', (_name, make) => {
  it('reports figures that match the store\'s known contents, in JSON and Prometheus alike', async () => {
    const harness = await populated(make);
    // 40 minutes later the 30-minute types (top_channels, topics_leaderboard) have expired; the others
    // have at least 20 minutes left, more than the 15-minute refresh threshold, so they are fresh.
    const later = T0 + 40 * 60_000;
    const fresh = await agg(harness, ['status', '--json'], { now: T0 + 60_000 });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(JSON.parse(fresh.stdout).ok).toBe(true);
    // 20 % expired is over the default 1 %: the headline says so, and the exit code too.
    const run = await agg(harness, ['status', '--json'], { now: later });
    const report = JSON.parse(run.stdout);
    expect(run.code, JSON.stringify({ served: report.served, alerts: report.alerts, rollout: report.rollout })).toBe(1);
    expect(report.ok).toBe(false);
    // Everyone is served (100 %), so the share that counts is that of their results.
    expect(report.served).toMatchObject({ users: 3, results: 360, expired: 72, usersWithExpired: 2 });
    expect(report.alerts.map((alert: { name: string }) => alert.name)).toContain('served-expired');
    expect(report.served.expired / report.served.results).toBeCloseTo(0.2, 5);
    expect(report.aggregations).toMatchObject({ total: 360, expired: 72, expiring: 0, fresh: 288, olderVersion: 0 });
    expect(report.aggregations.byType.top_channels).toMatchObject({ total: 36, expired: 36 });
    expect(report.aggregations.byType.kpi).toMatchObject({ total: 36, fresh: 36 });
    // backfill --user of every type and the default grid marks its users' entries processed: one is left.
    expect(report.users).toMatchObject({ total: 3, withRecords: 3, withPendingChanges: 1 });
    expect(report.users.oldestPendingChangeAt).toBe('2025-06-01T00:00:00.000Z');
    expect(report.rollout).toEqual([expect.objectContaining({ flag: 'precomputed_aggregations', percent: 100, rolledBack: false, lastChangeBy: 'ops' })]);
    expect(report.runs.last.map((r: { command: string; status: string }) => `${r.command}:${r.status}`)).toEqual(['backfill:succeeded', 'validate:succeeded']);
    expect(report.runs.leases).toEqual([]);
    // The validate run covered two of the three known users: the report says so.
    expect(report.consistency).toMatchObject({ matchShare: 1, checked: 360, usersValidated: 2, usersKnown: 3 });
    expect(report.served.users).toBe(report.rollout[0].usersServed);
    expect(report.archives).toEqual({ count: 0, rows: 0, bytes: 0, lastVerifiedAt: null });

    const metrics = parseExposition((await agg(harness, ['status', '--format', 'prometheus'], { now: later })).stdout);
    expect(metrics.get('agg_aggregations{type="top_channels",state="expired"}')).toBe(36);
    expect(metrics.get('agg_aggregations{type="kpi",state="fresh"}')).toBe(36);
    expect(metrics.get('agg_users{state="backlog"}')).toBe(1);
    expect(metrics.get('agg_backlog_oldest_age_seconds')).toBe((later - Date.parse('2025-06-01T00:00:00.000Z')) / 1000);
    expect(metrics.get('agg_rollout_percent{flag="precomputed_aggregations"}')).toBe(100);
    expect(metrics.get('agg_consistency_match_ratio')).toBe(1);
    expect(metrics.get('agg_status_ok')).toBe(0);
    const servedIn = metrics.get('agg_rollout_users{flag="precomputed_aggregations",state="in"}')!;
    expect(servedIn).toBe(report.rollout[0].usersIn);
  });

  it('exits 1 when a threshold from agg.config.json is crossed, naming it', async () => {
    const harness = await populated(make);
    const cwd = mkdtempSync(join(tmpdir(), 'agg-status-'));
    writeFileSync(join(cwd, 'agg.config.json'), JSON.stringify({ status: { maxExpiredShare: 0.1, maxBacklogAge: '1d', minConsistency: 0.99, maxValidateAge: '2h' } }));
    const fine = await agg(harness, ['status', '--json'], { cwd, now: T0 + 60_000 });
    expect(JSON.parse(fine.stdout).alerts).toHaveLength(1); // the backlog: a pending import a month old
    const later = await agg(harness, ['status'], { cwd, now: T0 + 3 * 3_600_000 });
    expect(later.code).toBe(1);
    expect(later.stdout).toMatch(/ALERT served-expired: 100\.0% of served users. results are expired/);
    expect(later.stdout).toMatch(/ALERT backlog-age: the oldest unprocessed change is \d+ min old/);
    expect(later.stdout).toMatch(/ALERT validate-age: the latest validate run finished 180 min ago \(max 120 min\)/);
    const metrics = parseExposition((await agg(harness, ['status', '--format', 'prometheus'], { cwd, now: T0 + 3 * 3_600_000 })).stdout);
    expect(metrics.get('agg_status_ok')).toBe(0);
    expect(metrics.get('agg_alerts{name="served-expired"}')).toBe(1);
  });
});

describe('agg status alerts on runs and consistency', () => {
  it('flags a lease held past its run\'s --max-runtime, and a consistency below the floor', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    await withOpen(harness, async (store: Store) => {
      await seedUsers(store, 1, 30, 'alerts');
      await store.putRun({ runId: 'bf-stuck', command: 'backfill', args: ['backfill', '--changed', '--max-runtime', '10m'], target: 'changed', startedAt: '2025-06-30T22:00:00.000Z', finishedAt: null, status: 'running', counts: {}, checkpoint: null, heartbeatAt: '2025-06-30T23:59:00.000Z' });
      await store.acquireLease({ name: 'backfill:changed', holder: 'bf-stuck@1', runId: 'bf-stuck', now: '2025-06-30T22:00:00.000Z', ttlMs: 120_000 });
      await store.acquireLease({ name: 'backfill:changed', holder: 'bf-stuck@1', runId: 'bf-stuck', now: '2025-06-30T23:59:30.000Z', ttlMs: 120_000 });
      await store.putRun({ runId: 'va-1', command: 'validate', args: [], target: 'all', startedAt: '2025-06-30T23:00:00.000Z', finishedAt: '2025-06-30T23:10:00.000Z', status: 'failed', counts: { 'status:match': 95, 'status:drift': 5 }, checkpoint: null, heartbeatAt: '2025-06-30T23:10:00.000Z' });
    });
    const cwd = mkdtempSync(join(tmpdir(), 'agg-status-'));
    writeFileSync(join(cwd, 'agg.config.json'), JSON.stringify({ status: { minConsistency: 0.99 } }));
    const run = await agg(harness, ['status', '--json'], { cwd });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.runs.leases).toEqual([expect.objectContaining({ name: 'backfill:changed', runId: 'bf-stuck', maxRuntimeMs: 600_000 })]);
    expect(report.alerts.map((a: { name: string }) => a.name).sort()).toEqual(['consistency', 'stuck-lease']);
    expect(report.consistency.matchShare).toBe(0.95);
    expect(run.stderr).toMatch(/status alert stuck-lease: lease backfill:changed \(run bf-stuck\) held for 120 min, past its --max-runtime of 10 min/);
  });

  it('refuses an unknown format', async () => {
    const run = await runAgg(['status', '--format', 'xml'], { cwd: mkdtempSync(join(tmpdir(), 'agg-status-')) });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('agg: --format "xml" is not valid (expected one of: table, json, markdown, prometheus)\n');
  });
});

describe('agg status --format markdown in a GitHub Actions job', () => {
  it('appends the report to $GITHUB_STEP_SUMMARY, as validate does', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    await withOpen(harness, (store) => seedUsers(store, 1, 10, 'summary'));
    const dir = mkdtempSync(join(tmpdir(), 'agg-summary-'));
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const run = await runAgg(['status', '--format', 'markdown'], { openStore: () => harness.openStore(), now: () => T0, env: { GITHUB_STEP_SUMMARY: summary } });
    expect(readFileSync(summary, 'utf8')).toBe(`# earlier step\n${run.stdout}`);
    expect(run.stdout).toMatch(/^#/);
  });
});

describe('agg status at an 80-column terminal', () => {
  it('fits every line in 80 columns: sentences wrap, tables have no borders', async () => {
    const harness = await populated(ADAPTER_FACTORIES[0]![1]);
    const run = await agg(harness, ['status'], { now: T0 + 40 * 60_000 });
    expect(run.stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
    expect(run.stdout).toMatch(/^type\s+stored\s+fresh\s+expiring\s+expired\s+old\s+bytes$/m);
    expect(run.stdout).toMatch(/^ALERT served-expired: /m);
  });
});
