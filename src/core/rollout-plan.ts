import { type RolloutDecision, type RolloutState, decideRollout } from './rollout.js';

// What a change of a flag does to users, decided by the one rule in rollout.ts: planning, --check,
// status counts and the app's query all go through decideRollout, so they can never disagree.

/** The flag the app asks about when it names none. */
export const DEFAULT_FLAG = 'precomputed_aggregations';

export type OverrideLookup = (userId: string) => 'allow' | 'deny' | null;

/** How a percentage change moves the threshold. A rolled-back flag is at 0 %, whatever it was before. */
export type PercentChange = 'grow' | 'shrink' | 'same';

export function classifyPercentChange(current: { readonly basisPoints: number; readonly rolledBack: boolean } | null, nextBasisPoints: number): PercentChange {
  const from = current === null || current.rolledBack ? 0 : current.basisPoints;
  if (nextBasisPoints > from) return 'grow';
  if (nextBasisPoints < from) return 'shrink';
  return 'same';
}

/** A user's decision under a flag state; a flag that does not exist lets nobody in. */
export function decideUnder(state: RolloutState | null, userId: string, overrides: OverrideLookup): RolloutDecision {
  if (state === null) return { included: false, reason: { kind: 'rolled-back' } };
  return decideRollout(state, userId, overrides(userId));
}

export type Transition = 'enter' | 'leave' | 'stay-in' | 'stay-out';

export function transitionOf(before: RolloutDecision, after: RolloutDecision): Transition {
  if (before.included) return after.included ? 'stay-in' : 'leave';
  return after.included ? 'enter' : 'stay-out';
}

/** Counts (and optionally lists) the users a change moves, one user at a time, in the order given. */
export class TransitionTally {
  readonly entering: string[] = [];
  readonly leaving: string[] = [];
  enter = 0;
  leave = 0;
  inBefore = 0;
  inAfter = 0;
  users = 0;

  constructor(private readonly keepIds: boolean) {}

  add(userId: string, transition: Transition): void {
    this.users++;
    if (transition === 'enter' || transition === 'stay-out') {
      if (transition === 'enter') {
        this.enter++;
        this.inAfter++;
        if (this.keepIds) this.entering.push(userId);
      }
      return;
    }
    this.inBefore++;
    if (transition === 'leave') {
      this.leave++;
      if (this.keepIds) this.leaving.push(userId);
    } else {
      this.inAfter++;
    }
  }
}
