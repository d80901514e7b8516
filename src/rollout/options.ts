import { UsageError } from '../errors.js';
import { numberError, readDecimal } from '../text/numbers.js';
import { percentToBasisPoints } from '../core/rollout.js';

const PERCENT_RANGE = { min: 0, max: 100, maxDecimals: 2 } as const;

/** "25", "12.5", "12.34" or "12.34%" → basis points; anything else (or outside 0–100) is refused. */
export function parsePercent(text: string): number {
  const percent = readDecimal(text.endsWith('%') ? text.slice(0, -1) : text, PERCENT_RANGE);
  const basisPoints = percent === null ? null : percentToBasisPoints(percent);
  if (basisPoints === null) throw numberError('--percent', text, 'a percentage from 0 to 100 with at most two decimals (e.g. 5, 12.5, 33.33)');
  return basisPoints;
}

const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export function parseFlagName(text: string): string {
  if (!FLAG_NAME.test(text)) throw new UsageError(`--flag "${text.slice(0, 70)}" is not a flag name (1–64 letters, digits, _ . : -, starting with a letter or digit)`);
  return text;
}

export function parseReason(text: string | undefined): string | null {
  if (text === undefined) return null;
  const reason = text.trim();
  if (reason === '' || reason.length > 500 || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(reason)) {
    throw new UsageError('--reason must be 1–500 printable characters');
  }
  return reason;
}

export function parseActor(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const actor = text.trim();
  if (actor === '' || actor.length > 200 || /[\u0000-\u001f\u007f]/.test(actor)) throw new UsageError('--actor must be 1–200 printable characters');
  return actor;
}
