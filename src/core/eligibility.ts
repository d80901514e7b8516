import { type RolloutDecision, type RolloutState, decideRollout } from './rollout.js';

// Who may be served pre-computed results at all (issue #8's "sufficient data" and "fresh
// aggregations"). One rule, shared by the CLI (status, --check, the drift guardrail) and by the
// deployment's isRolledOut/getAggregation, which read the same facts from user_stats.

export interface EligibilityPolicy {
  /** A user needs at least this many records (0: no minimum). */
  readonly minRecords: number;
  /** A user needs every default-grid aggregation stored and unexpired. */
  readonly requireFreshGrid: boolean;
}

export const OPEN_POLICY: EligibilityPolicy = Object.freeze({ minRecords: 0, requireFreshGrid: false });

export interface EligibilityFacts {
  readonly recordCount: number;
  /** The earliest expiresAt over the user's default-grid aggregations (all types); null when any is missing. */
  readonly gridFreshUntil: string | null;
}

export interface Eligibility {
  readonly eligible: boolean;
  /** Why not, one phrase each (empty when eligible). */
  readonly reasons: string[];
}

/** `now` is an ISO instant: the deployment's clock, or the CLI's. */
export function checkEligibility(policy: EligibilityPolicy, facts: EligibilityFacts, now: string): Eligibility {
  const reasons: string[] = [];
  if (facts.recordCount < policy.minRecords) reasons.push(`${facts.recordCount} records < ${policy.minRecords} required`);
  if (policy.requireFreshGrid) {
    if (facts.gridFreshUntil === null) reasons.push('default-grid aggregations incomplete (run agg backfill)');
    else if (facts.gridFreshUntil <= now) reasons.push(`default-grid aggregations expired at ${facts.gridFreshUntil} (run agg backfill)`);
  }
  return { eligible: reasons.length === 0, reasons };
}

export interface ServingDecision {
  /** Served pre-computed results: in the rollout and eligible. */
  readonly served: boolean;
  readonly decision: RolloutDecision;
  readonly eligibility: Eligibility;
}

/** The whole rule the app's query applies: the rollout decision, then eligibility for those in it. */
export function decideServing(state: RolloutState, userId: string, override: 'allow' | 'deny' | null, policy: EligibilityPolicy, facts: EligibilityFacts, now: string): ServingDecision {
  const decision = decideRollout(state, userId, override);
  const eligibility = checkEligibility(policy, facts, now);
  return { served: decision.included && eligibility.eligible, decision, eligibility };
}

/** The earliest of the given instants, or null when there are none or `complete` is false. */
export function earliestInstant(instants: Iterable<string>, complete: boolean): string | null {
  if (!complete) return null;
  let earliest: string | null = null;
  for (const instant of instants) if (earliest === null || instant < earliest) earliest = instant;
  return earliest;
}
