import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILTERS, filterHash } from '../../src/core/filters.js';
import { sha256Hex } from '../../src/core/hash/sha256.js';
import type { Store } from '../../src/store/store.js';
import { generateUsers } from '../../fixtures/generator.js';
import { type CliHarness, HARNESSES, jsonOf } from '../support/cli-harness.js';
import { runAgg } from '../support/cli.js';
import { type PieChart, type XyChart, mermaidCharts } from '../support/mermaid-grammar.js';
import { ADAPTER_FACTORIES, type AdapterHarness, seedUsers, withOpen } from '../support/store-fixtures.js';

// The charts of the Markdown reports, through the real commands: where they sit, what they count, and
// that ids no one chose (user ids, actors) stay inside their labels.

const T0 = Date.parse('2025-07-01T00:00:00.000Z');
const summaryFile = (earlier = '') => {
  const file = join(mkdtempSync(join(tmpdir(), 'agg-charts-')), 'summary.md');
  writeFileSync(file, earlier);
  return file;
};
/** Where a line first appears in the Markdown (-1 if nowhere). */
const lineIndex = (markdown: string, pattern: RegExp) => markdown.split('\n').findIndex((line) => pattern.test(line));

/** User ids built to break a chart that did not escape them. */
const HOSTILE = ['mallory"] ; x-axis ["#1 and then some', '%% not a comment #35; [x]', 'ユーザー|二 <b>`md`</b>'];

