import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { parseDecimal, parseInteger, readDecimal, readInteger } from '../../src/text/numbers.js';
import { formatSize, readSize, roundSizeAbove } from '../../src/text/sizes.js';

// What no numeric option accepts, whatever its range: every spelling but the one plain way.
const NOT_NUMBERS = ['', ' ', ' 5', '5 ', '5\n', '1e3', '1E3', '0x10', '0o7', '0b1', '+5', '-0', '5.', '.5', '05', '00', '1_000', '1,000', 'Infinity', '-Infinity', 'NaN', 'five', '5five', '٥'];

describe('readInteger / parseInteger', () => {
  it('reads whole numbers written the plain way, within the range', () => {
    expect(readInteger('0', { min: 0, max: 20 })).toBe(0);
    expect(readInteger('7', { min: 0, max: 20 })).toBe(7);
    expect(readInteger('20', { min: 0, max: 20 })).toBe(20);
    expect(readInteger('999999999999999', { min: 0, max: Number.MAX_SAFE_INTEGER })).toBe(999_999_999_999_999);
  });

  it('refuses every other spelling, and values out of range', () => {
    for (const text of [...NOT_NUMBERS, '5.0', '2.5']) expect(readInteger(text, { min: 0, max: 1000 }), JSON.stringify(text)).toBeNull();
    expect(readInteger('21', { min: 0, max: 20 })).toBeNull();
    expect(readInteger('0', { min: 1, max: 20 })).toBeNull();
    expect(readInteger('-1', { min: 0, max: 20 })).toBeNull();
    expect(readInteger('9007199254740993', { min: 0, max: Number.MAX_SAFE_INTEGER })).toBeNull();
    expect(readInteger('1'.repeat(400), { min: 0, max: Number.MAX_SAFE_INTEGER })).toBeNull();
  });

  it('reads negative numbers only where the range has them, and never "-0"', () => {
    expect(readInteger('-3', { min: -5, max: 5 })).toBe(-3);
    expect(readInteger('-0', { min: -5, max: 5 })).toBeNull();
    expect(readInteger('-6', { min: -5, max: 5 })).toBeNull();
  });

  it('says what it expects in one shape, quoting the value', () => {
    expect(() => parseInteger('many', { option: '--concurrency', min: 1, max: 64 })).toThrow(new UsageError('--concurrency "many" must be a whole number from 1 to 64'));
    expect(() => parseInteger('0', { option: '--batch-size', min: 1, max: 1000, hint: '(rows per deleting call)' })).toThrow('--batch-size "0" must be a whole number from 1 to 1000 (rows per deleting call)');
    expect(() => parseInteger('x'.repeat(500), { option: '--limit', min: 1, max: 10 })).toThrow(/^--limit "x{59}…" must be/);
    expect(parseInteger('64', { option: '--concurrency', min: 1, max: 64 })).toBe(64);
  });
});

describe('readDecimal / parseDecimal', () => {
  it('reads decimals written the plain way, within the range and decimals allowed', () => {
    expect(readDecimal('0', { min: 0, max: 100 })).toBe(0);
    expect(readDecimal('0.5', { min: 0, max: 100 })).toBe(0.5);
    expect(readDecimal('12.34', { min: 0, max: 100, maxDecimals: 2 })).toBe(12.34);
    expect(readDecimal('100', { min: 0, max: 100, minExclusive: true })).toBe(100);
  });

  it('refuses every other spelling, values out of range and extra decimals', () => {
    for (const text of NOT_NUMBERS) expect(readDecimal(text, { min: 0, max: 1e6 }), JSON.stringify(text)).toBeNull();
    expect(readDecimal('12.345', { min: 0, max: 100, maxDecimals: 2 })).toBeNull();
    expect(readDecimal('100.01', { min: 0, max: 100 })).toBeNull();
    expect(readDecimal('0', { min: 0, max: 100, minExclusive: true })).toBeNull();
    expect(readDecimal('0.00', { min: 0, max: 100, minExclusive: true })).toBeNull();
    expect(readDecimal('-0.5', { min: 0, max: 100 })).toBeNull();
    expect(readDecimal('-0.0', { min: -1, max: 1 })).toBeNull();
    expect(readDecimal('-0.5', { min: -1, max: 1 })).toBe(-0.5);
  });

  it('takes an exponent only where the option asks for one', () => {
    expect(readDecimal('1e-9', { min: 0, max: 1 })).toBeNull();
    expect(readDecimal('1e-9', { min: 0, max: 1, exponent: true })).toBe(1e-9);
    expect(readDecimal('2.5E-3', { min: 0, max: 1, exponent: true })).toBe(0.0025);
    expect(readDecimal('1e400', { min: 0, max: Number.MAX_VALUE, exponent: true })).toBeNull();
    expect(readDecimal('1e3', { min: 0, max: 1, exponent: true })).toBeNull();
    for (const text of ['e5', '1e', '1e+', '.1e3', '0x1p3', 'Infinity']) expect(readDecimal(text, { min: 0, max: 1e9, exponent: true }), text).toBeNull();
  });

  it('says what it expects in one shape', () => {
    expect(() => parseDecimal('tight', { option: '--tolerance', min: 0, max: 1 })).toThrow('--tolerance "tight" must be a number from 0 to 1');
    expect(() => parseDecimal('0', { option: '--share', min: 0, max: 100, minExclusive: true, maxDecimals: 1 })).toThrow('--share "0" must be a number above 0 up to 100 with at most one decimal');
    expect(() => parseDecimal('1.234', { option: '--p', min: 0, max: 100, maxDecimals: 2 })).toThrow('--p "1.234" must be a number from 0 to 100 with at most two decimals');
  });
});

describe('sizes', () => {
  it('reads sizes in binary and decimal units, or bytes', () => {
    const any = { min: 1, max: 2 ** 50 };
    expect(readSize('1048576', any)).toBe(1_048_576);
    expect(readSize('4GiB', any)).toBe(4 * 1024 ** 3);
    expect(readSize('500MB', any)).toBe(500_000_000);
    expect(readSize('1.5gib', any)).toBe(1.5 * 1024 ** 3);
    expect(readSize('64KiB', any)).toBe(65_536);
    for (const text of ['', 'lots', '1e9', '4 GiB', '-1GiB', '4GB!', '4XB', 'GiB', '0x10']) expect(readSize(text, any), text).toBeNull();
    expect(readSize('0', any)).toBeNull();
    expect(readSize('5GiB', { min: 1, max: 4 * 1024 ** 3 })).toBeNull();
  });

  it('writes sizes in binary units, whole when exact', () => {
    expect(formatSize(12)).toBe('12 B');
    expect(formatSize(1024)).toBe('1 KiB');
    expect(formatSize(1024 ** 3)).toBe('1 GiB');
    expect(formatSize(1.5 * 1024 ** 2)).toBe('1.5 MiB');
    expect(formatSize(1_100_000)).toBe('1.0 MiB');
    expect(roundSizeAbove(1)).toBe('1MiB');
    expect(roundSizeAbove(1024 ** 3 + 1)).toBe('2GiB');
    expect(roundSizeAbove(300 * 1024 ** 2)).toBe('512MiB');
  });
});
