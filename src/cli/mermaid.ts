// Mermaid charts for the Markdown reports: GitHub draws a ```mermaid block in a job summary, so a
// report can show its figures as a picture. Only the subset agg needs is written: a pie with its
// numbers shown, and an xychart-beta with one bar or line series over named categories.
//
// Labels come from users and the store (user ids, actors, flag names), so none is trusted: line
// breaks and control characters become spaces, long labels are cut, and every character outside
// letters, digits, spaces and a few harmless marks is written as one of Mermaid's entity codes
// (`#35;` for "#", `#34;` for a double quote), which Mermaid turns back into the character when it
// draws. So a label can never end its quotes, start a comment (%%), split a statement (;) or a
// list (, outside quotes), or open a bracket; and two labels never collide once cut.

/** Kept as they are: letters, digits and marks of any script, and a few marks with no meaning to Mermaid. */
const PLAIN = /^[\p{L}\p{N}\p{M} _.,\-+/()@=!?*']$/u;

/** Longest label in code points: a pie legend line, an x-axis category. */
export const LABEL_MAX = 40;
export const CATEGORY_MAX = 24;

/** Collapses whitespace and control characters to single spaces and cuts to `max` code points ("…" last). */
function tidy(text: string, max: number): string {
  const flat = text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
  const points = Array.from(flat);
  const cut = points.length <= max ? flat : `${points.slice(0, Math.max(1, max - 1)).join('').trimEnd()}…`;
  return cut === '' ? '-' : cut;
}

/** The text as it goes inside a Mermaid string or title: safe characters kept, every other one an entity code. */
function encode(text: string): string {
  let out = '';
  for (const char of text) out += PLAIN.test(char) ? char : `#${char.codePointAt(0)!};`;
  return out;
}

/** A label as Mermaid reads it back: tidied, cut to `max`, and encoded. */
export function mermaidText(text: string, max: number = LABEL_MAX): string {
  return encode(tidy(text, max));
}

/** Labels tidied and cut, then made distinct (` (2)`, ` (3)` …): Mermaid merges or overlays equal ones. */
export function distinctLabels(labels: readonly string[], max: number): string[] {
  const seen = new Set<string>();
  return labels.map((label) => {
    let candidate = tidy(label, max);
    for (let n = 2; seen.has(candidate); n++) candidate = `${tidy(label, max - ` (${n})`.length)} (${n})`;
    seen.add(candidate);
    return candidate;
  });
}

/** A number as both grammars take it: digits, at most two decimals, no exponent, no sign. */
export function mermaidNumber(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`a chart value must be a finite number ≥ 0, not ${value}`);
  const text = String(Number(value.toFixed(2)));
  if (!/^\d+(\.\d{1,2})?$/.test(text)) throw new RangeError(`a chart value must be below 1e21, not ${value}`);
  return text;
}

export interface Category {
  readonly label: string;
  readonly value: number;
}

/**
 * At most `max` categories: the largest first (ties by label, in code-unit order), the rest summed
 * into one, named by `other(count)`. Categories of value 0 are left out.
 */
export function largestCategories(categories: readonly Category[], max: number, other: (count: number) => string): Category[] {
  const sorted = categories.filter((c) => c.value > 0).sort((a, b) => b.value - a.value || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  if (sorted.length <= max) return sorted;
  const kept = sorted.slice(0, Math.max(0, max - 1));
  const rest = sorted.slice(kept.length);
  return [...kept, { label: other(rest.length), value: rest.reduce((sum, c) => sum + c.value, 0) }];
}

const INDENT = '    ';

/** A pie with its values in the legend; slices of value 0 are left out (Mermaid refuses none, draws nothing). */
export function pieChart(title: string, slices: readonly Category[]): string {
  const shown = slices.filter((slice) => slice.value > 0);
  if (shown.length === 0) throw new RangeError('a pie needs at least one slice above 0');
  const labels = distinctLabels(shown.map((slice) => slice.label), LABEL_MAX);
  // A pie's title runs to the end of its line, unquoted.
  return ['pie showData', `${INDENT}title ${mermaidText(title, 80)}`, ...shown.map((slice, i) => `${INDENT}"${encode(labels[i]!)}" : ${mermaidNumber(slice.value)}`)].join('\n');
}

export interface XyChart {
  readonly title: string;
  readonly xTitle: string;
  readonly categories: readonly string[];
  readonly yTitle: string;
  /** The y-axis runs from 0 to this. */
  readonly yMax: number;
  readonly series: 'bar' | 'line';
  /** One value per category. */
  readonly values: readonly number[];
}

/** A bar or line chart over named categories, vertical, with a y-axis from 0. */
export function xyChart(chart: XyChart): string {
  if (chart.categories.length === 0 || chart.categories.length !== chart.values.length) {
    throw new RangeError(`a chart needs one value per category (${chart.categories.length} categories, ${chart.values.length} values)`);
  }
  const quoted = (text: string) => `"${encode(text)}"`;
  const categories = distinctLabels(chart.categories, CATEGORY_MAX).map(quoted).join(', ');
  const yMax = Math.max(chart.yMax, ...chart.values, 1);
  return [
    'xychart-beta',
    `${INDENT}title "${mermaidText(chart.title, 80)}"`,
    `${INDENT}x-axis "${mermaidText(chart.xTitle)}" [${categories}]`,
    `${INDENT}y-axis "${mermaidText(chart.yTitle)}" 0 --> ${mermaidNumber(yMax)}`,
    `${INDENT}${chart.series} [${chart.values.map(mermaidNumber).join(', ')}]`,
  ].join('\n');
}

/** A chart as a fenced block of Markdown, for GitHub to draw. */
export function mermaidBlock(chart: string): string {
  return `\`\`\`mermaid\n${chart}\n\`\`\``;
}
