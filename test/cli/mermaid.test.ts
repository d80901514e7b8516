import { describe, expect, it } from 'vitest';
import { CATEGORY_MAX, LABEL_MAX, largestCategories, mermaidBlock, mermaidNumber, mermaidText, pieChart, xyChart } from '../../src/cli/mermaid.js';
import { type PieChart, type XyChart, MermaidSyntaxError, mermaidCharts, parseChart } from '../support/mermaid-grammar.js';

/** What a label reads as once drawn: whitespace and control characters one space, cut to `max` with "…". */
function shown(text: string, max: number): string {
  const flat = text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
  const points = Array.from(flat);
  return points.length <= max ? flat || '-' : `${points.slice(0, max - 1).join('').trimEnd()}…`;
}

const HOSTILE = [
  'alice',
  'a"b',
  '"',
  '""; x-axis [evil]',
  'user#1',
  '#35;',
  '#quot;',
  'semi;colon',
  '%% comment',
  '%%{init: {"theme": "dark"}}%%',
  'line\nbreak',
  'cr\r\nlf',
  'tab\there',
  '[bracket]',
  '{brace}',
  'a, b, c',
  '`md string`',
  '"`md`"',
  '<script>alert(1)</script>',
  'a & b',
  'back\\slash',
  'pipe|pipe',
  'style x:y#35;z;',
  'ユーザー名',
  'Ωmega-ß',
  'emoji 🚀 user',
  'rtl \u202e override',
  'zero\u200bwidth',
  'nbsp\u00a0space',
  'line\u2028separator',
  '   padded   ',
  '',
  '\n\n',
  ' --> ',
  'x-axis',
  'pie showData',
  'title',
  ':',
  'é'.repeat(60),
  'a'.repeat(300),
];

