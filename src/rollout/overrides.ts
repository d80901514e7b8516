import type { OverrideLookup } from '../core/rollout-plan.js';
import type { RolloutState } from '../core/rollout.js';
import type { OverrideMode, RolloutFlag } from '../store/types.js';
import type { Store } from '../store/store.js';

// A flag as the planner reads it: its state and its overrides.

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

export function stateOf(flag: RolloutFlag | null): RolloutState | null {
  return flag && { flag: flag.flag, salt: flag.salt, basisPoints: flag.basisPoints, rolledBack: flag.rolledBack };
}
