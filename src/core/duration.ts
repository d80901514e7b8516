// Durations such as "90s", "30m", "1h30m", "7d": used by TTLs, retention policies, timeouts and --max-runtime.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+)(ms|s|m|h|d|w)/g;

/** The longest timer Node.js (and any JS runtime) can set: 2^31−1 ms, about 24.8 days. Longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The longest duration anywhere else (TTLs, retentions, ages, --max-runtime): 36,500 days, about a
 * century, so any instant of years 1–9999 minus or plus it stays a date that can be written.
 */
export const MAX_DURATION_MS = 36_500 * UNIT_MS.d;

export type DurationCheck = { readonly ms: number } | { readonly problem: 'syntax' | 'range' | 'zero' };

/**
 * Reads a duration text: `syntax` when it is not one, `range` when it is over `maxMs`, `zero` when it
 * is zero and `allowZero` is not set. Each amount is bounded before it is multiplied, so no sum is
 * ever imprecise or infinite.
 */
export function checkDuration(text: string, maxMs: number = MAX_DURATION_MS, allowZero = false): DurationCheck {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return { problem: 'syntax' };
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) {
    // Digits beyond 16 are a number no duration reaches (and Number() would round them).
    if (amount!.replace(/^0+/, '').length > 16) return { problem: 'range' };
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
    if (!Number.isSafeInteger(total) || total > maxMs) return { problem: 'range' };
  }
  return total > 0 || allowZero ? { ms: total } : { problem: 'zero' };
}

/** Milliseconds of a duration text, or null when it is not one, is zero or is over `maxMs`. */
export function parseDuration(text: string, maxMs: number = MAX_DURATION_MS, allowZero = false): number | null {
  const check = checkDuration(text, maxMs, allowZero);
  return 'ms' in check ? check.ms : null;
}

/** The shortest exact text for a duration in ms, e.g. 5_400_000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit];
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
