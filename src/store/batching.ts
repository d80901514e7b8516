import { utf8Length } from '../core/json.js';

/**
 * Splits items into batches of at most `maxItems` items and about `maxBytes` bytes of JSON each (an
 * item larger than the budget travels alone). Keeps every call under per-transaction limits.
 */
export function batchBySize<T>(items: readonly T[], maxItems: number, maxBytes: number, size: (item: T) => number = jsonBytes): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const itemBytes = size(item);
    if (current.length > 0 && (current.length >= maxItems || bytes + itemBytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += itemBytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value));
}
