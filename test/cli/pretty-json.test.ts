import { describe, expect, it } from 'vitest';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_FILTERS } from '../../src/core/filters.js';
import type { JsonValue } from '../../src/core/json.js';
import { compactSpan, plainTable, truncate } from '../../src/cli/plain-table.js';
import { prettyJson } from '../../src/cli/pretty-json.js';
import { generateUsers } from '../../fixtures/generator.js';

describe('prettyJson', () => {
  it('puts what fits on one line, and breaks the rest one member per line', () => {
    expect(prettyJson({ a: 1, b: [1, 2], c: null })).toBe('{"a": 1, "b": [1, 2], "c": null}');
    expect(prettyJson([])).toBe('[]');
    expect(prettyJson({})).toBe('{}');
    expect(prettyJson('text')).toBe('"text"');
    const wide = { first: 'x'.repeat(40), second: { inner: 'y'.repeat(40) } };
    expect(prettyJson(wide)).toBe(`{\n  "first": "${'x'.repeat(40)}",\n  "second": {"inner": "${'y'.repeat(40)}"}\n}`);
  });

  it('fills arrays of plain values line by line', () => {
    const numbers = Array.from({ length: 100 }, (_, i) => i * 7);
    const lines = prettyJson({ values: numbers }).split('\n');
    expect(lines[0]).toBe('{');
    expect(lines[1]).toBe('  "values": [');
    expect(lines.length).toBeLessThan(12);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(JSON.parse(lines.join('\n'))).toEqual({ values: numbers });
  });

  it('reads back as the same value, within 80 columns, for every aggregation of a real-sized user', () => {
    const [user] = [...generateUsers({ users: 1, records: 400, seed: 'pretty' })];
    const { results } = computeAggregations({ records: user!.records, context: { asOf: '2025-07-01T00:00:00.000Z', timeZone: 'UTC' }, filterSets: [DEFAULT_FILTERS] });
    for (const result of results) {
      const data = JSON.parse(result.json) as JsonValue;
      const text = prettyJson(data);
      expect(JSON.parse(text), result.type).toEqual(data);
      // Only a single string longer than the width could exceed it; these have none.
      for (const line of text.split('\n')) expect(line.length, `${result.type}: ${line}`).toBeLessThanOrEqual(80);
    }
  });

  it('keeps to narrower widths too', () => {
    const value = { list: [{ name: 'alpha', count: 1 }, { name: 'beta', count: 2 }], flag: true };
    for (const width of [30, 40, 60]) for (const line of prettyJson(value, width).split('\n')) expect(line.length).toBeLessThanOrEqual(width);
    expect(JSON.parse(prettyJson(value, 20))).toEqual(value);
  });
});

describe('plainTable', () => {
  it('aligns columns two spaces apart, right-aligns numbers, cuts long cells, and leaves no trailing spaces', () => {
    const table = plainTable([{ head: 'name' }, { head: 'note', max: 6 }, { head: 'n', align: 'right' }], [
      ['a', 'short', '1'],
      ['bbbb', 'much too long', '100'],
    ]);
    expect(table.split('\n')).toEqual(['name  note      n', 'a     short     1', 'bbbb  much …  100']);
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
  });

  it('fits agg show\'s widest row in 80 columns', () => {
    const row = ['enhanced_channel_metrics', 'Last12M/YouTube Music', compactSpan(999 * 86_400_000), 'in 100y', '10*', '1023.9 KiB'];
    const table = plainTable([{ head: 'type' }, { head: 'filters', max: 21 }, { head: 'age', align: 'right' }, { head: 'expires' }, { head: 'ver', align: 'right' }, { head: 'size', align: 'right' }], [row]);
    for (const line of table.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('writes spans short', () => {
    expect([0, 45_000, 59 * 60_000, 47 * 3_600_000, 364 * 86_400_000, 3650 * 86_400_000, -5].map(compactSpan)).toEqual(['0s', '45s', '59m', '47h', '364d', '9y', '0s']);
  });
});
