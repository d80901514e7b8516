import type { z } from 'zod';
import { CALL_BYTES_BUDGET, CONVEX_LIMITS } from '../../core/convex-limits.js';
import { type RetryPolicy, type RetryStats, withRetry } from '../retry.js';
import type { Page, PageRequest } from '../types.js';
import { expectAnswer, pageOf } from './answers.js';
import type { ConvexCaller } from './caller.js';

/** The calls every ConvexStore module and its maintenance facet go through: the same retries, answer checks and call counts. */
export interface ConvexCalls {
  query<T>(name: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T>;
  mutation<T>(name: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T>;
  page<T>(name: string, args: Record<string, unknown>, item: z.ZodType<T>, request: PageRequest, defaultLimit: number): Promise<Page<T>>;
  all<T>(name: string, args: Record<string, unknown>, item: z.ZodType<T>, pageSize: number): Promise<T[]>;
}

/** A page stops once it has read PAGE_BYTES; the document that crosses the line is at most 1 MiB more. */
const PAGE_BYTES = CALL_BYTES_BUDGET - CONVEX_LIMITS.documentBytes;

/** The calls of one ConvexStore: each under its retry policy, counted in its stats, its answer checked against the schema. */
export class RetriedConvexCalls implements ConvexCalls {
  constructor(
    private readonly caller: ConvexCaller,
    private readonly retry: RetryPolicy,
    private readonly stats: RetryStats,
  ) {}

  query<T>(name: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    return withRetry(async () => expectAnswer(schema, await this.caller.query(name, args), name), this.retry, this.stats);
  }

  mutation<T>(name: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    return withRetry(async () => expectAnswer(schema, await this.caller.mutation(name, args), name), this.retry, this.stats);
  }

  async page<T>(name: string, args: Record<string, unknown>, item: z.ZodType<T>, request: PageRequest, defaultLimit: number): Promise<Page<T>> {
    const answer = await this.query(
      name,
      { ...args, paginationOpts: { numItems: request.limit ?? defaultLimit, cursor: request.cursor, maximumBytesRead: PAGE_BYTES } },
      pageOf(item),
    );
    return { items: answer.page, cursor: answer.isDone ? null : answer.continueCursor, isDone: answer.isDone };
  }

  async all<T>(name: string, args: Record<string, unknown>, item: z.ZodType<T>, pageSize: number): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: Page<T> = await this.page(name, args, item, { cursor, limit: pageSize }, pageSize);
      items.push(...page.items);
      if (page.isDone) return items;
      cursor = page.cursor;
    }
  }
}