/** A seeded generator (mulberry32): the same "random" labels every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const NASTY = ['"', "'", '#', ';', ':', '%', '[', ']', '{', '}', '(', ')', ',', '\n', '\r', '\t', ' ', '`', '\\', '<', '>', '&', '|', '-', '>', 'a', 'Z', '0', 'ü', '字', '🚀', '\u0000', '\u202e', '\u2028', '.', '_'];
const rand = random(15);
const FUZZED = Array.from({ length: 300 }, () => Array.from({ length: 1 + Math.floor(rand() * 30) }, () => NASTY[Math.floor(rand() * NASTY.length)]).join(''));

describe('src/cli/mermaid.ts writes charts the grammar check accepts', () => {
  it('writes a pie with its values shown, exactly so', () => {
    const text = pieChart('Drifted aggregations by type (3 of 180)', [
      { label: 'top_channels', value: 2 },
      { label: 'kpi', value: 1 },
      { label: 'monthly_trend', value: 0 },
    ]);
    expect(text).toBe('pie showData\n    title Drifted aggregations by type (3 of 180)\n    "top_channels" : 2\n    "kpi" : 1');
    expect(parseChart(text)).toEqual({ kind: 'pie', showData: true, title: 'Drifted aggregations by type (3 of 180)', slices: [{ label: 'top_channels', value: 2 }, { label: 'kpi', value: 1 }] });
  });

  it('writes a line over categories with a 0–100 axis, exactly so', () => {
    const text = xyChart({ title: 'Rollout percent of f', xTitle: 'change (UTC)', categories: ['07-01', '07-02'], yTitle: 'percent', yMax: 100, series: 'line', values: [5, 33.33] });
    expect(text).toBe('xychart-beta\n    title "Rollout percent of f"\n    x-axis "change (UTC)" ["07-01", "07-02"]\n    y-axis "percent" 0 --> 100\n    line [5, 33.33]');
    expect(parseChart(text)).toMatchObject({ kind: 'xychart', categories: ['07-01', '07-02'], yRange: [0, 100], series: [{ kind: 'line', values: [5, 33.33] }] });
  });

  it.each(HOSTILE.map((label) => [JSON.stringify(label).slice(0, 50), label]))('keeps the label %s inside its quotes, and it reads back as it was', (_name, label) => {
    const pie = parseChart(pieChart(label, [{ label, value: 1 }])) as PieChart;
    expect(pie.slices[0]!.label).toBe(shown(label, LABEL_MAX));
    expect(pie.title).toBe(shown(label, 80));
    const bars = parseChart(xyChart({ title: label, xTitle: label, categories: [label, 'other'], yTitle: label, yMax: 3, series: 'bar', values: [1, 3] })) as XyChart;
    expect(bars.categories[0]).toBe(shown(label, CATEGORY_MAX));
    expect(bars.title).toBe(shown(label, 80));
    expect(bars.series).toEqual([{ kind: 'bar', values: [1, 3] }]);
  });

  it('keeps 300 seeded random labels over quotes, entities, brackets and line breaks inside their quotes', () => {
    for (const label of FUZZED) {
      const chart = parseChart(xyChart({ title: label, xTitle: label, categories: [label], yTitle: label, yMax: 1, series: 'line', values: [1] })) as XyChart;
      expect(chart.categories, JSON.stringify(label)).toEqual([shown(label, CATEGORY_MAX)]);
      const pie = parseChart(pieChart(label, [{ label, value: 2 }])) as PieChart;
      expect(pie.slices[0]!.label, JSON.stringify(label)).toBe(shown(label, LABEL_MAX));
    }
  });

  it('never lets two labels collide, even once cut to length', () => {
    const long = 'tenant-0000000000000000000000-user-';
    const categories = [`${long}1`, `${long}2`, `${long}2`, 'x', 'x'];
    const chart = parseChart(xyChart({ title: 't', xTitle: 'user', categories, yTitle: 'n', yMax: 5, series: 'bar', values: [1, 2, 3, 4, 5] })) as XyChart;
    expect(new Set(chart.categories).size).toBe(5);
    expect(chart.categories.every((label) => Array.from(label).length <= CATEGORY_MAX)).toBe(true);
    expect(chart.categories.slice(3)).toEqual(['x', 'x (2)']);
    const pie = parseChart(pieChart('t', [{ label: 'a', value: 1 }, { label: 'a', value: 2 }])) as PieChart;
    expect(pie.slices.map((slice) => slice.label)).toEqual(['a', 'a (2)']);
  });

  it('encodes every character outside the plain set as an entity code, and "#" and ";" always', () => {
    expect(mermaidText('a"b#c;d')).toBe('a#34;b#35;c#59;d');
    expect(mermaidText('%%')).toBe('#37;#37;');
    expect(mermaidText('ユーザー')).toBe('ユーザー');
    expect(mermaidText('🚀')).toBe('#128640;');
  });

  it('folds all but the largest categories into one, ties by label, and leaves out zeros', () => {
    const folded = largestCategories(
      [{ label: 'b', value: 2 }, { label: 'a', value: 2 }, { label: 'c', value: 5 }, { label: 'd', value: 1 }, { label: 'e', value: 1 }, { label: 'z', value: 0 }],
      3,
      (count) => `${count} others`,
    );
    expect(folded).toEqual([{ label: 'c', value: 5 }, { label: 'a', value: 2 }, { label: '3 others', value: 4 }]);
    expect(largestCategories([{ label: 'b', value: 1 }, { label: 'a', value: 1 }], 3, () => 'x')).toEqual([{ label: 'a', value: 1 }, { label: 'b', value: 1 }]);
  });

  it('writes numbers both grammars take, and refuses what they cannot', () => {
    expect([0, 5, 33.333, 0.05, 1e6].map(mermaidNumber)).toEqual(['0', '5', '33.33', '0.05', '1000000']);
    for (const bad of [Number.NaN, Infinity, -1, 1e21]) expect(() => mermaidNumber(bad)).toThrow(RangeError);
    expect(() => pieChart('t', [{ label: 'a', value: 0 }])).toThrow(/at least one slice/);
    expect(() => xyChart({ title: 't', xTitle: 'x', categories: ['a'], yTitle: 'y', yMax: 1, series: 'bar', values: [] })).toThrow(/one value per category/);
  });

  it('fences a chart as a mermaid block', () => {
    const markdown = `## report\n\n${mermaidBlock(pieChart('t', [{ label: 'a', value: 1 }]))}\n\nafter\n`;
    expect(mermaidCharts(markdown)).toHaveLength(1);
  });
});

describe('the grammar check (test/support/mermaid-grammar.ts) refuses broken charts', () => {
  const pie = (slice: string, title = 'Title') => `pie showData\n    title ${title}\n${slice}`;
  const xy = (x: string, series = '    bar [1, 2]', y = '    y-axis "n" 0 --> 10') => `xychart-beta\n    title "T"\n${x}\n${y}\n${series}`;
  const good = '    x-axis "x" ["a", "b"]';
  it.each([
    ['an unbalanced quote', pie('    "a : 1')],
    ['a quote inside a label', pie('    "a"b" : 1')],
    ['a raw "#"', pie('    "user#1" : 1')],
    ['a "#" that is no entity code', pie('    "#quot;" : 1')],
    ['an entity code of no character', pie('    "#55296;" : 1')],
    ['a raw ";"', pie('    "a;b" : 1')],
    ['a comment start', pie('    "50%% off" : 1')],
    ['a bracket', pie('    "[x]" : 1')],
    ['a backtick', pie('    "`md`" : 1')],
    ['an HTML tag', pie('    "<b>" : 1')],
    ['a line break inside a label', pie('    "a\nb" : 1')],
    ['an empty label', pie('    "" : 1')],
    ['a label with spaces around it', pie('    " a " : 1')],
    ['a symbol written raw', pie('    "🚀" : 1')],
    ['a slice of 0', pie('    "a" : 0')],
    ['a negative slice', pie('    "a" : -1')],
    ['a number with an exponent', pie('    "a" : 1e3')],
    ['a missing colon', pie('    "a" 1')],
    ['two equal slices', pie('    "a" : 1\n    "a" : 2')],
    ['a pie with no slices', 'pie showData\n    title T'],
    ['a pie with no title', 'pie showData\n    "a" : 1'],
    ['a title with a quote', pie('    "a" : 1', '"quoted"')],
    ['a blank line', pie('    "a" : 1\n')],
    ['trailing spaces', pie('    "a" : 1 ')],
    ['an unknown chart', 'flowchart LR\n    a --> b'],
    ['an unquoted category', xy('    x-axis "x" [a, "b"]')],
    ['a category list not closed', xy('    x-axis "x" ["a", "b"')],
    ['two equal categories', xy('    x-axis "x" ["a", "a"]')],
    ['fewer values than categories', xy(good, '    bar [1]')],
    ['a value above the y-axis', xy(good, '    bar [1, 11]')],
    ['a y-axis that does not rise', xy(good, '    bar [1, 2]', '    y-axis "n" 10 --> 0')],
    ['a series of another kind', xy(good, '    area [1, 2]')],
    ['no series', `xychart-beta\n    title "T"\n${good}\n    y-axis "n" 0 --> 10`],
    ['an unquoted title', `xychart-beta\n    title T\n${good}\n    y-axis "n" 0 --> 10\n    bar [1, 2]`],
    ['a statement after a semicolon', xy(good, '    bar [1, 2]; line [1, 2]')],
  ])('refuses %s', (_name, text) => {
    expect(() => parseChart(text)).toThrow(MermaidSyntaxError);
  });

  it('refuses a mermaid block that is never closed', () => {
    expect(() => mermaidCharts('## x\n\n```mermaid\npie showData\n    title T\n    "a" : 1\n')).toThrow(/never closed/);
  });
});
