import { describe, expect, it } from 'vitest';
import { MAX_DURATION_MS, MAX_TIMER_MS, checkDuration, formatDuration, parseDuration } from '../../src/core/duration.js';
import { parseDurationOption } from '../../src/cli/durations.js';

describe('parseDuration', () => {
  it('reads durations of one or more parts', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(parseDuration('250ms')).toBe(250);
  });

  it('refuses what is not a duration, zero, and what no duration is', () => {
    for (const text of ['', '10', '5 m', '-5m', '1.5h', 'soon', '1y', 'Infinitys', '0x10s']) expect(checkDuration(text), text).toEqual({ problem: 'syntax' });
    for (const text of ['1'.repeat(400) + 's', '9007199254740993ms']) expect(checkDuration(text), text).toEqual({ problem: 'range' });
    for (const text of ['0s', '0ms0s', '0d']) expect(checkDuration(text), text).toEqual({ problem: 'zero' });
    expect(parseDuration('0s')).toBeNull();
  });

  it('reads zero where the caller says zero means something', () => {
    expect(checkDuration('0d', MAX_DURATION_MS, true)).toEqual({ ms: 0 });
    expect(parseDuration('0s0ms', MAX_DURATION_MS, true)).toBe(0);
  });

  it('bounds every duration at 36,500 days, and timers at 2^31−1 ms', () => {
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
    expect(parseDuration('36500d')).toBe(MAX_DURATION_MS);
    expect(checkDuration('36500d1ms')).toEqual({ problem: 'range' });
    expect(checkDuration('5214w')).toEqual({ ms: 5214 * 604_800_000 });
    expect(checkDuration('5215w')).toEqual({ problem: 'range' });
    expect(parseDuration(`${MAX_TIMER_MS}ms`, MAX_TIMER_MS)).toBe(MAX_TIMER_MS);
    expect(checkDuration(`${MAX_TIMER_MS + 1}ms`, MAX_TIMER_MS)).toEqual({ problem: 'range' });
    expect(checkDuration('25d', MAX_TIMER_MS)).toEqual({ problem: 'range' });
    expect(checkDuration('24d', MAX_TIMER_MS)).toEqual({ ms: 24 * 86_400_000 });
  });

  it('writes durations back exactly', () => {
    expect(formatDuration(MAX_TIMER_MS)).toBe('24d20h31m23s647ms');
    expect(formatDuration(MAX_DURATION_MS)).toBe('36500d');
    expect(parseDuration(formatDuration(MAX_TIMER_MS))).toBe(MAX_TIMER_MS);
  });
});

const NO_ZERO = { allowed: false as const, why: 'it means nothing here' };

describe('parseDurationOption', () => {
  it('names the option and the accepted range', () => {
    expect(parseDurationOption('30s', { option: '--timeout', examples: '30s, 2m', timer: true, zero: NO_ZERO })).toBe(30_000);
    expect(() => parseDurationOption('soon', { option: '--timeout', examples: '30s, 2m', timer: true, zero: NO_ZERO })).toThrow('--timeout "soon" is not a duration (expected e.g. 30s, 2m)');
    expect(() => parseDurationOption('30d', { option: '--timeout', examples: '30s, 2m', timer: true, zero: NO_ZERO })).toThrow(
      '--timeout "30d" is not a duration from 1ms to 24d20h31m23s647ms (2^31−1 ms, the longest timer; expected e.g. 30s, 2m)',
    );
    expect(() => parseDurationOption('0s', { option: '--max-runtime', examples: '10m', zero: NO_ZERO })).toThrow('--max-runtime "0s" must be more than zero: it means nothing here');
    expect(parseDurationOption('30d', { option: '--max-runtime', examples: '10m', zero: NO_ZERO })).toBe(30 * 86_400_000);
    expect(parseDurationOption('0d', { option: '--older-than', examples: '30d', zero: { allowed: true } })).toBe(0);
    expect(() => parseDurationOption('36501d', { option: '--older-than', examples: '30d', zero: { allowed: true } })).toThrow('--older-than "36501d" is not a duration from 0s to 36500d');
  });
});
