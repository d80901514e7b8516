import pLimit from 'p-limit';
import type { z } from 'zod';
import { batchBySize } from '../batching.js';
import { StoreError } from '../errors.js';
import { CHUNK_CHARS, splitText } from '../value-limits.js';
import { countAnswer, deleteContentsAnswer, type contentKeyAnswer } from './answers.js';
import { CHUNKS_PER_DELETE, ITEMS_BYTES_BUDGET, contentDeleteCost, putChunkCost } from './call-costs.js';
import { PARALLEL_WRITES } from './call-counts.js';
import type { ConvexCalls } from './convex-calls.js';

// The client's half of shared content (src/component/lib/contentRows.ts has the protocol): headers go
// first; the ones whose content is not stored yet come back as needed, their pieces go in, and they go
// again saying so. Contents no header refers to any more are deleted by the component in the same
// transaction; their pieces follow here.

export type ContentKey = z.infer<typeof contentKeyAnswer>;

/** A header on its way in: its call arguments, what the call costs, and its shared content if any. */
export interface HeaderEntry {
  readonly key: string;
  readonly args: Record<string, unknown>;
  readonly cost: number;
  readonly content: { readonly userId: string; readonly dataHash: string; readonly json: string } | null;
}

/** How often a header is sent again after its content was put (another writer or a cleanup may delete it meanwhile). */
const CONTENT_ATTEMPTS = 4;

/**
 * Sends headers in batches (in parallel: they touch disjoint keys) until none needs its content any
 * more; `send` returns the keys of the ones that did (`entryKey` form).
 */
export async function sendHeaders(
  calls: ConvexCalls,
  entries: readonly HeaderEntry[],
  maxPerCall: number,
  send: (batch: Record<string, unknown>[]) => Promise<string[]>,
): Promise<void> {
  let pending = entries;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === CONTENT_ATTEMPTS) {
      throw new StoreError(`the shared content of ${pending.length} result(s) kept being deleted while they were written; try again`, 'transient');
    }
    const needed = new Set<string>();
    const limit = pLimit(PARALLEL_WRITES);
    await Promise.all(
      batchBySize(pending, maxPerCall, ITEMS_BYTES_BUDGET, (entry) => entry.cost).map((batch) =>
        limit(async () => {
          for (const key of await send(batch.map((entry) => entry.args))) needed.add(key);
        }),
      ),
    );
    const again = pending.filter((entry) => needed.has(entry.key));
    if (again.length === 0) return;
    await putContents(calls, again.map((entry) => entry.content).filter((content) => content !== null));
    pending = again.map((entry) => ({ ...entry, args: { ...entry.args, contentWritten: true } }));
  }
}

export function entryKey(key: { userId: string; aggregationType: string; filterHash: string }): string {
  return `${key.userId}\u0000${key.aggregationType}\u0000${key.filterHash}`;
}

const contentId = (key: { userId: string; dataHash: string }): string => `${key.userId}\u0000${key.dataHash}`;

/** Puts the pieces of each distinct content once. */
export async function putContents(calls: ConvexCalls, contents: readonly { userId: string; dataHash: string; json: string }[]): Promise<void> {
  const seen = new Set<string>();
  const chunks: { userId: string; dataHash: string; seq: number; text: string }[] = [];
  for (const content of contents) {
    const id = contentId(content);
    if (seen.has(id)) continue;
    seen.add(id);
    splitText(content.json, CHUNK_CHARS).forEach((text, seq) => chunks.push({ userId: content.userId, dataHash: content.dataHash, seq, text }));
  }
  for (const batch of batchBySize(chunks, 64, ITEMS_BYTES_BUDGET, (chunk) => putChunkCost(chunk.text))) {
    await calls.mutation('contents:putContentChunks', { chunks: batch }, countAnswer);
  }
}

/**
 * Deletes the pieces of deleted contents (a content written again meanwhile stays), several small ones
 * per call; with `orphanAfterMs`, unreferenced heads at least that old are deleted first (cleanup).
 */
export async function deleteContents(calls: ConvexCalls, keys: readonly ContentKey[], orphanAfterMs?: number): Promise<{ deleted: number; bytesFreed: number }> {
  const total = { deleted: 0, bytesFreed: 0 };
  const unique = [...new Map(keys.map((key) => [contentId(key), key])).values()];
  for (const batch of batchBySize(unique, 500, ITEMS_BYTES_BUDGET, contentDeleteCost)) {
    let pending: readonly ContentKey[] = batch;
    while (pending.length > 0) {
      // A batch whose pieces fit the budget goes in one call; a large content a few pieces at a time.
      const fits = pending.reduce((n, key) => n + contentDeleteCost(key), 0) <= ITEMS_BYTES_BUDGET;
      const limit = fits ? pending.reduce((n, key) => n + key.chunkCount, 0) + 1 : CHUNKS_PER_DELETE;
      const outcome = await calls.mutation(
        'contents:deleteContents',
        { keys: pending, limit, ...(orphanAfterMs !== undefined ? { orphanAfterMs } : {}) },
        deleteContentsAnswer,
      );
      total.deleted += outcome.deleted;
      total.bytesFreed += outcome.bytesFreed;
      if (outcome.pending.length >= pending.length && outcome.deleted === 0) {
        throw new StoreError('contents:deleteContents made no progress', 'permanent');
      }
      pending = outcome.pending;
    }
  }
  return total;
}
