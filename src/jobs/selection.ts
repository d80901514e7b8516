import { murmur3_32 } from '../core/hash/murmur3.js';
import { sha256Hex } from '../core/hash/sha256.js';
import type { ChangeVersion } from '../store/types.js';
import type { Store } from '../store/store.js';
import { paginate } from '../store/paginate.js';

/** Which users a job covers; stored in the run ledger so a resumed run covers the same ones. */
export type Selection =
  | { readonly kind: 'users'; readonly users: readonly string[] }
  | { readonly kind: 'all' }
  | { readonly kind: 'changed' }
  /** Only the users the tick's renewal part picks (they come from Task.prepare). */
  | { readonly kind: 'expiring' }
  | { readonly kind: 'sample'; readonly count: number | null; readonly percent: number | null; readonly seed: string };

/** 1-based shard index of `count` shards. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** A user's shard is fixed by a hash of its id: the same on every machine, whatever else changes. */
export function shardOf(userId: string, count: number): number {
  return (murmur3_32(`shard:${userId}`) % count) + 1;
}

export function inShard(userId: string, shard: Shard | null): boolean {
  return shard === null || shardOf(userId, shard.count) === shard.index;
}

/** JS string order: the stable order every job walks users in, on every store. */
export function compareUserIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Deterministic sample: the same seed picks the same users (by a hash of seed and id). A count takes
 * the users of lowest rank; a share takes each user whose rank is below it, and at least the one of
 * lowest rank when the store has users, so that a small share of a small store still checks someone
 * (a sample that checked nobody would report a clean store).
 */
export function sampleUsers(users: readonly string[], selection: Extract<Selection, { kind: 'sample' }>): string[] {
  const ranked = users
    .map((userId) => ({ userId, rank: parseInt(sha256Hex(`${selection.seed}:${userId}`).slice(0, 12), 16) / 2 ** 48 }))
    .sort((a, b) => a.rank - b.rank || compareUserIds(a.userId, b.userId));
  const chosen = selection.count !== null ? ranked.slice(0, selection.count) : ranked.filter((entry, i) => i === 0 || entry.rank < selection.percent! / 100);
  return chosen.map((entry) => entry.userId).sort(compareUserIds);
}

export interface CollectedUsers {
  /** In JS string order. */
  readonly users: string[];
  /** For `changed`: each user's pending change-log entries as read now. */
  readonly changes: Map<string, ChangeVersion[]>;
}

async function allUserIds(store: Store, includeAggregationOwners: boolean): Promise<string[]> {
  const ids = new Set<string>();
  for await (const user of paginate((page) => store.listUsers(page))) ids.add(user.userId);
  if (includeAggregationOwners) {
    // Users whose records are gone but whose aggregations remain (orphans to find).
    for await (const digest of paginate((page) => store.pageAllDigests(page))) ids.add(digest.userId);
  }
  return [...ids];
}

/** The users of a selection and shard, in the order every run walks them. */
export async function collectUsers(store: Store, selection: Selection, shard: Shard | null, options: { includeAggregationOwners?: boolean } = {}): Promise<CollectedUsers> {
  const changes = new Map<string, ChangeVersion[]>();
  let users: string[];
  switch (selection.kind) {
    case 'users':
      users = [...new Set(selection.users)];
      break;
    case 'all':
      users = await allUserIds(store, options.includeAggregationOwners === true);
      break;
    case 'sample':
      users = sampleUsers(await allUserIds(store, options.includeAggregationOwners === true), selection);
      break;
    case 'expiring':
      users = [];
      break;
    case 'changed':
      users = [];
      for await (const pending of store.pendingUsers()) {
        users.push(pending.userId);
        changes.set(pending.userId, pending.changes);
      }
      break;
  }
  return { users: users.filter((userId) => inShard(userId, shard)).sort(compareUserIds), changes };
}

/** A short, stable name for what a run covers: it names the run's lease. */
export function describeSelection(selection: Selection, shard: Shard | null): string {
  let text: string;
  switch (selection.kind) {
    case 'users':
      text = selection.users.length <= 3 ? `users:${[...selection.users].sort(compareUserIds).join(',')}` : `users:${selection.users.length}:${sha256Hex([...selection.users].sort(compareUserIds).join('\n')).slice(0, 8)}`;
      break;
    case 'sample':
      text = `sample:${selection.count ?? `${selection.percent}%`}:${selection.seed}`;
      break;
    default:
      text = selection.kind;
  }
  return shard === null ? text : `${text}#${shard.index}/${shard.count}`;
}
