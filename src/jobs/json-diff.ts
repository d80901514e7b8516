import equal from 'fast-deep-equal';

export interface DiffEntry {
  /** e.g. `[3].videoCount`, `.sessions[2].recordIds.length` */
  readonly path: string;
  readonly stored: unknown;
  readonly fresh: unknown;
}

export interface JsonDiff {
  /** At most `maxDiffs` entries, in document order. */
  readonly entries: DiffEntry[];
  /** All differences found, listed or not. */
  readonly total: number;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Numbers are equal within a relative tolerance: |a − b| ≤ tolerance × max(|a|, |b|). */
export function numbersMatch(a: number, b: number, tolerance: number): boolean {
  return a === b || Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Exact paths where two JSON values differ. fast-deep-equal decides equality first, so the walk only
 * runs where something differs; numbers then compare within the tolerance.
 */
export function diffJson(stored: unknown, fresh: unknown, options: { tolerance: number; maxDiffs: number }): JsonDiff {
  const entries: DiffEntry[] = [];
  let total = 0;
  const add = (path: string, a: unknown, b: unknown): void => {
    total++;
    if (entries.length < options.maxDiffs) entries.push({ path, stored: a, fresh: b });
  };
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (equal(a, b)) return;
    if (typeof a === 'number' && typeof b === 'number') {
      if (!numbersMatch(a, b, options.tolerance)) add(path, a, b);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) add(`${path}.length`, a.length, b.length);
      const common = Math.min(a.length, b.length);
      for (let i = 0; i < common; i++) walk(a[i], b[i], `${path}[${i}]`);
      return;
    }
    if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const key of keys) {
        const next = IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
        const inA = Object.hasOwn(a, key);
        const inB = Object.hasOwn(b, key);
        if (!inA || !inB) add(next, inA ? (a as Record<string, unknown>)[key] : undefined, inB ? (b as Record<string, unknown>)[key] : undefined);
        else walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], next);
      }
      return;
    }
    add(path, a, b);
  };
  walk(stored, fresh, '');
  return { entries, total };
}

/** `stored 12, fresh 13` with values shortened for one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
