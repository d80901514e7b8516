import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convexModules } from '../support/convex-modules.js';

function moduleFiles(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === '_generated' ? [] : moduleFiles(path, root);
    return entry.endsWith('.ts') && entry !== 'schema.ts' && entry !== 'convex.config.ts' ? [relative(root, path)] : [];
  });
}

describe('src/component', () => {
  it('lists every function module in the modules map agg/test ships', () => {
    const listed = Object.keys(convexModules).filter((key) => !key.includes('_generated')).map((key) => key.replace('/component/', '')).sort();
    expect(listed).toEqual(moduleFiles('src/component').sort());
  });

  it('has _generated (the component and the example app) equal to what codegen writes', () => {
    // Throws (exit 1) with the stale file names when they differ.
    execFileSync(process.execPath, ['scripts/convex-codegen.mjs', '--check'], { encoding: 'utf8' });
  });
});
