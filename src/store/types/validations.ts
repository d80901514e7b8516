// Validation outcomes: one row per user, replaced by each validate run.

export const VALIDATION_STATUSES = ['match', 'drift', 'stale', 'missing', 'orphan', 'outdated', 'expired'] as const;
export type ValidationStatus = (typeof VALIDATION_STATUSES)[number];

/** The latest validation of one user: what `rollout --require-validated` and `status` read. */
export interface UserValidation {
  readonly userId: string;
  readonly runId: string;
  readonly validatedAt: string;
  /** True when every aggregation in scope matched (statuses other than `match` all count against it). */
  readonly clean: boolean;
  readonly counts: Readonly<Partial<Record<ValidationStatus, number>>>;
}
