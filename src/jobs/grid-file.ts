import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DEFAULT_GRID, type Filters, canonicalFilters, filterHash, filtersSchema } from '../core/filters.js';
import { UsageError } from '../cli/errors.js';

/** `--grid default|FILE`: the default 18 sets, or a JSON array of filter sets from a file. */
export async function loadGrid(reference: string | undefined): Promise<Filters[]> {
  if (reference === undefined || reference === 'default') return [...DEFAULT_GRID];
  let text: string;
  try {
    text = await readFile(reference, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--grid ${reference}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${(error as Error).message})`}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--grid ${reference}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = z.array(filtersSchema.strict()).min(1, 'the grid needs at least one filter set').safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`--grid ${reference}: ${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message} (expected a JSON array of {timeframe, product, topics, channels})`);
  }
  const unique = new Map<string, Filters>();
  for (const filters of parsed.data.map(canonicalFilters)) unique.set(filterHash(filters), filters);
  return [...unique.values()];
}
