import type { z } from 'zod';
import { sha256Hex } from '../../core/hash/sha256.js';
import type { JsonValue } from '../../core/json.js';
import { batchBySize, jsonBytes } from '../batching.js';
import { StoreIntegrityError } from '../errors.js';
import type {
  AggregationDigest,
  AggregationKey,
  AggregationWrite,
  DeleteOutcome,
  DeletionKey,
  Page,
  PageRequest,
  RefreshItem,
  RefreshOutcome,
  StoredAggregation,
  UpsertOptions,
  UpsertOutcome,
} from '../types.js';
import { CHUNK_CHARS, SHARED_MIN_BYTES, fitsInline, splitText } from '../value-limits.js';
import { chunkKeyAnswer, chunkTextAnswer, deleteChunksAnswer, digestAnswer, readAnswer, refreshAnswer, removeAnswer, upsertAnswer } from './answers.js';
import { CHUNKS_PER_DELETE, ITEMS_BYTES_BUDGET, SHARED_ITEM_EXTRA_COST, aggregationDocBytes, refreshCost, removeCost, upsertCost } from './call-costs.js';
import { HEADERS_PER_CALL, KEYS_PER_CALL } from './call-counts.js';
import { type ContentKey, type HeaderEntry, deleteContents, entryKey, putContents, sendHeaders } from './contents.js';
import type { ConvexCalls } from './convex-calls.js';

// Stored aggregations over a Convex deployment (aggregations:*): tiny data inline in its header, the
// rest as the user's shared content for its dataHash (stored once however many filter sets give it;
// contents.ts), read back against the dataHash. Rows of the old layout keep chunks of their own.

type ChunkKey = z.infer<typeof chunkKeyAnswer>;

export async function listDigests(calls: ConvexCalls, userId: string): Promise<AggregationDigest[]> {
  const digests = await calls.all('aggregations:digests', { userId }, digestAnswer, 2000);
  return digests.map(({ chunkCount, ...digest }) => digest);
}

export async function upsertAggregations(calls: ConvexCalls, items: readonly AggregationWrite[], options: UpsertOptions = {}): Promise<UpsertOutcome> {
  const totals = { written: 0, unchanged: 0, bytesWritten: 0 };
  const entries: HeaderEntry[] = [];
  for (const item of items) {
    const header = {
      userId: item.userId,
      aggregationType: item.aggregationType,
      filterHash: item.filterHash,
      version: item.version,
      filters: { timeframe: item.filters.timeframe, product: item.filters.product, topics: [...item.filters.topics], channels: [...item.filters.channels] },
      dataHash: item.dataHash,
      asOf: item.asOf,
      timeZone: item.timeZone,
      computedAt: item.computedAt,
      expiresAt: item.expiresAt,
      metadata: item.metadata,
      ...(item.recordsRevision ? { recordsRevision: item.recordsRevision } : {}),
    };
    const inline = fitsInline({ bytes: item.metadata.bytes, longestArray: item.longestArray, widestObject: item.widestObject, depth: item.depth });
    // The call reads the row stored at the key (same key, same filters: a header of the same size) and writes the new one.
    const headerBytes = jsonBytes(header) + 32;
    const key = entryKey(item);
    if (inline && item.metadata.bytes < SHARED_MIN_BYTES) {
      const cost = upsertCost(aggregationDocBytes(item.metadata.bytes, headerBytes), aggregationDocBytes(item.replacedBytes, headerBytes));
      entries.push({ key, args: { ...header, chunkCount: 0, dataJson: item.json }, cost, content: null });
    } else {
      // The user's shared content for the dataHash. Data of one piece comes along (stored only if the user
      // lacks it: the header needs no second call); larger data is put only when the deployment asks.
      const chunkCount = splitText(item.json, CHUNK_CHARS).length;
      const along = chunkCount === 1;
      const cost =
        upsertCost(aggregationDocBytes(0, headerBytes) + (along ? 2 * item.metadata.bytes : 0), aggregationDocBytes(item.replacedBytes, headerBytes)) + SHARED_ITEM_EXTRA_COST;
      entries.push({
        key,
        args: { ...header, chunkCount, shared: true, ...(along ? { contentText: item.json } : {}) },
        cost,
        content: { userId: item.userId, dataHash: item.dataHash, json: item.json },
      });
    }
  }
  // A forced rewrite puts the pieces of contents already stored again too (a damaged piece is repaired).
  if (options.force === true) await putContents(calls, entries.map((entry) => entry.content).filter((content) => content !== null));
  const staleChunks: ChunkKey[] = [];
  const staleContents: ContentKey[] = [];
  await sendHeaders(calls, entries, HEADERS_PER_CALL, async (batch) => {
    const outcome = await calls.mutation('aggregations:upsert', { items: batch, force: options.force === true }, upsertAnswer);
    totals.written += outcome.written;
    totals.unchanged += outcome.unchanged;
    totals.bytesWritten += outcome.bytesWritten;
    staleChunks.push(...outcome.staleChunks);
    staleContents.push(...outcome.staleContents);
    return outcome.needsContent.map(entryKey);
  });
  // After every header went in: the deployment re-checks each content, so one a later batch took up again stays.
  await deleteChunkSets(calls, staleChunks);
  await deleteContents(calls, staleContents);
  return totals;
}

