// The deployment's modules for convex-test, listed explicitly so the same map also works outside
// vitest (no import.meta.glob). test/convex/modules.test.ts checks it lists every module file.
export const convexModules: Record<string, () => Promise<unknown>> = {
  '/convex/_generated/api.js': () => import('../../src/convex/_generated/api.js'),
  '/convex/_generated/server.js': () => import('../../src/convex/_generated/server.js'),
  '/convex/aggregations.ts': () => import('../../src/convex/aggregations.js'),
  '/convex/app.ts': () => import('../../src/convex/app.js'),
  '/convex/archive.ts': () => import('../../src/convex/archive.js'),
  '/convex/changes.ts': () => import('../../src/convex/changes.js'),
  '/convex/filterCombinations.ts': () => import('../../src/convex/filterCombinations.js'),
  '/convex/lib/aggregationRows.ts': () => import('../../src/convex/lib/aggregationRows.js'),
  '/convex/lib/archiveRows.ts': () => import('../../src/convex/lib/archiveRows.js'),
  '/convex/maintenance.ts': () => import('../../src/convex/maintenance.js'),
  '/convex/records.ts': () => import('../../src/convex/records.js'),
  '/convex/rollout.ts': () => import('../../src/convex/rollout.js'),
  '/convex/runs.ts': () => import('../../src/convex/runs.js'),
  '/convex/validations.ts': () => import('../../src/convex/validations.js'),
  '/convex/validators.ts': () => import('../../src/convex/validators.js'),
};
