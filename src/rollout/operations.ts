import { randomBytes, randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { InfrastructureError, UsageError } from '../errors.js';
import { expectedAggregations } from '../core/expected-aggregations.js';
import type { JsonValue } from '../core/json.js';
import { type RolloutDecision, type RolloutState, decideRollout, formatBasisPoints, rolloutBucket } from '../core/rollout.js';
import { type OverrideLookup, TransitionTally, classifyPercentChange, decideUnder, transitionOf } from '../core/rollout-plan.js';
import { type Eligibility, type EligibilityPolicy, OPEN_POLICY, checkEligibility } from '../core/eligibility.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { OverrideMode, RolloutEvent, RolloutFlag, UserSummary } from '../store/types.js';
import type { Store } from '../store/store.js';

// The rollout operations behind `agg rollout`: read, plan and change a flag. Every change is one
// applyFlagChange (the flag, its overrides and the audit event in one transaction, idempotent by a
// client-chosen eventId); when someone else changed the flag since it was read, the change is planned
// again from the new state, never applied blindly.

export const MAX_CHANGE_ATTEMPTS = 5;
/** At most this many users per override change: the audit event lists them. */
export const MAX_OVERRIDE_USERS = 1000;

export interface RolloutContext {
  readonly store: Store;
  readonly flag: string;
  readonly actor: string;
  /** Wall clock in epoch ms. */
  readonly now: () => number;
  /** The eligibility policy every change writes onto the flag (agg.config.json `rollout.eligibility`). */
  readonly policy: EligibilityPolicy;
}

export class Overrides {
  private constructor(private readonly modes: ReadonlyMap<string, OverrideMode>) {}

  static async read(store: Store, flag: string): Promise<Overrides> {
    return new Overrides(new Map((await store.listOverrides(flag)).map((o) => [o.userId, o.mode])));
  }

  static of(modes: ReadonlyMap<string, OverrideMode>): Overrides {
    return new Overrides(modes);
  }

  get lookup(): OverrideLookup {
    return (userId) => this.modes.get(userId) ?? null;
  }

  get userIds(): string[] {
    return [...this.modes.keys()];
  }

  list(mode: OverrideMode): string[] {
    return [...this.modes].filter(([, m]) => m === mode).map(([userId]) => userId).sort();
  }

  with(changes: { allow: readonly string[]; deny: readonly string[]; clear: readonly string[] }): Overrides {
    const next = new Map(this.modes);
    for (const userId of changes.clear) next.delete(userId);
    for (const userId of changes.allow) next.set(userId, 'allow');
    for (const userId of changes.deny) next.set(userId, 'deny');
    return new Overrides(next);
  }
}

function stateOf(flag: RolloutFlag | null): RolloutState | null {
  return flag && { flag: flag.flag, salt: flag.salt, basisPoints: flag.basisPoints, rolledBack: flag.rolledBack };
}

/** Calls `each` for every user with records, page by page (never all in memory). */
export async function forEachKnownUser(store: Store, each: (userId: string) => void | Promise<void>): Promise<void> {
  await forEachKnownUserSummary(store, (user) => each(user.userId));
}

export async function forEachKnownUserSummary(store: Store, each: (user: UserSummary) => void | Promise<void>): Promise<void> {
  let cursor: string | null = null;
  for (;;) {
    const page = await store.listUsers({ cursor });
    for (const user of page.items) await each(user);
    if (page.isDone) return;
    cursor = page.cursor;
  }
}

/** The eligibility policy a flag carries (a flag that does not exist lets nobody in anyway). */
export function policyOf(flag: RolloutFlag | null): EligibilityPolicy {
  return flag ? { minRecords: flag.minRecords, requireFreshGrid: flag.requireFreshGrid } : OPEN_POLICY;
}

/**
 * Moves from `before` to `after` over every known user, and over users with an override but no
 * records; `onEnter` sees each entering user (for --require-validated).
 */
async function tallyTransitions(
  store: Store,
  before: { state: RolloutState | null; overrides: Overrides },
  after: { state: RolloutState; overrides: Overrides },
  options: { keepIds: boolean; onEnter?: (userId: string) => Promise<void> },
): Promise<{ tally: TransitionTally; knownUsers: number }> {
  const tally = new TransitionTally(options.keepIds);
  const overrideUsers = new Set([...before.overrides.userIds, ...after.overrides.userIds]);
  const visit = async (userId: string): Promise<void> => {
    const transition = transitionOf(decideUnder(before.state, userId, before.overrides.lookup), decideUnder(after.state, userId, after.overrides.lookup));
    tally.add(userId, transition);
    if (transition === 'enter' && options.onEnter) await options.onEnter(userId);
  };
  let knownUsers = 0;
  await forEachKnownUser(store, async (userId) => {
    knownUsers++;
    overrideUsers.delete(userId);
    await visit(userId);
  });
  for (const userId of [...overrideUsers].sort()) await visit(userId);
  return { tally, knownUsers };
}

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

// Applying a change

interface PlannedChange {
  readonly action: string;
  readonly next: Omit<RolloutFlag, 'updatedAt' | 'updatedBy' | 'minRecords' | 'requireFreshGrid'>;
  readonly setOverrides: { userId: string; mode: OverrideMode }[];
  readonly clearOverrides: string[];
  readonly reason: string | null;
  readonly details: JsonValue;
}

/** The new updatedAt: now, but always after the previous one, so a stale plan is always detected. */
function nextInstant(now: number, previous: string | null): string {
  const after = previous === null ? Number.NEGATIVE_INFINITY : Date.parse(previous) + 1;
  return formatIsoInstant(Math.max(now, after));
}

async function apply(context: RolloutContext, current: RolloutFlag | null, planned: PlannedChange): Promise<{ applied: boolean; event: RolloutEvent; flag: RolloutFlag }> {
  const at = nextInstant(context.now(), current?.updatedAt ?? null);
  const { minRecords, requireFreshGrid } = context.policy;
  const flag: RolloutFlag = { ...planned.next, minRecords, requireFreshGrid, updatedAt: at, updatedBy: context.actor };
  const policyChanged = current === null || current.minRecords !== minRecords || current.requireFreshGrid !== requireFreshGrid;
  const details = policyChanged && planned.details !== null && typeof planned.details === 'object' && !Array.isArray(planned.details)
    ? { ...planned.details, eligibility: { minRecords, requireFreshGrid } }
    : planned.details;
  const event: RolloutEvent = {
    eventId: `evt-${randomUUID()}`,
    flag: context.flag,
    at,
    actor: context.actor,
    action: planned.action,
    fromBasisPoints: current === null ? null : current.rolledBack ? 0 : current.basisPoints,
    toBasisPoints: planned.next.rolledBack ? 0 : planned.next.basisPoints,
    reason: planned.reason,
    details,
  };
  const outcome = await context.store.applyFlagChange({
    flag,
    setOverrides: planned.setOverrides.map((o) => ({ flag: context.flag, userId: o.userId, mode: o.mode })),
    clearOverrides: planned.clearOverrides,
    event,
    expectedUpdatedAt: current?.updatedAt ?? null,
  });
  return { applied: outcome.applied, event, flag };
}

function newSalt(): string {
  return randomBytes(8).toString('hex');
}

function conflictError(flag: string): InfrastructureError {
  return new InfrastructureError(`flag ${flag} changed while this change was being planned, ${MAX_CHANGE_ATTEMPTS} times in a row; nothing was changed, try again`);
}

// --percent

export interface PercentRequest {
  readonly basisPoints: number;
  readonly allowShrink: boolean;
  readonly requireValidated: boolean;
  readonly plan: boolean;
  /** Keep the ids of users entering and leaving (for --json). */
  readonly keepIds: boolean;
  readonly reason: string | null;
}

export interface PercentSummary {
  readonly flag: string;
  readonly from: { basisPoints: number; rolledBack: boolean } | null;
  readonly to: number;
  readonly change: 'grow' | 'shrink' | 'same';
  readonly reenabled: boolean;
  readonly created: boolean;
  readonly knownUsers: number;
  readonly entering: number;
  readonly leaving: number;
  readonly inAfter: number;
  readonly enteringIds?: string[];
  readonly leavingIds?: string[];
}

export type PercentOutcome =
  | { readonly kind: 'unchanged'; readonly flag: RolloutFlag }
  | { readonly kind: 'refused'; readonly summary: PercentSummary; readonly refusals: Refusal[] }
  | { readonly kind: 'planned'; readonly summary: PercentSummary }
  | { readonly kind: 'applied'; readonly summary: PercentSummary; readonly event: RolloutEvent };

export async function setPercent(context: RolloutContext, request: PercentRequest): Promise<PercentOutcome> {
  const { store, flag } = context;
  for (let attempt = 1; attempt <= MAX_CHANGE_ATTEMPTS; attempt++) {
    const current = await store.getFlag(flag);
    const change = classifyPercentChange(current, request.basisPoints);
    const reenabled = current?.rolledBack === true;
    if (current !== null && change === 'same' && !reenabled) return { kind: 'unchanged', flag: current };
    if (change === 'shrink' && !request.allowShrink) {
      throw new UsageError(
        `lowering ${flag} from ${formatBasisPoints(current!.basisPoints)} to ${formatBasisPoints(request.basisPoints)} takes users out of the rollout; pass --allow-shrink to confirm (or --rollback for the kill switch)`,
      );
    }
    const overrides = await Overrides.read(store, flag);
    const next = { flag, salt: current?.salt ?? newSalt(), basisPoints: request.basisPoints, rolledBack: false };
    const refusals: Refusal[] = [];
    let pending: string[] = [];
    const drain = async (): Promise<void> => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      refusals.push(...(await readinessRefusals(store, batch)));
    };
    const { tally, knownUsers } = await tallyTransitions(
      store,
      { state: stateOf(current), overrides },
      { state: next, overrides },
      {
        keepIds: request.keepIds,
        ...(request.requireValidated
          ? {
              onEnter: async (userId: string) => {
                pending.push(userId);
                if (pending.length >= 200) await drain();
              },
            }
          : {}),
      },
    );
    await drain();
    const summary: PercentSummary = {
      flag,
      from: current && { basisPoints: current.basisPoints, rolledBack: current.rolledBack },
      to: request.basisPoints,
      change,
      reenabled,
      created: current === null,
      knownUsers,
      entering: tally.enter,
      leaving: tally.leave,
      inAfter: tally.inAfter,
      ...(request.keepIds ? { enteringIds: tally.entering, leavingIds: tally.leaving } : {}),
    };
    if (refusals.length > 0) return { kind: 'refused', summary, refusals };
    if (request.plan) return { kind: 'planned', summary };
    const result = await apply(context, current, {
      action: current === null ? 'create' : reenabled ? 're-enable' : 'set-percent',
      next,
      setOverrides: [],
      clearOverrides: [],
      reason: request.reason,
      details: {
        change,
        knownUsers,
        entering: tally.enter,
        leaving: tally.leave,
        ...(request.requireValidated ? { requireValidated: true } : {}),
        ...(reenabled ? { overridesApplyAgain: overrides.userIds.length } : {}),
      },
    });
    if (result.applied) return { kind: 'applied', summary, event: result.event };
  }
  throw conflictError(flag);
}

