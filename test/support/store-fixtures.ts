import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputRecord } from '../../src/core/record.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { generateUsers } from '../../fixtures/generator.js';
import { type TestConvex, makeConvexTestStore, makeTestConvex } from './convex-test-store.js';

export interface AdapterHarness {
  readonly name: string;
  /** A fresh handle on the same data each call (what the CLI opens and closes). */
  openStore(): Store;
  readonly convex?: TestConvex;
  readonly dir?: string;
}

export const ADAPTER_FACTORIES: ReadonlyArray<[string, () => AdapterHarness]> = [
  [
    'embedded store',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'agg-e2e-'));
      return { name: 'embedded store', dir, openStore: () => SqliteStore.open(dir) };
    },
  ],
  [
    'ConvexStore on convex-test',
    () => {
      const convex = makeTestConvex();
      return { name: 'ConvexStore on convex-test', convex, openStore: () => makeConvexTestStore(convex) };
    },
  ],
];

export async function seedUsers(store: Store, users: number, records: number, seed = 'e2e'): Promise<Map<string, InputRecord[]>> {
  const seeded = new Map<string, InputRecord[]>();
  for (const user of generateUsers({ users, records, seed })) {
    await store.putRecords({ userId: user.userId, records: user.records, change: { changeId: `seed:${user.userId}`, changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
    seeded.set(user.userId, user.records);
  }
  return seeded;
}

/** What must be equal between two runs: every row's key, version, data hash and computation context. */
export async function aggregationSnapshot(store: Store): Promise<string[]> {
  const rows: string[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await store.pageAllDigests({ cursor });
    for (const d of page.items) rows.push(`${d.userId}|${d.aggregationType}|${d.filterHash}|v${d.version}|${d.dataHash}|${d.asOf}|${d.timeZone}`);
    if (page.isDone) break;
    cursor = page.cursor;
  }
  return rows.sort();
}

export async function withOpen<T>(harness: AdapterHarness, work: (store: Store) => Promise<T>): Promise<T> {
  const store = harness.openStore();
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
