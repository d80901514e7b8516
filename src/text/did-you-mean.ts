// "Did you mean …?" for anything a user names that agg does not know: a user id, an aggregation type, a
// run id. Closeness is the optimal-string-alignment Damerau–Levenshtein distance (insertions,
// deletions, substitutions and swaps of two neighbours each cost 1) between the case-folded texts, so a
// case-only difference is the closest of all. A candidate is close when that distance is at most 2 and
// less than half the longer text's length (so `u1` never suggests `u2`, while `alcie` suggests `alice`).
// Suggestions come closest first, ties by the candidate's exact distance, then by JS string order:
// the same input and candidates always give the same answer. Candidates stream through a bounded pool,
// so a store's million users are never held at once.

/** The most edits a suggestion may be away. */
export const MAX_SUGGESTION_DISTANCE = 2;

/** At most this many suggestions are offered. */
export const MAX_SUGGESTIONS = 3;

/**
 * The optimal-string-alignment distance between `a` and `b`, or `max + 1` as soon as it is known to
 * exceed `max` (texts whose lengths differ by more, or every alignment already costing more).
 */
export function boundedEditDistance(a: string, b: string, max: number): number {
  if (a === b) return 0;
  const over = max + 1;
  if (Math.abs(a.length - b.length) > max) return over;
  if (a.length === 0 || b.length === 0) return Math.max(a.length, b.length);
  const width = b.length + 1;
  let older = new Array<number>(width).fill(0);
  let previous = Array.from({ length: width }, (_, j) => j);
  let current = new Array<number>(width).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, older[j - 2]! + 1);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    // Every alignment passes through this row, and costs only grow.
    if (rowMin > max) return over;
    [older, previous, current] = [previous, current, older];
  }
  return Math.min(previous[b.length]!, over);
}

/** How close `candidate` is to `input` (lower is closer), or null when it is no plausible suggestion. */
export function closeness(input: string, candidate: string, options: { substring?: boolean } = {}): [number, number] | null {
  if (candidate === input) return null;
  const folded = boundedEditDistance(input.toLowerCase(), candidate.toLowerCase(), MAX_SUGGESTION_DISTANCE);
  const longer = Math.max(input.length, candidate.length);
  if (folded <= MAX_SUGGESTION_DISTANCE && (folded === 0 || 2 * folded < longer)) {
    return [folded, boundedEditDistance(input, candidate, MAX_SUGGESTION_DISTANCE + longer)];
  }
  // For short fixed vocabularies (the aggregation types): `channel` suggests `top_channels`.
  if (options.substring && input.length >= 3 && candidate.toLowerCase().includes(input.toLowerCase())) return [MAX_SUGGESTION_DISTANCE + 1, candidate.length];
  return null;
}

/** Keeps the best few suggestions for one input while candidates stream past. */
export class SuggestionPool {
  private readonly best: { candidate: string; score: [number, number] }[] = [];

  constructor(
    readonly input: string,
    private readonly options: { limit?: number; substring?: boolean } = {},
  ) {}

  offer(candidate: string): void {
    const score = closeness(this.input, candidate, this.options);
    if (score === null || this.best.some((entry) => entry.candidate === candidate)) return;
    this.best.push({ candidate, score });
    this.best.sort((x, y) => x.score[0] - y.score[0] || x.score[1] - y.score[1] || (x.candidate < y.candidate ? -1 : x.candidate > y.candidate ? 1 : 0));
    if (this.best.length > (this.options.limit ?? MAX_SUGGESTIONS)) this.best.pop();
  }

  get suggestions(): string[] {
    return this.best.map((entry) => entry.candidate);
  }
}

/** The closest few of `candidates` to `input`, closest first. */
export function suggest(input: string, candidates: Iterable<string>, options: { limit?: number; substring?: boolean } = {}): string[] {
  const pool = new SuggestionPool(input, options);
  for (const candidate of candidates) pool.offer(candidate);
  return pool.suggestions;
}

/** "did you mean a, b or c?", or null with nothing to suggest. */
export function didYouMean(suggestions: readonly string[]): string | null {
  if (suggestions.length === 0) return null;
  const listed = suggestions.length === 1 ? suggestions[0]! : `${suggestions.slice(0, -1).join(', ')} or ${suggestions.at(-1)!}`;
  return `did you mean ${listed}?`;
}