// --rollback

export type RollbackOutcome =
  | { readonly kind: 'unchanged'; readonly flag: RolloutFlag }
  | { readonly kind: 'applied'; readonly from: number; readonly overridesKept: number; readonly event: RolloutEvent };

/** The kill switch: 0 % at once, no scan of users first; overrides stay, ignored until re-enabled. */
export async function rollback(context: RolloutContext, reason: string | null): Promise<RollbackOutcome> {
  const { store, flag } = context;
  for (let attempt = 1; attempt <= MAX_CHANGE_ATTEMPTS; attempt++) {
    const current = await store.getFlag(flag);
    if (current === null) throw new UsageError(`flag ${flag} does not exist, so nobody is in it; nothing to roll back (check --flag)`);
    if (current.rolledBack) return { kind: 'unchanged', flag: current };
    const overridesKept = (await store.listOverrides(flag)).length;
    const result = await apply(context, current, {
      action: 'rollback',
      next: { flag, salt: current.salt, basisPoints: 0, rolledBack: true },
      setOverrides: [],
      clearOverrides: [],
      reason,
      details: { previousBasisPoints: current.basisPoints, overridesKept },
    });
    if (result.applied) return { kind: 'applied', from: current.basisPoints, overridesKept, event: result.event };
  }
  throw conflictError(flag);
}

