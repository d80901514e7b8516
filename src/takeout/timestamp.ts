import { parseIsoInstant } from '../core/time/iso.js';

/** An entry's timestamp: the instant when it could be resolved, and always the text it came from. */
export interface ResolvedTimestamp {
  /** Epoch milliseconds, or null when the text could not be resolved (the record is then undated). */
  readonly instant: number | null;
  /** The timestamp text, spaces normalized: keys undated records so distinct ones stay distinct. */
  readonly raw: string;
  /**
   * True when the text alone determines the instant (an ISO instant, a known abbreviation, an explicit
   * offset); false when it took the caller's sourceTimeZone, so ids never depend on that option.
   */
  readonly exact: boolean;
  /** Why the instant is null (or how it was resolved through the source zone). */
  readonly problem: string | null;
  readonly viaSourceTimeZone: boolean;
}

export function unresolved(raw: string, problem: string): ResolvedTimestamp {
  return { instant: null, raw, exact: false, problem, viaSourceTimeZone: false };
}

/** JSON `time`: an exact UTC instant, with or without milliseconds (spec §2.5). */
export function resolveJsonTime(time: string): ResolvedTimestamp {
  const raw = time.trim();
  if (raw === '') return unresolved(raw, 'no timestamp');
  const instant = parseIsoInstant(raw);
  if (instant === null) return unresolved(raw, 'not an ISO-8601 instant');
  return { instant, raw, exact: true, problem: null, viaSourceTimeZone: false };
}
