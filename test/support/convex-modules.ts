// The agg component's modules for convex-test (the map `agg/test` ships); test/component/modules.test.ts
// checks that it lists every module file.
export { aggModules as convexModules } from '../../src/test.js';
