// `agg archive` and `agg archive --restore` run as operations: each leaves a ledger row with its counts
// (`agg runs --command archive`), under the lease `archive` as before; dry runs leave none.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { type CliHarness, HARNESSES } from '../support/cli-harness.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const LATER = NOW + 86_400_000;

function records(userId: string) {
  return Array.from({ length: 4 }, (_, i) => ({ id: `${userId}-${i}`, watchedAt: `2025-06-0${i + 1}T12:00:00.000Z`, videoTitle: `Video ${i}` }));
}

async function withStore<T>(harness: CliHarness, use: (store: Store) => Promise<T>): Promise<T> {
  const store = harness.open();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

describe.each(HARNESSES)('agg archive in the run ledger on the %s', (_name, make) => {
  it('an archive and a restore each write a ledger row with their counts, listed by agg runs; dry runs write none', async () => {
    const harness = make();
    await harness.seedUsers([{ userId: 'u1', records: records('u1') }]);
    for (let i = 0; i < 2; i++) expect((await harness.run(['backfill', '--all'], { now: () => NOW })).code).toBe(0);
    writeFileSync(join(harness.cwd, 'agg.config.json'), JSON.stringify({ archive: { rowsPerChunk: 1 } }));
    const later = { now: () => LATER };

    const dry = await harness.run(['archive', '--table', 'runs', '--older-than', '0d', '--dry-run'], later);
    expect(dry.code, dry.stderr).toBe(0);
    await withStore(harness, async (store) => expect(await store.listRuns(10, 'archive')).toEqual([]));

    const archived = await harness.run(['archive', '--table', 'runs', '--older-than', '0d', '--json'], later);
    expect(archived.code, archived.stderr).toBe(0);
    const manifestId = JSON.parse(archived.stdout).archives[0].manifestId as string;
    const [row] = await withStore(harness, (store) => store.listRuns(10, 'archive'));
    expect(row).toMatchObject({ command: 'archive', target: 'agg_runs', status: 'succeeded', args: ['archive', '--table', 'runs', '--older-than', '0d', '--json'], counts: { archived: 2, archives: 1, chunks: 2 } });
    expect(row!.runId).toMatch(/^ar-\d{8}-\d{6}-[0-9a-f]{6}$/);
    await withStore(harness, async (store) => expect(await store.listLeases()).toEqual([]));

    const runs = await harness.run(['runs', '--command', 'archive'], later);
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`^${row!.runId}\\s.*2 archived`, 'm'));
    // agg status lists the newest archive run with the cron jobs' runs.
    const status = await harness.run(['status', '--json'], later);
    expect(JSON.parse(status.stdout).runs.last).toContainEqual(expect.objectContaining({ command: 'archive', runId: row!.runId, status: 'succeeded' }));
    expect((await harness.run(['status'], later)).stdout).toMatch(new RegExp(`^\\s*${row!.runId}\\s.*2 archived\\s+-`, 'm'));

    const dryRestore = await harness.run(['archive', '--restore', manifestId, '--dry-run'], later);
    expect(dryRestore.code, dryRestore.stderr).toBe(0);
    await withStore(harness, async (store) => expect(await store.listRuns(10, 'archive')).toHaveLength(1));

    const restored = await harness.run(['archive', '--restore', manifestId, '--json'], later);
    expect(restored.code, restored.stderr).toBe(0);
    const rows = await withStore(harness, (store) => store.listRuns(10, 'archive'));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.target === `restore:${manifestId}`)).toMatchObject({ status: 'succeeded', counts: { inserted: 2, identical: 0, conflicting: 0, skippedRetained: 0 } });
    const shown = await harness.run(['runs', 'show', rows.find((r) => r.target === `restore:${manifestId}`)!.runId], later);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/rows restored\s+2/);
  });
});
