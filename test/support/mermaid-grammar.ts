// A strict check of the Mermaid that agg writes, and nothing more: the ```mermaid blocks of a Markdown
// report, each a `pie` or an `xychart-beta` of the shape src/cli/mermaid.ts produces. It follows the
// lexical rules of Mermaid's own grammars (the pie's Langium grammar in @mermaid-js/parser; the
// xychart's Jison grammar in mermaid) for that subset, and is stricter where Mermaid would accept
// something that draws wrong: a label must be plain text and entity codes (#35;), never a raw
// "#", ";", "%", quote, backtick, bracket or control character; categories and slices must be
// distinct (Mermaid merges equal ones); every series has one value per category. It returns what it
// read, labels decoded, so tests can check the numbers; anything else throws, naming the line.

export interface PieChart {
  readonly kind: 'pie';
  readonly showData: boolean;
  readonly title: string;
  readonly slices: readonly { readonly label: string; readonly value: number }[];
}

export interface XyChart {
  readonly kind: 'xychart';
  readonly title: string;
  readonly xTitle: string;
  readonly categories: readonly string[];
  readonly yTitle: string;
  readonly yRange: readonly [number, number];
  readonly series: readonly { readonly kind: 'bar' | 'line'; readonly values: readonly number[] }[];
}

export type Chart = PieChart | XyChart;

export class MermaidSyntaxError extends Error {}

/** Raw characters a label may hold: letters, digits and marks of any script, spaces, and these. */
const PLAIN = /^[\p{L}\p{N}\p{M} _.,\-+/()@=!?*']$/u;

/** The text of a label or title: plain characters and numeric entity codes; decoded. */
export function decodeLabel(body: string, where: string): string {
  if (body === '') throw new MermaidSyntaxError(`${where}: an empty label`);
  if (body !== body.trim()) throw new MermaidSyntaxError(`${where}: a label with spaces around it`);
  let out = '';
  for (let i = 0; i < body.length; ) {
    const char = String.fromCodePoint(body.codePointAt(i)!);
    if (char === '#') {
      const entity = /^#(\d{1,7});/.exec(body.slice(i));
      if (!entity) throw new MermaidSyntaxError(`${where}: a "#" that does not start an entity code (#NN;): ${JSON.stringify(body)}`);
      const point = Number(entity[1]);
      if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) throw new MermaidSyntaxError(`${where}: entity code #${point}; is no character`);
      out += String.fromCodePoint(point);
      i += entity[0].length;
      continue;
    }
    if (!PLAIN.test(char)) throw new MermaidSyntaxError(`${where}: ${JSON.stringify(char)} must be written as an entity code in ${JSON.stringify(body)}`);
    out += char;
    i += char.length;
  }
  return out;
}

/** One line read left to right: literals, quoted strings, numbers, lists. */
class Line {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly where: string,
  ) {}

  fail(message: string): never {
    throw new MermaidSyntaxError(`${this.where}: ${message} at column ${this.at + 1} of ${JSON.stringify(this.text)}`);
  }

  literal(expected: string): void {
    if (!this.text.startsWith(expected, this.at)) this.fail(`expected ${JSON.stringify(expected)}`);
    this.at += expected.length;
  }

  peek(expected: string): boolean {
    return this.text.startsWith(expected, this.at);
  }

  /** "…": no quote inside (neither grammar has an escape for one), one line. */
  quoted(): string {
    this.literal('"');
    const end = this.text.indexOf('"', this.at);
    if (end < 0) this.fail('an unterminated string');
    const body = this.text.slice(this.at, end);
    this.at = end + 1;
    return decodeLabel(body, this.where);
  }

  /** The number tokens of both grammars, narrowed: digits with at most one fraction, no sign, no exponent. */
  number(): number {
    const match = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?![0-9.eE])/.exec(this.text.slice(this.at));
    if (!match) this.fail('expected a number (digits, optionally with decimals)');
    this.at += match[0].length;
    return Number(match[0]);
  }

  list<T>(item: () => T): T[] {
    this.literal('[');
    const items = [item()];
    while (this.peek(', ')) {
      this.literal(', ');
      items.push(item());
    }
    this.literal(']');
    return items;
  }

  rest(): string {
    const rest = this.text.slice(this.at);
    this.at = this.text.length;
    return rest;
  }

  end(): void {
    if (this.at !== this.text.length) this.fail('unexpected text');
  }
}

const INDENT = '    ';

function distinct(labels: readonly string[], what: string, where: string): void {
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) throw new MermaidSyntaxError(`${where}: ${what} ${JSON.stringify(label)} appears twice (Mermaid would merge them)`);
    seen.add(label);
  }
}

