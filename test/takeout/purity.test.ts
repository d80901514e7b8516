import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The parsers must run outside Node (Convex's runtime, a browser): nothing they import, directly or
// through src/core, may be a Node built-in or a module with I/O, a clock or randomness.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

describe('src/takeout is pure', () => {
  it('imports only zod and pure modules, transitively', () => {
    const seen = new Set<string>();
    const queue = readdirSync(join(root, 'src/takeout')).filter((f) => f.endsWith('.ts')).map((f) => join(root, 'src/takeout', f));
    const external = new Set<string>();
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
        else external.add(specifier);
      }
    }
    expect([...external].sort()).toEqual(['zod']);
    for (const file of seen) {
      expect(file.startsWith(join(root, 'src/takeout')) || file.startsWith(join(root, 'src/core')), file).toBe(true);
      const source = readFileSync(file, 'utf8');
      expect(source, file).not.toMatch(/\b(?:Date\.now|new Date\(\)|Math\.random|process\.|require\()/);
    }
  });
});
