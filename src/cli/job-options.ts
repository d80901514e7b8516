import { parseDuration } from '../core/duration.js';
import type { Shard } from '../jobs/selection.js';
import { UsageError } from './errors.js';

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || count > 1024 || index < 1 || index > count) {
    throw new UsageError(`--shard "${text}" is not valid (expected I/N with 1 ≤ I ≤ N ≤ 1024, e.g. 2/8)`);
  }
  return { index, count };
}

export function parseConcurrency(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 64) throw new UsageError(`--concurrency "${text}" must be a whole number from 1 to 64`);
  return n;
}

export function parseMaxRuntime(text: string | undefined): number | null {
  if (text === undefined) return null;
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`--max-runtime "${text}" is not a duration (expected e.g. 10m, 1h30m)`);
  return ms;
}
