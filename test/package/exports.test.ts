import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtCli } from '../support/built-cli.js';

// What an app gets from `npm install agg`: the package's exports, built, resolved by Node and by
// TypeScript from another project's node_modules.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function installedInto(): string {
  builtCli();
  const app = mkdtempSync(join(tmpdir(), 'agg-app-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(ROOT, join(app, 'node_modules', 'agg'), 'dir');
  symlinkSync(join(ROOT, 'node_modules', 'convex'), join(app, 'node_modules', 'convex'), 'dir');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'some-app', type: 'module', private: true }));
  return app;
}

describe('the agg package, installed in an app', () => {
  it('resolves agg, agg/convex.config and agg/test at run time, and agg/test loads every component module', () => {
    const app = installedInto();
    const script = `
      import { Agg, dataOf, INGEST_LIMITS } from 'agg';
      import agg from 'agg/convex.config';
      import { registerAgg, aggModules } from 'agg/test';
      const loaded = await Promise.all(Object.values(aggModules).map((load) => load()));
      const registered = [];
      registerAgg({ registerComponent: (name, schema, modules) => registered.push([name, typeof schema.tables, Object.keys(modules).length]) });
      console.log(JSON.stringify({ agg: typeof Agg, dataOf: typeof dataOf, limit: INGEST_LIMITS.itemsPerCall, definition: typeof agg, modules: loaded.length, registered }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' }));
    expect(out).toMatchObject({ agg: 'function', dataOf: 'function', limit: 1000, definition: 'object', registered: [['agg', 'object', out.modules]] });
    expect(out.modules).toBeGreaterThan(10);
  });

  it('gives TypeScript the client, the component definition and ComponentApi through the exports map', () => {
    const app = installedInto();
    writeFileSync(
      join(app, 'check.ts'),
      `import { Agg, type ServedAggregation } from 'agg';
import agg from 'agg/convex.config';
import type { ComponentApi } from 'agg/_generated/component.js';
declare const component: ComponentApi<'agg'>;
const client: Agg = new Agg(component);
declare const served: ServedAggregation<'kpi'>;
export const total: number | undefined = served.data?.totalVideos;
export { agg, client };
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['check.ts'] }),
    );
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], { cwd: app, encoding: 'utf8' });
  }, 120_000);
});
