import { UsageError } from './errors.js';

/** User ids are opaque, but must be printable, trimmed and of a sane length. */
export function parseUserId(option: string, value: string): string {
  if (value.length === 0 || value.length > 256 || value.trim() !== value || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new UsageError(`${option} ${JSON.stringify(value.slice(0, 60))} is not a valid user id (1–256 printable characters, no surrounding spaces)`);
  }
  return value;
}