async function hostileUsers(harness: AdapterHarness): Promise<void> {
  await withOpen(harness, async (store) => {
    for (const [i, user] of Array.from(generateUsers({ users: HOSTILE.length, records: 40, seed: 'charts' })).entries()) {
      await store.putRecords({ userId: HOSTILE[i]!, records: user.records, change: { changeId: `seed:${i}`, changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
    }
  });
}

/** Rewrites one stored top_channels result, as a bad write would: it drifts. */
async function corrupt(store: Store, userId: string): Promise<void> {
  const stored = (await store.readAggregation({ userId, aggregationType: 'top_channels', filterHash: filterHash(DEFAULT_FILTERS) }))!;
  const data = structuredClone(stored.data) as { videoCount: number }[];
  data[0]!.videoCount += 1;
  const json = JSON.stringify(data);
  await store.upsertAggregations([{ ...stored, json, dataHash: sha256Hex(json), longestArray: 10, widestObject: 4, depth: 2, metadata: { ...stored.metadata, bytes: json.length } }]);
}

describe('agg validate --format markdown draws what was found', () => {
  const agg = (harness: AdapterHarness, args: string[], env: Record<string, string> = {}) => runAgg(args, { openStore: () => harness.openStore(), env });

  it('charts drift by type and findings by user under the verdict, hostile user ids kept inside their labels', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    await hostileUsers(harness);
    expect((await agg(harness, ['backfill', '--all'])).code).toBe(0);
    await withOpen(harness, async (store) => {
      await corrupt(store, HOSTILE[0]!);
      await corrupt(store, HOSTILE[2]!);
    });
    const summary = summaryFile();
    const run = await agg(harness, ['validate', '--format', 'markdown'], { GITHUB_STEP_SUMMARY: summary });
    expect(run.code).toBe(1);
    expect(readFileSync(summary, 'utf8')).toBe(run.stdout);
    const md = run.stdout;
    expect(md).toMatch(/^## agg validate: findings \(all\)\n\n3 of 3 users validated, 1 clean/);
    // The verdict first, then the pictures, then the table.
    expect(lineIndex(md, /^```mermaid$/)).toBe(4);
    expect(lineIndex(md, /^```mermaid$/)).toBeLessThan(lineIndex(md, /^\| type \|/));
    const [pie, users, ...more] = mermaidCharts(md);
    expect(more).toEqual([]);
    expect(pie).toEqual<PieChart>({ kind: 'pie', showData: true, title: 'Drifted aggregations by type (2 of 540)', slices: [{ label: 'top_channels', value: 2 }] });
    const bars = users as XyChart;
    expect(bars).toMatchObject({ kind: 'xychart', title: 'Aggregations that do not match, by user', xTitle: 'user', yRange: [0, 1], series: [{ kind: 'bar', values: [1, 1] }] });
    // Ties by id, in code-unit order; ids cut to 24 characters, then read back exactly.
    expect(bars.categories).toEqual([HOSTILE[0]!.slice(0, 23).trimEnd() + '…', HOSTILE[2]]);
    // Inside the chart blocks the ids are entity codes: none of what would break them is there raw.
    const inside = [...md.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((match) => match[1]).join('\n');
    expect(inside).toContain('"mallory#34;#93; #59; x-axis #91;#34;#35;1');
    for (const raw of ['mallory"', ' ; ', '["#1', '%%', '|', '<b>', '`md']) expect(inside).not.toContain(raw);
  });

  it('charts findings by status when nothing drifted, and says in words when everything matches', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    await withOpen(harness, (store) => seedUsers(store, 2, 40, 'charts-status'));
    expect((await agg(harness, ['backfill', '--user', 'user-001'])).code).toBe(0);
    const clean = await agg(harness, ['validate', '--user', 'user-001', '--format', 'markdown']);
    expect(clean.code).toBe(0);
    expect(mermaidCharts(clean.stdout)).toEqual([]);
    expect(clean.stdout).toContain('\n\nAll 180 aggregations match: nothing to chart.\n\n| type |');
    // user-002 was never backfilled: 180 missing, no drift; --fail-on drift still passes.
    const missing = await agg(harness, ['validate', '--format', 'markdown']);
    expect(missing.code).toBe(0);
    const [pie, ...more] = mermaidCharts(missing.stdout);
    expect(more).toEqual([]);
    expect(pie).toEqual<PieChart>({ kind: 'pie', showData: true, title: 'Aggregations that do not match, by status (180 of 360)', slices: [{ label: 'missing', value: 180 }] });
  });
});

describe('agg status --format markdown draws the results by freshness', () => {
  it('counts fresh, expiring and expired as the JSON report does, under the verdict and its alerts', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    await withOpen(harness, (store) => seedUsers(store, 2, 40, 'charts-fresh'));
    expect((await runAgg(['backfill', '--all'], { openStore: () => harness.openStore(), now: () => T0 })).code).toBe(0);
    // 40 minutes on, the 30-minute types have expired and some are within the refresh threshold.
    const later = () => T0 + 40 * 60_000;
    const summary = summaryFile('# earlier step\n');
    const run = await runAgg(['status', '--format', 'markdown'], { openStore: () => harness.openStore(), now: later, env: { GITHUB_STEP_SUMMARY: summary } });
    expect(readFileSync(summary, 'utf8')).toBe(`# earlier step\n${run.stdout}`);
    const report = JSON.parse((await runAgg(['status', '--json'], { openStore: () => harness.openStore(), now: later })).stdout);
    const { fresh, expiring, expired, total } = report.aggregations;
    expect(expired).toBeGreaterThan(0);
    const [pie, ...more] = mermaidCharts(run.stdout);
    expect(more).toEqual([]);
    expect(pie).toEqual<PieChart>({
      kind: 'pie',
      showData: true,
      title: `Stored results by freshness (${total})`,
      slices: [
        { label: 'fresh', value: fresh },
        ...(expiring > 0 ? [{ label: 'expiring within 15 min', value: expiring }] : []),
        { label: 'expired', value: expired },
      ],
    });
    const md = run.stdout;
    expect(md).toMatch(/^## agg status: \d+ alerts?\n/);
    const lastAlert = md.split('\n').findLastIndex((line) => line.startsWith('- **'));
    expect(lastAlert).toBeGreaterThan(0);
    expect(lineIndex(md, /^```mermaid$/)).toBe(lastAlert + 2);
    expect(lineIndex(md, /^```mermaid$/)).toBeLessThan(lineIndex(md, /^\| \| \|$/));
  });

  it('says in words that nothing is stored, with no chart', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    await withOpen(harness, (store) => seedUsers(store, 1, 10, 'charts-empty'));
    const run = await runAgg(['status', '--format', 'markdown'], { openStore: () => harness.openStore(), now: () => T0 });
    expect(mermaidCharts(run.stdout)).toEqual([]);
    expect(run.stdout).toContain('\n\nNo aggregations are stored yet, so there is nothing to chart.\n\n| | |');
  });
});

describe.each(HARNESSES)('agg rollout --history --format markdown on the %s', (_name, make) => {
  const records = [{ id: 'r1', watchedAt: '2025-06-01T10:00:00.000Z', channelTitle: 'Alpha', videoTitle: 'Python tutorial' }];
  const day = (d: number, hour = 10) => Date.parse(`2025-07-0${d}T${String(hour).padStart(2, '0')}:00:00.000Z`);
  async function history(harness: CliHarness): Promise<void> {
    const steps: Array<[number, string[]]> = [
      [day(1), ['--percent', '10', '--reason', 'canary | first']],
      [day(2), ['--percent', '25', '--actor', 'rel|ease "bot" #1; %%']],
      [day(3), ['--enable-user', 'vip"] #1', '--allow-unknown']],
      [day(4), ['--rollback', '--reason', 'drift\nalarm']],
    ];
    for (const [at, args] of steps) expect((await harness.run(['rollout', ...args], { now: () => at, env: { USER: 'alice' } })).code).toBe(0);
  }

  it('heads the audit log with the flag now, charts the percent over time, and appends it to $GITHUB_STEP_SUMMARY', async () => {
    // No known users: the counts of users entering (+0 / -0) do not hang on the flag's random salt.
    const harness = make();
    await history(harness);
    const summary = summaryFile('# earlier step\n');
    const run = await harness.run(['rollout', '--history', '--format', 'markdown'], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(summary, 'utf8')).toBe(`# earlier step\n${run.stdout}`);
    const md = run.stdout;
    expect(md).toMatch(/^## agg rollout history of `precomputed_aggregations`: rolled back \(0\.00%\)\n\n4 changes shown, newest first; the latest: rollback 25\.00% → 0\.00% by alice at 2025-07-04T10:00:00\.000Z\.\n\n```mermaid\n/);
    expect(mermaidCharts(md)).toEqual<XyChart[]>([
      {
        kind: 'xychart',
        title: 'Rollout percent of precomputed_aggregations',
        xTitle: 'change (UTC)',
        categories: ['07-01', '07-02', '07-03', '07-04'],
        yTitle: 'percent',
        yRange: [0, 100],
        series: [{ kind: 'line', values: [10, 25, 25, 0] }],
      },
    ]);
    // The table after the chart, newest first; what users typed cannot end a cell or a row.
    const rows = md.slice(md.lastIndexOf('```') + 4).trimEnd().split('\n');
    expect(rows).toEqual([
      '',
      '| when (UTC) | who | action | from → to | reason | details |',
      '| --- | --- | --- | --- | --- | --- |',
      '| 2025-07-04 10:00 | alice | rollback | 25.00% → 0.00% | drift alarm | 1 overrides kept |',
      '| 2025-07-03 10:00 | alice | overrides | 25.00% → 25.00% |  | allow vip"] #1 |',
      '| 2025-07-02 10:00 | rel\\|ease "bot" #1; %% | set-percent | 10.00% → 25.00% |  | +0 / -0 users |',
      '| 2025-07-01 10:00 | alice | create | — → 10.00% | canary \\| first | +0 / -0 users |',
    ]);
  });

  it('keeps --json and --format json the same, refuses markdown for other actions, and charts only the latest 12 changes', async () => {
    const harness = make();
    await harness.seedUsers([{ userId: 'u1', records }]);
    const json = await harness.run(['rollout', '--history', '--json']);
    expect((await harness.run(['rollout', '--history', '--format', 'json'])).stdout).toBe(json.stdout);
    expect(jsonOf(json)).toEqual({ schema: 'agg.rollout.history/v1', flag: 'precomputed_aggregations', events: [] });
    const none = await harness.run(['rollout', '--history', '--format', 'markdown']);
    expect(none.stdout).toBe('## agg rollout history of `precomputed_aggregations`: no such flag\n\nFlag `precomputed_aggregations` has no recorded changes.\n');
    for (const [args, message] of [
      [['--format', 'markdown'], 'agg: --format markdown only goes with --history'],
      [['--percent', '5', '--format', 'markdown'], 'agg: --format markdown only goes with --history'],
      [['--history', '--json', '--format', 'markdown'], 'agg: --json conflicts with --format markdown'],
      [['--history', '--format', 'xml'], 'agg: --format "xml" is not valid (expected one of: table, json, markdown)'],
    ] as const) {
      const refused = await harness.run(['rollout', ...args]);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr.split('\n').filter((line) => line.startsWith('agg: ') && !line.startsWith('agg: using'))).toEqual([message]);
    }
    expect((await harness.run(['rollout', '--history'])).stdout).toBe('flag precomputed_aggregations has no recorded changes\n');
    // 14 changes on one day: the chart shows the latest 12, labelled by time of day.
    for (let i = 1; i <= 14; i++) expect((await harness.run(['rollout', '--percent', String(i * 5)], { now: () => day(5, i) })).code).toBe(0);
    const [chart, ...more] = mermaidCharts((await harness.run(['rollout', '--history', '--format', 'markdown'])).stdout) as XyChart[];
    expect(more).toEqual([]);
    expect(chart!.title).toBe('Rollout percent of precomputed_aggregations, the latest 12 changes');
    expect(chart!.categories).toEqual(Array.from({ length: 12 }, (_, i) => `07-05 ${String(i + 3).padStart(2, '0')}:00`));
    expect(chart!.series[0]!.values).toEqual(Array.from({ length: 12 }, (_, i) => (i + 3) * 5));
  });
});
