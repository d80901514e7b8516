import { defineSchema, getFunctionName, type FunctionReference, type GenericMutationCtx, type GenericSchema, type SchemaDefinition } from 'convex/server';
import { convexTest } from 'convex-test';
import type { DataModel } from '../../src/component/_generated/dataModel.js';
import { aggSchema } from '../../src/test.js';
import { convexModules } from './convex-modules.js';

// An app deployment on convex-test with the agg component mounted (`app.use(agg)`), Convex's
// per-transaction limits on. Tests reach the component as the CLI does: functions by path, inside
// the component; `run` runs a handler inside the component's transaction, over its own tables.

export const AGG_COMPONENT = 'agg';

/** A bare app that installs agg and has nothing else: what the CLI's tests need. */
export const BARE_APP: AppDefinition = { schema: defineSchema({}), modules: { '/app/_generated/api.js': async () => ({}) } as Record<string, () => Promise<unknown>> };

export interface AppDefinition {
  readonly schema: SchemaDefinition<GenericSchema, boolean>;
  readonly modules: Record<string, () => Promise<unknown>>;
}

export type AggFunction = string | FunctionReference<'query' | 'mutation', 'public' | 'internal'>;

/** convex-test's methods for calling by path and running inside a component (untyped in its .d.ts). */
interface ByPath {
  queryFromPath(path: { componentPath: string; udfPath: string }, args: unknown): Promise<unknown>;
  mutationFromPath(path: { componentPath: string; udfPath: string }, args: unknown): Promise<unknown>;
  runInComponent<T>(componentPath: string, handler: (ctx: GenericMutationCtx<DataModel>) => Promise<T>): Promise<T>;
}

export interface AggTestDeployment {
  /** The app (convex-test's instance, root component): its own functions, identities, scheduler. */
  readonly app: ReturnType<typeof convexTest>;
  readonly componentPath: string;
  run<T>(handler: (ctx: GenericMutationCtx<DataModel>) => Promise<T>): Promise<T>;
  query(fn: AggFunction, args?: Record<string, unknown>): Promise<any>;
  mutation(fn: AggFunction, args?: Record<string, unknown>): Promise<any>;
}

function pathOf(fn: AggFunction): string {
  return typeof fn === 'string' ? fn : getFunctionName(fn);
}

/** The component inside an app's convex-test instance, addressed as the CLI addresses it. */
export function aggIn(app: ReturnType<typeof convexTest>, componentPath = AGG_COMPONENT): AggTestDeployment {
  const byPath = app as unknown as ByPath;
  return {
    app,
    componentPath,
    run: (handler) => byPath.runInComponent(componentPath, handler),
    query: (fn, args = {}) => byPath.queryFromPath({ componentPath, udfPath: pathOf(fn) }, args),
    mutation: (fn, args = {}) => byPath.mutationFromPath({ componentPath, udfPath: pathOf(fn) }, args),
  };
}

/**
 * A fresh app deployment (the bare app, or the given one) with agg mounted at `componentPath` (not at
 * all when `mount` is false), running the given component modules (default: src/component's).
 */
export function makeAggDeployment(app: AppDefinition = BARE_APP, componentPath = AGG_COMPONENT, modules = convexModules, mount = true): AggTestDeployment {
  const t = convexTest({ schema: app.schema, modules: app.modules, transactionLimits: true });
  if (mount) t.registerComponent(componentPath, aggSchema as unknown as SchemaDefinition<GenericSchema, boolean>, modules);
  return aggIn(t, componentPath);
}

export { convexModules };
