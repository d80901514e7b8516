#!/usr/bin/env node
// Bundles the built CLI (dist/src/cli/main.js) into dist/cli/, one chunk per subcommand plus shared
// chunks: Node's ESM loader resolves, reads and links each file on its own, and the ~190 modules a
// command loaded from dist/src (94 of them zod's) cost a run ~90 ms before it did anything, --help ~280 ms.
// dist/src stays as it is: the package's library entries (agg, agg/test, the component) are not bundled.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/cli');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'dist/src/cli/main.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A native addon, found at run time beside its own files.
  external: ['better-sqlite3'],
  // Names kept, so --debug stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // Bundled CommonJS packages (commander, cli-table3) call require for Node's built-ins.
  banner: { js: "import { createRequire as __aggCreateRequire } from 'node:module'; const require = __aggCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