// --enable-user / --disable-user / --clear-user

export interface OverrideRequest {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly clear: readonly string[];
  readonly plan: boolean;
  readonly reason: string | null;
}

export interface OverrideUserChange {
  readonly userId: string;
  readonly from: OverrideMode | null;
  readonly to: OverrideMode | null;
  readonly before: boolean;
  readonly after: boolean;
}

export type OverrideOutcome =
  | { readonly kind: 'unchanged'; readonly users: OverrideUserChange[]; readonly rolledBack: boolean }
  | { readonly kind: 'planned' | 'applied'; readonly users: OverrideUserChange[]; readonly rolledBack: boolean; readonly created: boolean; readonly event?: RolloutEvent };

export async function changeOverrides(context: RolloutContext, request: OverrideRequest): Promise<OverrideOutcome> {
  const { store, flag } = context;
  const named = [...request.allow, ...request.deny, ...request.clear];
  if (named.length > MAX_OVERRIDE_USERS) throw new UsageError(`at most ${MAX_OVERRIDE_USERS} users per override change (got ${named.length})`);
  for (let attempt = 1; attempt <= MAX_CHANGE_ATTEMPTS; attempt++) {
    const current = await store.getFlag(flag);
    // A flag created by an override starts at 0 %: only the named users are in.
    const state: RolloutState = stateOf(current) ?? { flag, salt: newSalt(), basisPoints: 0, rolledBack: false };
    const overrides = await Overrides.read(store, flag);
    const after = overrides.with(request);
    const users = [...new Set(named)].sort().map((userId) => ({
      userId,
      from: overrides.lookup(userId),
      to: after.lookup(userId),
      before: decideUnder(stateOf(current), userId, overrides.lookup).included,
      after: decideRollout(state, userId, after.lookup(userId)).included,
    }));
    const changed = users.filter((u) => u.from !== u.to);
    if (changed.length === 0 && current !== null) return { kind: 'unchanged', users, rolledBack: state.rolledBack };
    if (request.plan) return { kind: 'planned', users, rolledBack: state.rolledBack, created: current === null };
    const result = await apply(context, current, {
      action: current === null ? 'create' : 'overrides',
      next: { flag, salt: state.salt, basisPoints: state.basisPoints, rolledBack: state.rolledBack },
      setOverrides: changed.filter((u) => u.to !== null).map((u) => ({ userId: u.userId, mode: u.to! })),
      clearOverrides: changed.filter((u) => u.to === null).map((u) => u.userId),
      reason: request.reason,
      details: {
        allow: changed.filter((u) => u.to === 'allow').map((u) => u.userId),
        deny: changed.filter((u) => u.to === 'deny').map((u) => u.userId),
        clear: changed.filter((u) => u.to === null).map((u) => u.userId),
        ...(state.rolledBack ? { ignoredWhileRolledBack: true } : {}),
      },
    });
    if (result.applied) return { kind: 'applied', users, rolledBack: state.rolledBack, created: current === null, event: result.event };
  }
  throw conflictError(flag);
}

// Status, --check, --history

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
