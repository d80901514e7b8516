// Plain JSON values: what every aggregation returns and what the store keeps.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** JSON with object keys sorted (UTF-16 order) at every depth: the form that is hashed and stored. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`not a JSON value: ${String(value)}`);
    return text;
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]);
    }
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key) + ':' + canonicalJson(item);
  }
  return out + '}';
}

const NON_ASCII_RUN = /[^\x00-\x7f]+/g;

/** Bytes of the UTF-8 encoding of a string; ASCII runs are skipped natively (lone surrogates count 3). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  NON_ASCII_RUN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = NON_ASCII_RUN.exec(text)) !== null) {
    const run = match[0];
    for (let i = 0; i < run.length; i++) {
      const code = run.charCodeAt(i);
      // Two bytes below U+0800, three above; a surrogate pair is 2 units and 4 bytes, so +1 per unit.
      bytes += code < 0x800 ? 1 : code >= 0xd800 && code <= 0xdfff ? (isPairedSurrogate(run, i) ? 1 : 2) : 2;
    }
  }
  return bytes;
}

function isPairedSurrogate(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff;
  }
  const previous = text.charCodeAt(i - 1);
  return previous >= 0xd800 && previous <= 0xdbff;
}

export interface JsonShape {
  /** UTF-8 bytes of the JSON text. */
  bytes: number;
  /** Most elements in any one array. */
  longestArray: number;
  /** Most fields in any one object. */
  widestObject: number;
  /** Deepest nesting of arrays and objects (a scalar is 0). */
  depth: number;
}

/** The figures the storage layer checks against Convex's value limits; `json` is the value's JSON text. */
export function measureJson(value: unknown, json: string = JSON.stringify(value)): JsonShape {
  const shape: JsonShape = { bytes: utf8Length(json), longestArray: 0, widestObject: 0, depth: 0 };
  shape.depth = walk(value, shape);
  return shape;
}

function walk(value: unknown, shape: JsonShape): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  if (Array.isArray(value)) {
    if (value.length > shape.longestArray) shape.longestArray = value.length;
    for (const item of value) {
      if (item !== null && typeof item === 'object') deepest = Math.max(deepest, walk(item, shape));
    }
  } else {
    let fields = 0;
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      fields++;
      if (item !== null && typeof item === 'object') deepest = Math.max(deepest, walk(item, shape));
    }
    if (fields > shape.widestObject) shape.widestObject = fields;
  }
  return deepest + 1;
}

/** True when the value is plain JSON: no undefined, NaN, Infinity, Date, Map or class instance. */
export function isPlainJson(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      if (Array.isArray(value)) return value.every(isPlainJson);
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      return Object.values(value).every(isPlainJson);
    default:
      return false;
  }
}
