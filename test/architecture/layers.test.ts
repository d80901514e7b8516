// The house rule: data flows one way, bin → cli → commands → jobs → (core, store), and nothing points
// up. This walks every import under src/ and fails on one that goes to a layer its layer may not use,
// and on any import cycle between files (type-only imports included: they are cycles for a reader).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/**
 * Each layer and the layers it may import (besides itself). The CLI's entry (main.ts, program.ts) is
 * the top; the rest of src/cli is the presentation the commands use.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  core: [],
  runtime: ['errors'],
  text: ['errors'],
  takeout: ['core'],
  component: ['core'],
  client: ['component', 'core'],
  test: ['component'],
  input: ['core', 'errors', 'takeout', 'text'],
  config: ['core', 'errors', 'input', 'text'],
  store: ['core', 'errors', 'runtime', 'config', 'text'],
  rollout: ['core', 'errors', 'store', 'text', 'config'],
  users: ['core', 'errors', 'store', 'text'],
  jobs: ['core', 'errors', 'runtime', 'text', 'input', 'config', 'store', 'rollout', 'users'],
  cleanup: ['core', 'errors', 'runtime', 'text', 'config', 'store', 'jobs'],
  archive: ['core', 'errors', 'runtime', 'text', 'config', 'store', 'jobs'],
  status: ['core', 'errors', 'text', 'config', 'store', 'rollout', 'jobs'],
  cli: ['core', 'errors', 'runtime', 'text', 'takeout', 'input', 'config', 'store', 'rollout', 'users', 'jobs', 'cleanup', 'archive', 'status'],
  commands: ['core', 'errors', 'runtime', 'text', 'takeout', 'input', 'config', 'store', 'rollout', 'users', 'jobs', 'cleanup', 'archive', 'status', 'cli'],
  'cli-entry': ['cli', 'commands', 'errors', 'store', 'core', 'text', 'config'],
};

function layerOf(file: string): string {
  const path = relative(SRC, file);
  if (path === 'cli/main.ts' || path === 'cli/program.ts') return 'cli-entry';
  const [first, ...rest] = path.split('/');
  return rest.length === 0 ? first!.replace(/\.ts$/, '') : first!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file, resolved to .ts files under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const targets: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), match[1]!).replace(/\.js$/, '.ts');
    if (target.startsWith(SRC)) targets.push(target);
  }
  return targets;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('the layers of src/', () => {
  it('names a rule for every layer', () => {
    const unknown = [...new Set(files.map(layerOf))].filter((layer) => !(layer in MAY_IMPORT));
    expect(unknown).toEqual([]);
  });

  it('has no import that points up a layer', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      for (const target of targets) {
        const to = layerOf(target);
        if (to !== from && !MAY_IMPORT[from]!.includes(to)) upward.push(`${relative(SRC, file)} → ${relative(SRC, target)} (${from} may not import ${to})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no source file over 350 lines (generated code aside): every file fits in a head', () => {
    const long = files.filter((file) => !file.includes('/_generated/')).map((file) => [relative(SRC, file), readFileSync(file, 'utf8').split('\n').length] as const).filter(([, lines]) => lines > 350);
    expect(long).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const target of graph.get(file) ?? []) {
        if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target].map((f) => relative(SRC, f)).join(' → '));
        else if (!state.has(target)) visit(target);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});
