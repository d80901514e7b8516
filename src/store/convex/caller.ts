/** The part of ConvexHttpClient agg uses; convex-test's `t` has the same shape, so tests share it. */
export interface ConvexCaller {
  query(name: string, args: Record<string, unknown>): Promise<unknown>;
  mutation(name: string, args: Record<string, unknown>): Promise<unknown>;
}
