import type { InputRecord } from './record.js';
import { formatIsoInstant, parseIsoInstant } from './time/iso.js';

/**
 * The instant of the newest watch: the dashboard's own anchor and the default asOf (spec §0). Ads are
 * not watches (every aggregation leaves them out), so a newer ad does not move it. Null when no watch
 * is dated.
 */
export function newestWatchedAt(records: readonly InputRecord[]): string | null {
  let newest = -Infinity;
  for (const record of records) {
    if (record.isAd === true || record.watchedAt == null) continue;
    const t = parseIsoInstant(record.watchedAt);
    if (t !== null && t > newest) newest = t;
  }
  return newest === -Infinity ? null : formatIsoInstant(newest);
}
