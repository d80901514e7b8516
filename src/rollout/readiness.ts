import pLimit from 'p-limit';
import { expectedAggregations } from '../core/expected-aggregations.js';
import type { Store } from '../store/store.js';

// Readiness for --require-validated

export interface Refusal {
  readonly userId: string;
  readonly reasons: string[];
}

/**
 * Why each user is not ready to be served pre-computed results: no validation yet, a latest
 * validation that was not clean, or expected aggregations (grid and the user's filter combinations,
 * every type) missing from the store.
 */
export async function readinessRefusals(store: Store, userIds: readonly string[]): Promise<Refusal[]> {
  const validations = new Map((await store.getValidations(userIds)).map((v) => [v.userId, v]));
  const limit = pLimit(8);
  const refusals = await Promise.all(
    userIds.map((userId) =>
      limit(async (): Promise<Refusal | null> => {
        const reasons: string[] = [];
        const validation = validations.get(userId);
        if (!validation) reasons.push('never validated (run agg validate)');
        else if (!validation.clean) {
          const counts = Object.entries(validation.counts)
            .filter(([status, n]) => status !== 'match' && (n ?? 0) > 0)
            .map(([status, n]) => `${status} ${n}`)
            .join(', ');
          reasons.push(`latest validation (run ${validation.runId}, ${validation.validatedAt}) not clean${counts ? `: ${counts}` : ''}`);
        }
        const [digests, combinations] = await Promise.all([store.listDigests(userId), store.listFilterCombinations(userId)]);
        const present = new Set(digests.map((d) => `${d.aggregationType}/${d.filterHash}`));
        const expected = expectedAggregations(combinations);
        const missing = expected.filter((e) => !present.has(`${e.aggregationType}/${e.filterHash}`)).length;
        if (missing > 0) reasons.push(`${missing} of ${expected.length} expected aggregations missing (run agg backfill)`);
        return reasons.length > 0 ? { userId, reasons } : null;
      }),
    ),
  );
  return refusals.filter((r): r is Refusal => r !== null);
}
