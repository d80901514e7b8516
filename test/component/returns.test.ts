import { describe, expect, it } from 'vitest';
import { aggModules } from '../../src/test.js';

// Convex checks a function's answer against its `returns:` validator, and the generated ComponentApi
// types results from it: a function without one answers unchecked and is typed `any`.

interface RegisteredFunction {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  exportReturns(): string;
}

function isRegisteredFunction(value: unknown): value is RegisteredFunction {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const fn = value as Partial<RegisteredFunction>;
  return (fn.isQuery === true || fn.isMutation === true || fn.isAction === true) && typeof fn.exportReturns === 'function';
}

async function registeredFunctions(): Promise<{ name: string; fn: RegisteredFunction }[]> {
  const found: { name: string; fn: RegisteredFunction }[] = [];
  for (const [path, load] of Object.entries(aggModules)) {
    const module = (await load()) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(module)) {
      if (isRegisteredFunction(value)) found.push({ name: `${path.replace(/^\/component\//, '').replace(/\.ts$/, '')}:${exportName}`, fn: value });
    }
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

describe('the agg component functions', () => {
  it('every one declares a returns: validator', async () => {
    const functions = await registeredFunctions();
    // The modules map is the component's (modules.test.ts checks it lists every module): functions
    // are found in it, so this cannot pass by finding none.
    expect(functions.length).toBeGreaterThan(50);
    for (const module of ['aggregations', 'archive', 'changes', 'filterCombinations', 'ingest', 'maintenance', 'records', 'rollout', 'runs', 'serving', 'validations']) {
      expect(functions.some(({ name }) => name.startsWith(`${module}:`)), `functions of ${module}.ts`).toBe(true);
    }
    const withoutReturns = functions.filter(({ fn }) => JSON.parse(fn.exportReturns()) === null).map(({ name }) => name);
    expect(withoutReturns, 'functions without returns').toEqual([]);
  });
});
