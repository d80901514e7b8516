import type { GenericSchema, SchemaDefinition } from 'convex/server';
import schema from './component/schema.js';

// For an app's convex-test suite (`import { registerAgg } from 'agg/test'`): the agg component's schema
// and modules, listed explicitly so the same map works in vitest and outside it (no import.meta.glob).
// test/component/modules.test.ts checks that it lists every module of src/component.

export const aggModules: Record<string, () => Promise<unknown>> = {
  '/component/_generated/api.ts': () => import('./component/_generated/api.js'),
  '/component/_generated/component.ts': () => import('./component/_generated/component.js'),
  '/component/_generated/dataModel.ts': () => import('./component/_generated/dataModel.js'),
  '/component/_generated/server.ts': () => import('./component/_generated/server.js'),
  '/component/aggregations.ts': () => import('./component/aggregations.js'),
  '/component/archive.ts': () => import('./component/archive.js'),
  '/component/changes.ts': () => import('./component/changes.js'),
  '/component/filterCombinations.ts': () => import('./component/filterCombinations.js'),
  '/component/ingest.ts': () => import('./component/ingest.js'),
  '/component/lib/aggregationRows.ts': () => import('./component/lib/aggregationRows.js'),
  '/component/lib/archiveRows.ts': () => import('./component/lib/archiveRows.js'),
  '/component/lib/contentRows.ts': () => import('./component/lib/contentRows.js'),
  '/component/contents.ts': () => import('./component/contents.js'),
  '/component/lib/archiveRestores.ts': () => import('./component/lib/archiveRestores.js'),
  '/component/limits.ts': () => import('./component/limits.js'),
  '/component/maintenance.ts': () => import('./component/maintenance.js'),
  '/component/records.ts': () => import('./component/records.js'),
  '/component/rollout.ts': () => import('./component/rollout.js'),
  '/component/runs.ts': () => import('./component/runs.js'),
  '/component/serving.ts': () => import('./component/serving.js'),
  '/component/validations.ts': () => import('./component/validations.js'),
  '/component/validators.ts': () => import('./component/validators.js'),
};

/** The part of convex-test's `TestConvex` this needs. */
export interface ComponentRegistry {
  registerComponent(componentPath: string, schema: SchemaDefinition<GenericSchema, boolean>, modules: Record<string, () => Promise<any>>): void;
}

/**
 * Registers the agg component with a convex-test instance, under the name the app's convex.config.ts
 * mounts it at (`app.use(agg)`: `agg`).
 */
export function registerAgg(t: ComponentRegistry, name = 'agg'): void {
  t.registerComponent(name, schema as unknown as SchemaDefinition<GenericSchema, boolean>, aggModules);
}

export { schema as aggSchema };
export default { register: registerAgg, schema, modules: aggModules };
