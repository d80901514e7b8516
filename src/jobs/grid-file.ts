import { z } from 'zod';
import { DEFAULT_GRID, type Filters, canonicalFilters, filterHash, filtersSchema } from '../core/filters.js';
import { UsageError } from '../errors.js';
import { parseSmallJson, readSmallTextFile } from '../input/small-json.js';

/**
 * The most filter sets a --grid file may hold: each is computed for every user (times every type), so
 * a grid is a few dozen sets (the default is 18; users record at most 50 combinations each).
 */
export const MAX_GRID_FILTER_SETS = 200;

/** `--grid default|FILE`: the default 18 sets, or a JSON array of filter sets from a file (at most 1 MiB). */
export async function loadGrid(reference: string | undefined): Promise<Filters[]> {
  if (reference === undefined || reference === 'default') return [...DEFAULT_GRID];
  const label = `--grid ${reference}`;
  let text: string;
  try {
    text = await readSmallTextFile(reference, label, 'grid file');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${label}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${(error as Error).message})`}`);
  }
  const raw = parseSmallJson(text, label);
  if (Array.isArray(raw) && raw.length > MAX_GRID_FILTER_SETS) {
    throw new UsageError(`${label}: ${raw.length} filter sets, over the limit of ${MAX_GRID_FILTER_SETS} per grid (split the grid across runs)`);
  }
  const parsed = z.array(filtersSchema.strict()).min(1, 'the grid needs at least one filter set').safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${label}: ${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message} (expected a JSON array of {timeframe, product, topics, channels})`);
  }
  const unique = new Map<string, Filters>();
  for (const filters of parsed.data.map(canonicalFilters)) unique.set(filterHash(filters), filters);
  return [...unique.values()];
}
