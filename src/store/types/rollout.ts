import type { JsonValue } from '../../core/json.js';

// Rollout flags, their per-user overrides and their audit log.

export interface RolloutFlag {
  readonly flag: string;
  /** Hundredths of a percent, 0–10,000 (so 12.34 % is 1234): exact, no float drift. */
  readonly basisPoints: number;
  readonly salt: string;
  /** Kill switch: while set, nobody is in, whatever the overrides say. */
  readonly rolledBack: boolean;
  /** Eligibility policy (from agg.config.json when the flag last changed): the deployment applies it too. */
  readonly minRecords: number;
  readonly requireFreshGrid: boolean;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export const OVERRIDE_MODES = ['allow', 'deny'] as const;
export type OverrideMode = (typeof OVERRIDE_MODES)[number];

export interface RolloutOverride {
  readonly flag: string;
  readonly userId: string;
  readonly mode: OverrideMode;
}

export interface RolloutEvent {
  readonly eventId: string;
  readonly flag: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly fromBasisPoints: number | null;
  readonly toBasisPoints: number | null;
  readonly reason: string | null;
  readonly details: JsonValue;
}

/** One atomic change of a flag: the new flag state, override changes, and its audit event. */
export interface FlagChange {
  readonly flag: RolloutFlag;
  readonly setOverrides: readonly RolloutOverride[];
  readonly clearOverrides: readonly string[];
  readonly event: RolloutEvent;
  /** The flag's updatedAt the change was planned against (null: the flag must not exist yet). */
  readonly expectedUpdatedAt: string | null;
}

export type FlagChangeOutcome = { readonly applied: true } | { readonly applied: false; readonly reason: 'conflict' };
