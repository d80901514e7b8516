// A simulated Convex deployment for the latency benchmark: answers the internal functions ConvexStore
// calls during a backfill, from an embedded store, in its own thread (as a real deployment runs its
// functions elsewhere). The functions' own logic is covered by the contract suite on convex-test.
import { parentPort } from 'node:worker_threads';
import type { AggregationType } from '../../src/core/aggregations/definition.js';
import { toStoredRecord } from '../../src/store/record-codec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AggregationWrite, RunRecord } from '../../src/store/types.js';

// In memory: the simulated deployment should cost as little of this machine as possible.
const store = SqliteStore.open(':memory:');
const chunks = new Map<string, string[]>();
/** Pieces of shared contents, by user and dataHash. */
const contents = new Map<string, string[]>();

type Args = Record<string, any>;
const page = <T>(items: T[], isDone = true, cursor: string | null = null) => ({ page: items, isDone, continueCursor: cursor ?? '' });
const pageRequest = (args: Args) => ({ cursor: (args.paginationOpts.cursor as string | null) || null, limit: args.paginationOpts.numItems as number });

const handlers: Record<string, (args: Args) => Promise<unknown>> = {
  /** Seeding only (not a function ConvexStore calls during a backfill). */
  'seed:records': async (args) => store.putRecords({ userId: args.userId, records: args.records, change: args.change }),
  'records:listUsers': async (args) => {
    const result = await store.listUsers(pageRequest(args));
    return page(result.items, result.isDone, result.cursor);
  },
  'records:page': async (args) => {
    const result = await store.pageRecords(args.userId, pageRequest(args));
    return page(result.items.map(toStoredRecord), result.isDone, result.cursor);
  },
  'aggregations:digests': async (args) => page((await store.listDigests(args.userId)).map((d) => ({ ...d, chunkCount: 0 }))),
  'filterCombinations:forUser': async (args) => page(await store.listFilterCombinations(args.userId)),
  'aggregations:putChunks': async (args) => {
    for (const chunk of args.chunks) {
      const key = `${chunk.userId}|${chunk.aggregationType}|${chunk.filterHash}|${chunk.dataHash}`;
      const list = chunks.get(key) ?? [];
      list[chunk.seq] = chunk.text;
      chunks.set(key, list);
    }
    return args.chunks.length;
  },
  'contents:putContentChunks': async (args) => {
    for (const chunk of args.chunks) {
      const key = `${chunk.userId}|${chunk.dataHash}`;
      const list = contents.get(key) ?? [];
      list[chunk.seq] = chunk.text;
      contents.set(key, list);
    }
    return args.chunks.length;
  },
  // As the component does: a shared item whose content is not there yet comes back as needed.
  'aggregations:upsert': async (args) => {
    const needsContent: Args[] = [];
    const items: AggregationWrite[] = [];
    for (const item of args.items as Args[]) {
      const { dataJson, shared, contentWritten, contentText, ...header } = item;
      if (shared === true && contentText !== undefined) contents.set(`${item.userId}|${item.dataHash}`, [contentText]);
      const content = shared === true ? contents.get(`${item.userId}|${item.dataHash}`) : undefined;
      if (shared === true && (content === undefined || content.length !== item.chunkCount)) {
        needsContent.push({ userId: item.userId, aggregationType: item.aggregationType, filterHash: item.filterHash });
        continue;
      }
      const json = shared === true ? content!.join('') : item.chunkCount > 0 ? chunks.get(`${item.userId}|${item.aggregationType}|${item.filterHash}|${item.dataHash}`)!.join('') : (dataJson as string);
      items.push({ ...header, aggregationType: item.aggregationType as AggregationType, json, longestArray: 0, widestObject: 0, depth: 0 } as AggregationWrite);
    }
    return { ...(await store.upsertAggregations(items, { force: args.force })), staleChunks: [], staleContents: [], needsContent };
  },
  'contents:deleteContents': async () => ({ deleted: 0, bytesFreed: 0, pending: [] }),
  'changes:forUser': async (args) => page(await store.listChanges(args.userId)),
  'records:getUser': async (args) => store.getUser(args.userId),
  'records:raiseGridFreshness': async (args) => store.raiseGridFreshness(args.users, args.now),
  'aggregations:deleteChunks': async () => ({ deleted: 0, done: true }),
  'aggregations:refresh': async (args) => store.refreshAggregations(args.items),
  'records:setGridFreshness': async (args) => (await store.setGridFreshness(args.userId, args.freshUntil), null),
  'changes:markProcessed': async (args) => store.markChangesProcessed(args.userId, args.changes, args.at),
  'runs:putRun': async (args) => (await store.putRun(args.run as RunRecord), null),
  'runs:getRun': async (args) => store.getRun(args.runId),
  'runs:listRuns': async (args) => store.listRuns(args.limit, args.command),
  'runs:acquireLease': async (args) =>
    store.acquireLease({ name: args.name, holder: args.holder, runId: args.runId, now: args.now, ttlMs: Date.parse(args.expiresAt) - Date.parse(args.now), force: args.force }),
  'runs:releaseLease': async (args) => store.releaseLease(args.name, args.holder),
};

parentPort!.on('message', async ({ id, name, args }: { id: number; name: string; args: string }) => {
  const handler = handlers[name];
  try {
    if (!handler) throw new Error(`the simulated deployment has no function ${name}`);
    parentPort!.postMessage({ id, value: JSON.stringify((await handler(JSON.parse(args) as Args)) ?? null) });
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
