import { readDecimal } from './numbers.js';

// Sizes of files as options and messages write them: "2GiB", "500MB", "1.5GiB" or a number of bytes.

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const SIZE = /^(.*?)([A-Za-z]+)?$/;

/** Bytes of a size text ("2GiB", "500MB", "1048576"; units in any case) within [min, max], or null. */
export function readSize(text: string, range: { readonly min: number; readonly max: number }): number | null {
  const [, amount, unit] = SIZE.exec(text)!;
  const factor = unit === undefined ? 1 : UNIT_BYTES[unit.toLowerCase()];
  if (factor === undefined || amount === undefined) return null;
  const n = readDecimal(amount, { min: 0, max: Number.MAX_SAFE_INTEGER, maxDecimals: 3 });
  if (n === null) return null;
  const bytes = Math.floor(n * factor);
  return bytes >= range.min && bytes <= range.max ? bytes : null;
}

/** "1 GiB", "1.5 GiB", "640 KiB", "12 B": binary units, whole when exact, else one decimal. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${text} ${units[unit]}`;
}

/** The smallest round size (a power of two in MiB or GiB, as an option value) that is at least `bytes`. */
export function roundSizeAbove(bytes: number): string {
  for (let mib = 1; ; mib *= 2) {
    if (mib * 1024 ** 2 >= bytes) return mib >= 1024 ? `${mib / 1024}GiB` : `${mib}MiB`;
  }
}
