import pLimit from 'p-limit';
import { UsageError } from '../errors.js';
import { SuggestionPool, didYouMean } from '../text/did-you-mean.js';
import type { Store } from '../store/store.js';
import { paginate } from '../store/paginate.js';

// The one notion of who exists, for every command that names users: a user exists when the store holds
// records or stored results for it (getUser answers, or it owns at least one stored aggregation). A
// command given a user that does not exist refuses it before anything is written (exit 2), naming
// every unknown id with the closest known ids. Knowing costs one or two calls per named user; only
// when an id is unknown does the refusal walk the store's users (page by page, keeping just the best
// few suggestions) for "did you mean".

/** Named users looked up at once. */
const LOOKUP_CONCURRENCY = 8;

/** Unknown ids that get suggestions (each one is compared with every known user); the rest are only named. */
export const SUGGESTED_UNKNOWN_IDS = 10;

/** Whether the store knows the user: it has records (or stats), or stored results. */
export async function isKnownUser(store: Store, userId: string): Promise<boolean> {
  if ((await store.getUser(userId)) !== null) return true;
  return (await store.listDigests(userId)).length > 0;
}

/** The ids the store does not know, in the order given, each once. */
export async function findUnknownUsers(store: Store, userIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(userIds)];
  const limit = pLimit(LOOKUP_CONCURRENCY);
  const known = await Promise.all(unique.map((userId) => limit(() => isKnownUser(store, userId))));
  return unique.filter((_, i) => !known[i]);
}

/**
 * The closest known users to each unknown id (at most three, closest first), from one paged walk of
 * the store's users. Users known only by their stored results (no records) are not walked: they are
 * rare, and finding them would read every stored aggregation.
 */
export async function suggestKnownUsers(store: Store, unknownIds: readonly string[]): Promise<Map<string, string[]>> {
  const pools = unknownIds.slice(0, SUGGESTED_UNKNOWN_IDS).map((userId) => new SuggestionPool(userId));
  if (pools.length > 0) {
    for await (const user of paginate((page) => store.listUsers(page))) for (const pool of pools) pool.offer(user.userId);
  }
  return new Map(pools.map((pool) => [pool.input, pool.suggestions]));
}

export interface KnownUsersRequirement {
  /** How the ids were given, for the message: `--user`, `--check`, `--enable-user`, `user` (or from the unknown ids). */
  readonly label: string | ((unknownIds: readonly string[]) => string);
  /** The command takes `--allow-unknown` for users who have no data yet: the message says so. */
  readonly allowUnknownOption?: boolean;
}

/** The one-line refusal: every unknown id, each with its suggestions. */
export function unknownUsersMessage(unknownIds: readonly string[], suggestions: ReadonlyMap<string, readonly string[]>, requirement: KnownUsersRequirement): string {
  const hintOf = (userId: string): string | null => didYouMean(suggestions.get(userId) ?? []);
  const label = typeof requirement.label === 'string' ? requirement.label : requirement.label(unknownIds);
  let head: string;
  if (unknownIds.length === 1) {
    const userId = unknownIds[0]!;
    const hint = hintOf(userId);
    head = `${label} ${userId} is not a known user: no records or stored results${hint === null ? '' : ` (${hint})`}`;
  } else {
    const named = unknownIds.map((userId) => {
      const hint = hintOf(userId);
      return hint === null ? userId : `${userId} (${hint})`;
    });
    head = `${label} names ${unknownIds.length} unknown users, with no records or stored results: ${named.join(', ')}`;
  }
  const allow = requirement.allowUnknownOption ? `; --allow-unknown accepts ${unknownIds.length === 1 ? 'a user' : 'users'} with no data yet` : '';
  return `${head}; agg users lists the known users${allow}`;
}

/**
 * Refuses (a UsageError, exit 2) when any of `userIds` is unknown to the store, naming each unknown
 * id with "did you mean" from the known ones. Call it before writing anything.
 */
export async function requireKnownUsers(store: Store, userIds: readonly string[], requirement: KnownUsersRequirement): Promise<void> {
  const unknown = await findUnknownUsers(store, userIds);
  if (unknown.length === 0) return;
  throw new UsageError(unknownUsersMessage(unknown, await suggestKnownUsers(store, unknown), requirement));
}
