import type { JsonValue } from '../core/json.js';

// JSON for people, at a terminal's width: a value goes on one line when it fits, otherwise its members
// go one per line, indented by two; an array of plain values (numbers, strings, booleans, null) that
// does not fit is filled line by line instead, so a 168-cell heatmap is a dozen lines, not 168. Keys
// keep their order. Only a single string longer than the width can make a line longer.

type Scalar = string | number | boolean | null;

const isScalar = (value: JsonValue): value is Scalar => value === null || typeof value !== 'object';

/** The value on one line, with a space after each `:` and `,`. */
function inline(value: JsonValue): string {
  if (isScalar(value)) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  return `{${Object.entries(value).map(([key, member]) => `${JSON.stringify(key)}: ${inline(member)}`).join(', ')}}`;
}

/**
 * Lines for `value` starting at `indent`, after `prefix` (a key, or nothing), followed by `suffix`
 * (a comma, or nothing).
 */
function render(value: JsonValue, indent: number, prefix: string, suffix: string, width: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  const one = inline(value);
  if (isScalar(value) || pad.length + prefix.length + one.length + suffix.length <= width) {
    out.push(`${pad}${prefix}${one}${suffix}`);
    return;
  }
  const inner = ' '.repeat(indent + 2);
  if (Array.isArray(value)) {
    out.push(`${pad}${prefix}[`);
    if (value.every(isScalar)) {
      let line = '';
      value.forEach((member, i) => {
        const text = `${JSON.stringify(member)}${i < value.length - 1 ? ',' : ''}`;
        if (line !== '' && inner.length + line.length + 1 + text.length > width) {
          out.push(`${inner}${line}`);
          line = '';
        }
        line = line === '' ? text : `${line} ${text}`;
      });
      if (line !== '') out.push(`${inner}${line}`);
    } else {
      value.forEach((member, i) => render(member, indent + 2, '', i < value.length - 1 ? ',' : '', width, out));
    }
    out.push(`${pad}]${suffix}`);
    return;
  }
  const entries = Object.entries(value);
  out.push(`${pad}${prefix}{`);
  entries.forEach(([key, member], i) => render(member, indent + 2, `${JSON.stringify(key)}: `, i < entries.length - 1 ? ',' : '', width, out));
  out.push(`${pad}}${suffix}`);
}

/** `value` as readable JSON lines of at most `width` characters (but for long strings); no final newline. */
export function prettyJson(value: JsonValue, width = 80): string {
  const out: string[] = [];
  render(value, 0, '', '', width, out);
  return out.join('\n');
}