async function deleteChunkSets(calls: ConvexCalls, keys: readonly ChunkKey[]): Promise<void> {
  for (const key of keys) {
    for (;;) {
      const outcome = await calls.mutation('aggregations:deleteChunks', { ...key, limit: CHUNKS_PER_DELETE }, deleteChunksAnswer);
      if (outcome.done) break;
    }
  }
}

export async function refreshAggregations(calls: ConvexCalls, items: readonly RefreshItem[]): Promise<RefreshOutcome> {
  let refreshed = 0;
  const mismatched: AggregationKey[] = [];
  for (const batch of batchBySize(items, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (item) => refreshCost(item.storedBytes))) {
    const args = batch.map(({ userId, aggregationType, filterHash, version, dataHash, expiresAt, recordsRevision, computedAt, renewal }) => ({
      userId,
      aggregationType,
      filterHash,
      version,
      dataHash,
      expiresAt,
      ...(recordsRevision != null ? { recordsRevision } : {}),
      ...(computedAt !== undefined ? { computedAt } : {}),
      ...(renewal ? { renewal: true } : {}),
    }));
    const outcome = await calls.mutation('aggregations:refresh', { items: args }, refreshAnswer);
    refreshed += outcome.refreshed;
    mismatched.push(...outcome.mismatched);
  }
  return { refreshed, mismatched };
}

export async function pageAllDigests(calls: ConvexCalls, request: PageRequest): Promise<Page<AggregationDigest>> {
  const page = await calls.page('aggregations:allDigests', {}, digestAnswer, request, 2000);
  return { ...page, items: page.items.map(({ chunkCount, ...digest }) => digest) };
}

export async function readAggregation(calls: ConvexCalls, key: AggregationKey): Promise<StoredAggregation | null> {
  const answer = await calls.query('aggregations:read', { userId: key.userId, aggregationType: key.aggregationType, filterHash: key.filterHash }, readAnswer);
  return answer && assemble(calls, answer);
}

/** Inline data as it is; chunked or shared data read back (unless it came along), checked against its hash, and parsed. */
async function assemble(calls: ConvexCalls, answer: NonNullable<z.infer<typeof readAnswer>>): Promise<StoredAggregation> {
  const { chunkCount, data, shared, json, ...rest } = answer;
  if (chunkCount === 0 && shared !== true) return { ...rest, data: data as JsonValue };
  let text = json;
  if (text === undefined) {
    const chunks =
      shared === true
        ? await calls.all('contents:readContent', { userId: answer.userId, dataHash: answer.dataHash }, chunkTextAnswer, 64)
        : await calls.all(
            'aggregations:readChunks',
            { userId: answer.userId, aggregationType: answer.aggregationType, filterHash: answer.filterHash, dataHash: answer.dataHash },
            chunkTextAnswer,
            64,
          );
    text = chunks.length === chunkCount ? chunks.map((chunk) => chunk.text).join('') : '';
  }
  if (sha256Hex(text) !== answer.dataHash) {
    throw new StoreIntegrityError(`stored ${shared === true ? 'shared content' : 'chunks'} of ${answer.aggregationType} for user ${answer.userId} do not match their dataHash`);
  }
  return { ...rest, data: JSON.parse(text) as JsonValue };
}

export async function pageUserAggregations(calls: ConvexCalls, userId: string, request: PageRequest): Promise<Page<StoredAggregation>> {
  const page = await calls.page('aggregations:forUser', { userId }, readAnswer.unwrap(), request, 500);
  const items: StoredAggregation[] = [];
  for (const answer of page.items) items.push(await assemble(calls, answer));
  return { ...page, items };
}

export async function deleteAggregations(calls: ConvexCalls, keys: readonly DeletionKey[]): Promise<DeleteOutcome> {
  const totals = { deleted: 0, missing: 0, bytesFreed: 0 };
  for (const batch of batchBySize(keys, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (key) => removeCost(key.storedBytes))) {
    const args = batch.map((key) => ({
      userId: key.userId,
      aggregationType: key.aggregationType,
      filterHash: key.filterHash,
      ...(key.onlyIfExpiresBefore !== undefined ? { onlyIfExpiresBefore: key.onlyIfExpiresBefore } : {}),
      ...(key.onlyIfDataHash !== undefined ? { onlyIfDataHash: key.onlyIfDataHash } : {}),
    }));
    const outcome = await calls.mutation('aggregations:remove', { keys: args }, removeAnswer);
    totals.deleted += outcome.deleted;
    totals.missing += outcome.missing;
    totals.bytesFreed += outcome.bytesFreed;
    await deleteChunkSets(calls, outcome.staleChunks);
    await deleteContents(calls, outcome.staleContents);
  }
  return totals;
}

export async function pageExpired(calls: ConvexCalls, before: string, request: PageRequest): Promise<Page<AggregationDigest>> {
  const page = await calls.page('aggregations:pageExpired', { before }, digestAnswer, request, 2000);
  return { ...page, items: page.items.map(({ chunkCount, ...digest }) => digest) };
}
