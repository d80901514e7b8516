import { murmur3_32 } from './hash/murmur3.js';

// Per-user rollout (shared by the CLI and by the Convex query the app calls).
//
// A user's bucket is MurmurHash3 x86_32 (seed 0) of the UTF-8 text `flag:salt:userId`, modulo 10,000:
// a fixed number in 0–9,999. The user is in when bucket < basisPoints, where basisPoints is the
// percentage × 100 (12.34 % → 1234). Raising the percentage only adds users, lowering it removes
// exactly those at or above the new threshold, and the salt (fixed per flag at creation) keeps
// assignments from reshuffling. Overrides win over the percentage; a rollback wins over everything.

export const BUCKETS = 10_000;

export function rolloutBucket(flag: string, salt: string, userId: string): number {
  return murmur3_32(`${flag}:${salt}:${userId}`) % BUCKETS;
}

export interface RolloutState {
  readonly flag: string;
  readonly salt: string;
  readonly basisPoints: number;
  readonly rolledBack: boolean;
}

export type RolloutReason =
  | { readonly kind: 'rolled-back' }
  | { readonly kind: 'override'; readonly mode: 'allow' | 'deny' }
  | { readonly kind: 'bucket'; readonly bucket: number; readonly threshold: number };

export interface RolloutDecision {
  readonly included: boolean;
  readonly reason: RolloutReason;
}

export function decideRollout(state: RolloutState, userId: string, override: 'allow' | 'deny' | null): RolloutDecision {
  if (state.rolledBack) return { included: false, reason: { kind: 'rolled-back' } };
  if (override !== null) return { included: override === 'allow', reason: { kind: 'override', mode: override } };
  const bucket = rolloutBucket(state.flag, state.salt, userId);
  return { included: bucket < state.basisPoints, reason: { kind: 'bucket', bucket, threshold: state.basisPoints } };
}

export function describeDecision(decision: RolloutDecision): string {
  const { reason } = decision;
  switch (reason.kind) {
    case 'rolled-back':
      return 'out: the flag is rolled back (kill switch); overrides are kept but ignored until re-enabled';
    case 'override':
      return `${decision.included ? 'in' : 'out'}: ${reason.mode === 'allow' ? 'enabled' : 'disabled'} by override`;
    case 'bucket':
      return decision.included
        ? `in: bucket ${reason.bucket} < threshold ${reason.threshold}`
        : `out: bucket ${reason.bucket} ≥ threshold ${reason.threshold}`;
  }
}

/** 12.34 (percent) → 1234; null when not a percentage with at most two decimals in 0–100. */
export function percentToBasisPoints(percent: number): number | null {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) return null;
  const basisPoints = Math.round(percent * 100);
  return Math.abs(basisPoints - percent * 100) < 1e-6 ? basisPoints : null;
}

export function formatBasisPoints(basisPoints: number): string {
  return `${(basisPoints / 100).toFixed(2)}%`;
}
