import type { Page, PageRequest } from './types.js';

/**
 * The pages of a paged listing (the one cursor loop), non-empty ones only: `fetch` is called with the
 * cursor of the page before (and `limit`, when given), until the store says it is done.
 */
export async function* pagesOf<T>(fetch: (request: PageRequest) => Promise<Page<T>>, limit?: number): AsyncGenerator<T[], void, undefined> {
  let cursor: string | null = null;
  for (;;) {
    const page: Page<T> = await fetch(limit === undefined ? { cursor } : { cursor, limit });
    if (page.items.length > 0) yield page.items;
    if (page.isDone) return;
    cursor = page.cursor;
  }
}

/** Every item of a paged listing, in order. */
export async function* paginate<T>(fetch: (request: PageRequest) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
  for await (const items of pagesOf(fetch)) yield* items;
}
