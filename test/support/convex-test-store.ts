import schema from '../../src/component/schema.js';
import { ConvexStore } from '../../src/store/convex/convex-store.js';
import type { ConvexCaller } from '../../src/store/convex/caller.js';
import { classifyingCaller } from '../../src/store/convex/http-caller.js';
import { StoreError } from '../../src/store/errors.js';
import type { RetryPolicy } from '../../src/store/retry.js';
import { measureJson } from '../../src/core/json.js';
import { CONVEX_LIMITS } from '../../src/store/value-limits.js';
import type { Value } from 'convex/values';
import { type AggTestDeployment, makeAggDeployment } from './agg-deployment.js';
import { valueLimitProblem } from './value-limits.js';

export type TestConvex = AggTestDeployment;

/** An in-process app deployment with the agg component mounted, Convex's per-transaction limits enforced. */
export function makeTestConvex(): TestConvex {
  return makeAggDeployment();
}

/**
 * The same query/mutation shape as the CLI's caller (component functions by path), with the same error
 * classification, and as strict about values as a deployment: an argument or a result that breaks
 * Convex's value limits fails the call.
 */
export function testCaller(t: TestConvex): ConvexCaller {
  const checked = async (name: string, args: Record<string, unknown>, call: () => Promise<unknown>): Promise<unknown> => {
    const argsProblem = valueLimitProblem(args as Value);
    if (argsProblem !== null) throw new Error(`ArgumentValidationError: ${argsProblem} (calling ${name})`);
    const result = await call();
    const resultProblem = valueLimitProblem((result ?? null) as Value);
    if (resultProblem !== null) throw new Error(`the value ${name} returned is not a valid Convex value: ${resultProblem}`);
    return result;
  };
  return classifyingCaller({
    query: (name, args) => checked(name, args, () => t.query(name, args)),
    mutation: (name, args) => checked(name, args, () => t.mutation(name, args)),
  });
}

export const NO_WAIT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 1, random: () => 0, sleep: async () => undefined };

export function makeConvexTestStore(t: TestConvex = makeTestConvex(), caller: ConvexCaller = testCaller(t)): ConvexStore {
  return new ConvexStore(caller, { description: 'convex-test deployment', retry: NO_WAIT_RETRY });
}

const TABLES = Object.keys((schema as unknown as { tables: Record<string, unknown> }).tables);

/**
 * convex-test does not enforce Convex's per-document limits, so tests check every stored document:
 * at most 1 MiB, arrays of at most 8,192 elements, objects of at most 1,024 fields.
 */
export async function assertDocumentLimits(t: TestConvex, options: { skip?: string[] } = {}): Promise<number> {
  let checked = 0;
  for (const table of TABLES.filter((name) => !options.skip?.includes(name))) {
    let cursor: string | null = null;
    for (;;) {
      const page: { page: Record<string, unknown>[]; isDone: boolean; continueCursor: string } = await t.run((ctx) =>
        (ctx.db.query(table as never) as unknown as { paginate(o: unknown): Promise<never> }).paginate({ numItems: 200, cursor, maximumBytesRead: 8 * 1024 * 1024 }),
      );
      for (const doc of page.page) {
        const shape = measureJson(doc);
        const where = `${table} document ${String(doc._id)}`;
        if (shape.bytes > CONVEX_LIMITS.documentBytes) throw new Error(`${where} is ${shape.bytes} bytes, over Convex's 1 MiB limit`);
        if (shape.longestArray > CONVEX_LIMITS.arrayElements) throw new Error(`${where} has an array of ${shape.longestArray} elements`);
        if (shape.widestObject > CONVEX_LIMITS.objectFields) throw new Error(`${where} has an object of ${shape.widestObject} fields`);
        checked++;
      }
      if (page.isDone) break;
      cursor = page.continueCursor;
    }
  }
  return checked;
}

/**
 * A caller that loses the answer of every mutation the first time it is made (the mutation committed,
 * the client saw a transient failure): ConvexStore retries, so every mutation must be idempotent.
 */
export function losingCaller(t: TestConvex): ConvexCaller & { readonly lost: () => number } {
  const inner = testCaller(t);
  const seen = new Set<string>();
  let lost = 0;
  return {
    query: inner.query,
    mutation: async (name, args) => {
      const answer = await inner.mutation(name, args);
      const key = `${name}\u0000${JSON.stringify(args)}`;
      if (!seen.has(key)) {
        seen.add(key);
        lost++;
        throw new StoreError(`injected lost answer after ${name}`, 'transient');
      }
      return answer;
    },
    lost: () => lost,
  };
}
