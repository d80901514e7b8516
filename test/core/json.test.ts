import { describe, expect, it } from 'vitest';
import { canonicalJson, isPlainJson, measureJson, utf8Length } from '../../src/core/json.js';
import { Random } from '../../fixtures/random.js';

describe('canonicalJson', () => {
  it('sorts object keys in UTF-16 order at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }, 3], Z: null, é: 'x', aa: { y: true, x: false } })).toBe(
      '{"Z":null,"a":[{"c":2,"d":1},3],"aa":{"x":false,"y":true},"b":1,"é":"x"}',
    );
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
    expect(canonicalJson(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(canonicalJson({})).toBe('{}');
  });

  it('leaves out undefined fields as JSON.stringify does, and refuses a non-JSON top level', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(() => canonicalJson(undefined)).toThrow();
  });

  it('equals JSON.stringify of the same value rebuilt with sorted keys', () => {
    const random = new Random('canonical');
    const build = (depth: number): unknown => {
      const kind = depth > 3 ? random.int(4) : random.int(6);
      switch (kind) {
        case 0: return random.int(1000) - 500;
        case 1: return random.pick(['', 'x', 'é', '日本', '"q"', '\\', '\n', 'a|b']);
        case 2: return random.pick([null, true, false, 1.5, -0.25]);
        case 3: return random.next();
        case 4: return Array.from({ length: random.int(4) }, () => build(depth + 1));
        default: {
          const out: Record<string, unknown> = {};
          for (let i = 0; i < random.int(5); i++) out[random.pick(['b', 'a', 'B', 'é', 'aa', '10', '2', 'z'])] = build(depth + 1);
          return out;
        }
      }
    };
    const sorted = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sorted) : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]))
        : v;
    for (let i = 0; i < 500; i++) {
      const value = build(0);
      // Integer-like keys ("10", "2") are listed first by JS engines, so compare via parse, then text for safe cases.
      expect(JSON.parse(canonicalJson(value))).toEqual(value);
      const text = canonicalJson(value);
      if (!/"\d+":/.test(text)) expect(text).toBe(JSON.stringify(sorted(value)));
    }
  });
});

describe('measureJson', () => {
  it('counts UTF-8 bytes, the longest array, the widest object and the depth', () => {
    const value = { a: [1, 2, 3, [4, 5, 6, 7]], b: { c: 'é', d: '日本', e: '😀', f: null }, g: [] };
    const json = JSON.stringify(value);
    expect(measureJson(value)).toEqual({ bytes: Buffer.byteLength(json, 'utf8'), longestArray: 4, widestObject: 4, depth: 3 });
    expect(measureJson(42)).toEqual({ bytes: 2, longestArray: 0, widestObject: 0, depth: 0 });
    expect(measureJson([])).toEqual({ bytes: 2, longestArray: 0, widestObject: 0, depth: 1 });
    expect(measureJson({ x: undefined, y: 1 })).toEqual({ bytes: 7, longestArray: 0, widestObject: 1, depth: 1 });
  });

  it('utf8Length agrees with Buffer.byteLength, lone surrogates included', () => {
    const random = new Random('utf8');
    const units = ['a', 'é', 'ß', '߿', 'ࠀ', '日', '\uffff', '😀', '\ud800', '\udc00', '"', '\u0000'];
    for (let i = 0; i < 2000; i++) {
      let text = '';
      for (let j = random.int(20); j > 0; j--) text += random.pick(units);
      expect(utf8Length(text), JSON.stringify(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });
});

describe('isPlainJson', () => {
  it('accepts plain JSON values only', () => {
    expect(isPlainJson({ a: [1, 'x', null, true, { b: -0.5 }] })).toBe(true);
    for (const bad of [undefined, NaN, Infinity, -Infinity, new Date(0), new Map(), () => 1, Symbol('s'), 10n, { a: undefined }, [NaN], { d: new Date(0) }, new (class X {})()]) {
      expect(isPlainJson(bad), String(bad)).toBe(false);
    }
  });
});
