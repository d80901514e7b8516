import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, jsonTooDeepAt } from '../../src/core/json-depth.js';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('jsonTooDeepAt', () => {
  it('passes text nested up to the limit', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(jsonTooDeepAt('1')).toBe(-1);
    expect(jsonTooDeepAt(nested(64))).toBe(-1);
    expect(jsonTooDeepAt(`{"a":${nested(63)}}`)).toBe(-1);
    // Many brackets, none deep.
    expect(jsonTooDeepAt(`[${Array.from({ length: 1000 }, () => '{"a":[1]}').join(',')}]`)).toBe(-1);
  });

  it('finds the bracket that opens one level too many', () => {
    expect(jsonTooDeepAt(nested(65))).toBe(64);
    expect(jsonTooDeepAt(`{"a":${nested(100_000)}}`)).toBe(5 + 63);
    expect(jsonTooDeepAt(nested(3), 2)).toBe(2);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(jsonTooDeepAt(`["${'['.repeat(200)}"]`)).toBe(-1);
    expect(jsonTooDeepAt(`["\\"${'{'.repeat(200)}"]`)).toBe(-1);
    expect(jsonTooDeepAt(`["\\\\", ${nested(70)}]`)).toBeGreaterThan(0);
  });
});