function parsePie(lines: readonly string[]): PieChart {
  const showData = lines[0] === 'pie showData';
  if (!showData && lines[0] !== 'pie') throw new MermaidSyntaxError(`line 1: expected "pie" or "pie showData", got ${JSON.stringify(lines[0])}`);
  const head = new Line(lines[1] ?? '', 'line 2');
  head.literal(`${INDENT}title `);
  // A pie's title is the rest of its line, unquoted; "%%" would start a comment (not allowed anyway).
  const title = decodeLabel(head.rest(), 'line 2');
  const slices = lines.slice(2).map((text, i) => {
    const line = new Line(text, `line ${i + 3}`);
    line.literal(INDENT);
    const label = line.quoted();
    line.literal(' : ');
    const value = line.number();
    line.end();
    if (value <= 0) line.fail('a slice of 0 (Mermaid draws nothing for it)');
    return { label, value };
  });
  if (slices.length === 0) throw new MermaidSyntaxError('a pie with no slices');
  distinct(slices.map((slice) => slice.label), 'slice', 'pie');
  return { kind: 'pie', showData, title, slices };
}

function parseXy(lines: readonly string[]): XyChart {
  if (lines[0] !== 'xychart-beta') throw new MermaidSyntaxError(`line 1: expected "xychart-beta", got ${JSON.stringify(lines[0])}`);
  const titleLine = new Line(lines[1] ?? '', 'line 2');
  titleLine.literal(`${INDENT}title `);
  const title = titleLine.quoted();
  titleLine.end();
  const x = new Line(lines[2] ?? '', 'line 3');
  x.literal(`${INDENT}x-axis `);
  const xTitle = x.quoted();
  x.literal(' ');
  const categories = x.list(() => x.quoted());
  x.end();
  distinct(categories, 'category', 'x-axis');
  const y = new Line(lines[3] ?? '', 'line 4');
  y.literal(`${INDENT}y-axis `);
  const yTitle = y.quoted();
  y.literal(' ');
  const yRange: [number, number] = [y.number(), 0];
  y.literal(' --> ');
  yRange[1] = y.number();
  y.end();
  if (!(yRange[0] < yRange[1])) y.fail('a y-axis range that does not rise');
  const series = lines.slice(4).map((text, i) => {
    const line = new Line(text, `line ${i + 5}`);
    line.literal(INDENT);
    const kind: 'bar' | 'line' = line.peek('bar ') ? 'bar' : line.peek('line ') ? 'line' : line.fail('expected "bar" or "line"');
    line.literal(`${kind} `);
    const values = line.list(() => line.number());
    line.end();
    if (values.length !== categories.length) line.fail(`${values.length} values for ${categories.length} categories`);
    if (values.some((value) => value < yRange[0] || value > yRange[1])) line.fail('a value outside the y-axis range');
    return { kind, values };
  });
  if (series.length === 0) throw new MermaidSyntaxError('an xychart with no bar or line');
  return { kind: 'xychart', title, xTitle, categories, yTitle, yRange, series };
}

/** One chart's text (what goes between the fences). */
export function parseChart(text: string): Chart {
  if (/\r/.test(text)) throw new MermaidSyntaxError('a carriage return');
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') throw new MermaidSyntaxError(`line ${i + 1}: a blank line`);
    if (line !== line.trimEnd()) throw new MermaidSyntaxError(`line ${i + 1}: trailing spaces`);
    if (/\p{Cc}/u.test(line)) throw new MermaidSyntaxError(`line ${i + 1}: a control character`);
  });
  if (lines[0]!.startsWith('pie')) return parsePie(lines);
  if (lines[0]!.startsWith('xychart')) return parseXy(lines);
  throw new MermaidSyntaxError(`line 1: not a chart agg writes: ${JSON.stringify(lines[0])}`);
}

/** The ```mermaid blocks of a Markdown text, each checked; an unclosed fence throws. */
export function mermaidCharts(markdown: string): Chart[] {
  const charts: Chart[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```mermaid') {
      if (/^\s*```\s*mermaid/.test(lines[i]!)) throw new MermaidSyntaxError(`markdown line ${i + 1}: a mermaid fence spelled oddly: ${JSON.stringify(lines[i])}`);
      continue;
    }
    const close = lines.indexOf('```', i + 1);
    if (close < 0) throw new MermaidSyntaxError(`markdown line ${i + 1}: a mermaid block that is never closed`);
    charts.push(parseChart(lines.slice(i + 1, close).join('\n')));
    i = close;
  }
  return charts;
}
