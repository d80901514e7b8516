// Pages of the Store contract: a cursor to continue from and an upper bound on items.

export interface PageRequest {
  readonly cursor: string | null;
  /** Upper bound on items; adapters may return fewer (byte budgets), never more. */
  readonly limit?: number;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass back to continue; null once `isDone`. */
  readonly cursor: string | null;
  readonly isDone: boolean;
}
