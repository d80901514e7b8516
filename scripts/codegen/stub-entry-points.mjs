// Stands in for convex's bundler module (which needs the CLI's bundled dependencies): the same rules
// for which files of a functions directory are entry points.
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.tsx', '.mts', '.cts', '.jsx'];

function* walk(dir, depth = 0) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      // A nested component (its own convex.config.ts) is not part of this one.
      if (existsSync(path.join(child, 'convex.config.ts'))) continue;
      yield* walk(child, depth + 1);
    } else if (entry.isFile()) {
      yield { path: child, depth };
    }
  }
}

export async function entryPoints(_ctx, dir) {
  const out = [];
  for (const { path: file } of walk(dir)) {
    const rel = path.relative(dir, file);
    const base = path.basename(file);
    if (!EXTENSIONS.some((ext) => rel.endsWith(ext))) continue;
    if (rel.startsWith('_generated' + path.sep) || rel.startsWith('node_modules' + path.sep)) continue;
    if (base.startsWith('.') || base.startsWith('#')) continue;
    if (base === 'schema.ts' || base === 'schema.js') continue;
    if ((base.match(/\./g) || []).length > 1) continue;
    if (rel.includes(' ')) continue;
    out.push(file);
  }
  return out;
}
