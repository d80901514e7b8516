import { type Eligibility, type EligibilityPolicy, OPEN_POLICY, checkEligibility } from '../core/eligibility.js';
import { decideUnder } from '../core/rollout-plan.js';
import { type RolloutDecision, decideRollout, rolloutBucket } from '../core/rollout.js';
import type { OverrideMode, RolloutEvent, RolloutFlag, UserSummary } from '../store/types.js';
import type { Store } from '../store/store.js';
import { Overrides, stateOf } from './overrides.js';
import { paginate } from '../store/paginate.js';

// Status, --check, --history

/** Calls `each` for every user with records, page by page (never all in memory). */
export async function forEachKnownUser(store: Store, each: (userId: string) => void | Promise<void>): Promise<void> {
  await forEachKnownUserSummary(store, (user) => each(user.userId));
}

export async function forEachKnownUserSummary(store: Store, each: (user: UserSummary) => void | Promise<void>): Promise<void> {
  for await (const user of paginate((page) => store.listUsers(page))) await each(user);
}

/** The eligibility policy a flag carries (a flag that does not exist lets nobody in anyway). */
export function policyOf(flag: RolloutFlag | null): EligibilityPolicy {
  return flag ? { minRecords: flag.minRecords, requireFreshGrid: flag.requireFreshGrid } : OPEN_POLICY;
}

export interface RolloutStatus {
  readonly flag: string;
  readonly state: RolloutFlag | null;
  readonly allow: string[];
  readonly deny: string[];
  readonly knownUsers: number;
  /** Known users the app serves pre-computed results to now. */
  readonly usersIn: number;
  /** Of them, in by bucket / by an allow override; known users kept out by a deny override. */
  readonly inByBucket: number;
  readonly inByOverride: number;
  readonly outByOverride: number;
  /** In the rollout but not eligible (too few records, stale grid): the app computes for them. */
  readonly heldBack: number;
  /** Known users the app actually serves pre-computed results to: in and eligible. */
  readonly usersServed: number;
  readonly events: RolloutEvent[];
}

/** `onServed` hears of each user the app serves pre-computed results (in the rollout and eligible). */
export async function readStatus(store: Store, flag: string, eventLimit: number, now: string, onServed?: (userId: string) => void): Promise<RolloutStatus> {
  const state = await store.getFlag(flag);
  const overrides = await Overrides.read(store, flag);
  const counts = { knownUsers: 0, usersIn: 0, inByBucket: 0, inByOverride: 0, outByOverride: 0, heldBack: 0, usersServed: 0 };
  const policy = policyOf(state);
  await forEachKnownUserSummary(store, (user) => {
    const userId = user.userId;
    counts.knownUsers++;
    const decision = decideUnder(stateOf(state), userId, overrides.lookup);
    if (decision.included) {
      if (checkEligibility(policy, user, now).eligible) {
        counts.usersServed++;
        onServed?.(userId);
      }
      else counts.heldBack++;
    }
    if (decision.included) counts.usersIn++;
    if (decision.reason.kind === 'bucket' && decision.included) counts.inByBucket++;
    if (decision.reason.kind === 'override') {
      if (decision.included) counts.inByOverride++;
      else counts.outByOverride++;
    }
  });
  return { flag, state, allow: overrides.list('allow'), deny: overrides.list('deny'), ...counts, events: state ? await store.listFlagEvents(flag, eventLimit) : [] };
}

export interface UserCheck {
  readonly flag: string;
  readonly userId: string;
  readonly exists: boolean;
  readonly decision: RolloutDecision;
  /** Whether the app serves the user pre-computed results: in the rollout and eligible. */
  readonly served: boolean;
  readonly eligibility: Eligibility;
  readonly policy: EligibilityPolicy;
  readonly bucket: number | null;
  readonly threshold: number | null;
  readonly override: OverrideMode | null;
  readonly rolledBack: boolean;
  /** Whether the store knows the user at all (has records or results). */
  readonly userKnown: boolean;
  /** The user's stored results, and how many have expired (the app computes those itself). */
  readonly results: { readonly total: number; readonly expired: number };
}

export async function checkUser(store: Store, flag: string, userId: string, now: string): Promise<UserCheck> {
  const state = await store.getFlag(flag);
  const user = await store.getUser(userId);
  const facts = { recordCount: user?.recordCount ?? 0, gridFreshUntil: user?.gridFreshUntil ?? null };
  const policy = policyOf(state);
  const eligibility = checkEligibility(policy, facts, now);
  const digests = await store.listDigests(userId);
  const results = { total: digests.length, expired: digests.filter((digest) => digest.expiresAt < now).length };
  const userKnown = user !== null || digests.length > 0;
  if (state === null) {
    return { flag, userId, exists: false, decision: { included: false, reason: { kind: 'rolled-back' } }, served: false, eligibility, policy, bucket: null, threshold: null, override: null, rolledBack: false, userKnown, results };
  }
  const overrides = await Overrides.read(store, flag);
  const override = overrides.lookup(userId);
  const decision = decideRollout(state, userId, override);
  return {
    flag,
    userId,
    exists: true,
    decision,
    served: decision.included && eligibility.eligible,
    eligibility,
    policy,
    bucket: rolloutBucket(state.flag, state.salt, userId),
    threshold: state.rolledBack ? 0 : state.basisPoints,
    override,
    rolledBack: state.rolledBack,
    userKnown,
    results,
  };
}
