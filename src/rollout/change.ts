import { randomBytes, randomUUID } from 'node:crypto';
import { InfrastructureError, UsageError } from '../errors.js';
import type { JsonValue } from '../core/json.js';
import { type RolloutState, decideRollout, formatBasisPoints } from '../core/rollout.js';
import { TransitionTally, classifyPercentChange, decideUnder, transitionOf } from '../core/rollout-plan.js';
import type { EligibilityPolicy } from '../core/eligibility.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { OverrideMode, RolloutEvent, RolloutFlag } from '../store/types.js';
import type { Store } from '../store/store.js';
import { Overrides, stateOf } from './overrides.js';
import { type Refusal, readinessRefusals } from './readiness.js';
import { forEachKnownUser } from './report.js';

// The changes behind `agg rollout` (its reads are in report.ts): plan and change a flag. Every change
// is one applyFlagChange (the flag, its overrides and the audit event in one transaction, idempotent by
// a client-chosen eventId); when someone else changed the flag since it was read, the change is planned
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
