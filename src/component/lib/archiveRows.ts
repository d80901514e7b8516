import { canonicalJson } from '../../core/json.js';
import type { Doc } from '../_generated/dataModel.js';
import type { recordValidator } from '../validators.js';

// The comparisons behind "delete only if unchanged since export" and "restore only where the key is
// free": a stored document against the archived copy of its row, field by field.

type StoredRecord = typeof recordValidator.type;

const RECORD_FIELDS = ['recordId', 'watchedAt', 'videoId', 'videoTitle', 'videoUrl', 'channelTitle', 'channelUrl', 'product', 'topics', 'isAd'] as const;

export function recordOfDoc(doc: Doc<'watch_records'>): StoredRecord {
  const { _id, _creationTime, userId, ...record } = doc;
  return record;
}

export function sameStoredRecord(doc: Doc<'watch_records'>, record: StoredRecord): boolean {
  const stored = doc as unknown as Record<string, unknown>;
  const archived = record as unknown as Record<string, unknown>;
  return RECORD_FIELDS.every((field) => canonicalJson(stored[field] ?? null) === canonicalJson(archived[field] ?? null));
}

export { type AggregationHeaderView, headerText } from '../../core/aggregation-header.js';

export function changeText(entry: Omit<Doc<'data_change_log'>, '_id' | '_creationTime'>): string {
  return canonicalJson({
    changeId: entry.changeId,
    userId: entry.userId,
    changeType: entry.changeType,
    recordCount: entry.recordCount,
    changedAt: entry.changedAt,
    processed: entry.processed,
    processedAt: entry.processedAt,
    revision: entry.revision ?? null,
  });
}

export function runText(run: Omit<Doc<'agg_runs'>, '_id' | '_creationTime'>): string {
  return canonicalJson({
    runId: run.runId,
    command: run.command,
    args: run.args,
    target: run.target,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    status: run.status,
    counts: run.counts,
    checkpoint: run.checkpoint ?? null,
    heartbeatAt: run.heartbeatAt,
  });
}

/** Approximate stored size of a document: the UTF-8 length of its JSON, system fields left out. */
export function documentBytes(doc: Record<string, unknown>): number {
  const { _id, _creationTime, ...fields } = doc;
  return new TextEncoder().encode(JSON.stringify(fields)).length;
}
