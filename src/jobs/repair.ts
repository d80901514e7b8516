import pLimit from 'p-limit';
import type { AggregationType } from '../core/aggregations/definition.js';
import type { Filters } from '../core/filters.js';
import type { Store } from '../store/store.js';
import type { DeletionKey, ValidationStatus } from '../store/types.js';
import { backfillUser } from './backfill-user.js';
import type { Finding } from './validate-user.js';

// validate --repair: exactly the rows found broken, per user. Drifted rows are rewritten in full;
// stale, missing and outdated ones recomputed through the backfill path (a stale one equal to its data
// only gets its new revision); orphans deleted only if still holding what was found.

const REWRITE: ReadonlySet<ValidationStatus> = new Set(['drift', 'stale', 'missing', 'outdated']);

export interface UserRepair {
  readonly rewrite: Partial<Record<ValidationStatus, number>>;
  /** Exactly the results to rewrite: drifted ones in full, the others recomputed. */
  readonly keys: Map<string, 'force' | 'recompute'>;
  readonly orphans: DeletionKey[];
  readonly timeZone: string;
  /** The records revision the validation judged against. */
  readonly revision: string | null;
}

export interface RepairOutcome {
  readonly applied: boolean;
  readonly usersToRewrite: number;
  readonly rewrite: Partial<Record<ValidationStatus, number>>;
  readonly orphansToDelete: number;
  /** Rows rewritten with their data. */
  readonly written: number;
  /** Rows recomputed and found equal (stale ones): only their revision, expiresAt and computedAt written. */
  readonly refreshed: number;
  readonly deleted: number;
  readonly failed: { userId: string; error: string }[];
}

/** Adds one finding of a validated user to the plan (`timeZone` and `revision` from that user's validation). */
export function planRepair(repairs: Map<string, UserRepair>, finding: Finding, user: { readonly timeZone: string | null; readonly revision: string | null }): void {
  const plan: UserRepair = repairs.get(finding.userId) ?? { rewrite: {}, keys: new Map(), orphans: [], timeZone: user.timeZone ?? 'UTC', revision: user.revision };
  if (REWRITE.has(finding.status)) {
    plan.rewrite[finding.status] = (plan.rewrite[finding.status] ?? 0) + 1;
    plan.keys.set(`${finding.aggregationType}|${finding.filterHash}`, finding.status === 'drift' ? 'force' : 'recompute');
  }
  if (finding.status === 'orphan' && finding.dataHash) {
    plan.orphans.push({ userId: finding.userId, aggregationType: finding.aggregationType, filterHash: finding.filterHash, onlyIfDataHash: finding.dataHash });
  }
  repairs.set(finding.userId, plan);
}

export async function applyRepair(
  repairs: Map<string, UserRepair>,
  context: { store: Store; ttlMs: Readonly<Record<AggregationType, number>>; now: () => number; dryRun: boolean; concurrency: number; types: AggregationType[]; grid: Filters[] },
): Promise<RepairOutcome> {
  const rewrite: Partial<Record<ValidationStatus, number>> = {};
  let usersToRewrite = 0;
  let orphansToDelete = 0;
  for (const plan of repairs.values()) {
    if (Object.keys(plan.rewrite).length > 0) usersToRewrite++;
    for (const [status, n] of Object.entries(plan.rewrite)) rewrite[status as ValidationStatus] = (rewrite[status as ValidationStatus] ?? 0) + n;
    orphansToDelete += plan.orphans.length;
  }
  const summary = { applied: !context.dryRun, usersToRewrite, rewrite, orphansToDelete, written: 0, refreshed: 0, deleted: 0, failed: [] as { userId: string; error: string }[] };
  if (context.dryRun) return summary;
  const { store } = context;
  const limit = pLimit(context.concurrency);
  await Promise.all(
    [...repairs].map(([userId, plan]) =>
      limit(async () => {
        try {
          if (plan.orphans.length > 0) summary.deleted += (await store.deleteAggregations(plan.orphans)).deleted;
          if (Object.keys(plan.rewrite).length > 0) {
            const outcome = await backfillUser(
              userId,
              { types: context.types, grid: context.grid, asOf: null, timeZone: plan.timeZone, force: false, only: { keys: plan.keys, revision: plan.revision } },
              { store, ttlMs: context.ttlMs, now: context.now, dryRun: false, writeConcurrency: 2 },
            );
            summary.written += outcome.written;
            summary.refreshed += outcome.refreshed;
          }
        } catch (error) {
          summary.failed.push({ userId, error: (error as Error).message.split('\n')[0]! });
        }
      }),
    ),
  );
  return summary;
}
