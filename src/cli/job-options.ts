import type { Shard } from '../jobs/selection.js';
import { parseDurationOption } from './durations.js';
import { numberError, parseInteger, readInteger } from '../text/numbers.js';

const MAX_SHARDS = 1024;

export function parseShard(text: string): Shard {
  const [indexText, countText, ...rest] = text.split('/');
  const count = countText === undefined || rest.length > 0 ? null : readInteger(countText, { min: 1, max: MAX_SHARDS });
  const index = count === null ? null : readInteger(indexText!, { min: 1, max: count });
  if (count === null || index === null) throw numberError('--shard', text, `I/N, whole numbers with 1 ≤ I ≤ N ≤ ${MAX_SHARDS} (e.g. 2/8)`);
  return { index, count };
}

export function parseConcurrency(text: string): number {
  return parseInteger(text, { option: '--concurrency', min: 1, max: 64 });
}

export function parseMaxRuntime(text: string | undefined): number | null {
  if (text === undefined) return null;
  return parseDurationOption(text, { option: '--max-runtime', examples: '10m, 1h30m', zero: { allowed: false, why: 'a run with no time would stop before its first user' } });
}
