import { checkEligibility } from '../core/eligibility.js';
import { type RolloutState, decideRollout, formatBasisPoints } from '../core/rollout.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { type RolloutContext, rollback } from '../rollout/change.js';
import { Overrides } from '../rollout/overrides.js';
import { policyOf } from '../rollout/report.js';
import type { RolloutFlag } from '../store/types.js';
import type { Store } from '../store/store.js';

/** What the guardrail saw and did, for the report. */
export interface GuardrailOutcome {
  readonly flag: string;
  /** The drift share above which the flag is rolled back (0.005 = 0.5 %). */
  readonly threshold: number;
  /** Validated users the app serves pre-computed results to (in the rollout and eligible). */
  readonly usersServed: number;
  readonly usersWithDrift: number;
  readonly share: number;
  readonly rolledBack: boolean;
  /** Why it did or did not act, one line. */
  readonly message: string;
}

/**
 * Tells, user by user while validate runs, whether the app serves that user pre-computed results now:
 * the flag and its overrides are read once, each user's eligibility facts as it is validated.
 */
export class ServedUsers {
  private constructor(
    private readonly store: Store,
    private readonly flag: RolloutFlag | null,
    private readonly overrides: Overrides,
    private readonly now: string,
  ) {}

  static async read(store: Store, flag: string, nowMs: number): Promise<ServedUsers> {
    return new ServedUsers(store, await store.getFlag(flag), await Overrides.read(store, flag), formatIsoInstant(nowMs));
  }

  async isServed(userId: string): Promise<boolean> {
    const flag = this.flag;
    if (flag === null || flag.rolledBack) return false;
    const state: RolloutState = flag;
    if (!decideRollout(state, userId, this.overrides.lookup(userId)).included) return false;
    const user = await this.store.getUser(userId);
    return checkEligibility(policyOf(flag), { recordCount: user?.recordCount ?? 0, gridFreshUntil: user?.gridFreshUntil ?? null }, this.now).eligible;
  }
}

/**
 * `validate --rollback-on-drift P`: among the validated users currently served pre-computed results,
 * the share with any drift; above P the flag is rolled back (the kill switch, with its audit event
 * naming the validate run). Nothing happens when nobody validated is served.
 */
export async function applyDriftGuardrail(
  context: RolloutContext,
  figures: { readonly usersServed: number; readonly usersWithDrift: number },
  threshold: number,
  runId: string,
): Promise<GuardrailOutcome> {
  const { store, flag } = context;
  const { usersServed, usersWithDrift } = figures;
  const state = await store.getFlag(flag);
  const share = usersServed === 0 ? 0 : usersWithDrift / usersServed;
  const base = { flag, threshold, usersServed, usersWithDrift, share, rolledBack: false };
  if (state === null || state.rolledBack) {
    return { ...base, message: state === null ? `flag ${flag} does not exist: nobody is served, nothing to roll back` : `flag ${flag} is already rolled back` };
  }
  const described = `drift in ${usersWithDrift} of ${usersServed} served users (${(share * 100).toFixed(2)}%), threshold ${(threshold * 100).toFixed(2)}%`;
  if (usersServed === 0 || share <= threshold) return { ...base, message: `${described}: ${flag} left at ${formatBasisPoints(state.basisPoints)}` };
  const outcome = await rollback(context, `validate run ${runId}: ${described}`);
  return { ...base, rolledBack: outcome.kind === 'applied', message: `${described}: rolled ${flag} back to 0% (was ${formatBasisPoints(state.basisPoints)})` };
}
