import type { Value } from 'convex/values';
import { CONVEX_LIMITS } from '../../src/core/convex-limits.js';

// Convex's limits on any value (an argument, a result, a stored field): a deployment refuses a value
// that breaks one; the loopback deployment and the in-process test caller refuse it the same way.

/** The first of Convex's value limits the value breaks, or null: string size, array length, fields, nesting. */
export function valueLimitProblem(value: Value | undefined, depth = 1): string | null {
  if (typeof value === 'string') {
    const bytes = Buffer.byteLength(value, 'utf8');
    return bytes > CONVEX_LIMITS.stringBytes ? `a string is ${bytes} bytes (at most ${CONVEX_LIMITS.stringBytes})` : null;
  }
  if (value === null || value === undefined || typeof value !== 'object' || value instanceof ArrayBuffer) return null;
  if (depth > CONVEX_LIMITS.nestingDepth) return `it is nested more than ${CONVEX_LIMITS.nestingDepth} levels deep`;
  if (Array.isArray(value)) {
    if (value.length > CONVEX_LIMITS.arrayElements) return `an array has ${value.length} elements (at most ${CONVEX_LIMITS.arrayElements})`;
    for (const item of value) {
      const problem = valueLimitProblem(item, depth + 1);
      if (problem !== null) return problem;
    }
    return null;
  }
  const keys = Object.keys(value).filter((key) => (value as Record<string, Value | undefined>)[key] !== undefined);
  if (keys.length > CONVEX_LIMITS.objectFields) return `an object has ${keys.length} fields (at most ${CONVEX_LIMITS.objectFields})`;
  for (const key of keys) {
    const problem = valueLimitProblem((value as Record<string, Value>)[key], depth + 1);
    if (problem !== null) return problem;
  }
  return null;
}

