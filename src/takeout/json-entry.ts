import { z } from 'zod';
import { TakeoutFormatError } from './errors.js';

const namedLink = z.object({ name: z.string().optional(), url: z.string().optional() });

/** One activity of watch-history.json (spec §2.5), as far as the parser reads it; other fields pass. */
export const takeoutJsonEntrySchema = z.object({
  header: z.string().optional(),
  title: z.string(),
  titleUrl: z.string().optional(),
  subtitles: z.array(namedLink).optional(),
  time: z.string(),
  details: z.array(z.object({ name: z.string().optional() })).optional(),
});

export type TakeoutJsonEntry = z.infer<typeof takeoutJsonEntrySchema>;

function describeValue(value: unknown, path: readonly PropertyKey[]): string {
  let current = value;
  for (const key of path) {
    current = current !== null && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined;
  }
  if (current === undefined) return 'missing';
  const text = JSON.stringify(current);
  return `got ${text.length > 60 ? `${text.slice(0, 59)}…` : text}`;
}

/** The entry, validated; otherwise a one-line error names the entry (described lazily) and the field. */
export function validateTakeoutJsonEntry(value: unknown, describeEntry: () => string): TakeoutJsonEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TakeoutFormatError(`${describeEntry()} is not an activity object (got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}): not a Takeout watch-history export`);
  }
  const parsed = takeoutJsonEntrySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  const expected = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
  throw new TakeoutFormatError(`${describeEntry()} is not a Takeout activity: "${path}" ${expected} (${describeValue(value, issue.path)})`);
}

