#!/usr/bin/env node
// Writes src/convex/_generated/ exactly as `npx convex codegen` does (JS + .d.ts flavour, dynamic data
// model), from the installed convex package's own templates and prettier. `npx convex codegen` needs a
// live deployment; this does not. `--check` exits 1 when the committed files differ.
import { readdirSync, readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire, register } from 'node:module';

// The data-model template imports a CLI module that needs the CLI's bundled dependencies; it is only
// used for components, so a stub stands in for it.
register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
      if (specifier.endsWith('/components/definition/directoryStructure.js')) {
        return { url: 'data:text/javascript,export function toComponentDefinitionPath(){throw new Error("components are not supported")}', shortCircuit: true };
      }
      return next(specifier, context);
    }`),
);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const convexDir = dirname(require.resolve('convex/package.json'));
const templates = (name) => import(pathToFileURL(join(convexDir, 'dist/esm/cli/codegen_templates', name)).href);
const { apiCodegen } = await templates('api.js');
const { serverCodegen } = await templates('server.js');
const { dynamicDataModelDTS } = await templates('dataModel.js');
const prettier = (await import(pathToFileURL(require.resolve('prettier')).href)).default;

const functionsDir = join(root, JSON.parse(readFileSync(join(root, 'convex.json'), 'utf8')).functions);
const codegenDir = join(functionsDir, '_generated');

/** Mirrors the bundler's entryPoints(): JS/TS files, not _generated, not schema, no extra dots. */
function modulePaths(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== '_generated' && entry !== 'node_modules') out.push(...modulePaths(path));
      continue;
    }
    const rel = relative(functionsDir, path);
    if (!/\.(ts|tsx|js|jsx|mjs|cjs|mts|cts)$/.test(entry) || entry.endsWith('.d.ts')) continue;
    if (entry.startsWith('.') || entry.startsWith('#') || entry === 'schema.ts' || entry === 'schema.js') continue;
    if ((entry.match(/\./g) || []).length > 1 || rel.includes(' ')) continue;
    out.push(rel);
  }
  return out;
}

const paths = modulePaths(functionsDir).sort();
const api = apiCodegen(paths, { useTypeScript: false });
const server = serverCodegen({ useTypeScript: false });
const files = {
  'dataModel.d.ts': dynamicDataModelDTS(),
  'server.js': server.JS,
  'server.d.ts': server.DTS,
  'api.js': api.JS,
  'api.d.ts': api.DTS,
};

const check = process.argv.includes('--check');
let stale = [];
mkdirSync(codegenDir, { recursive: true });
for (const [name, contents] of Object.entries(files)) {
  const formatted = await prettier.format(contents, { parser: 'typescript', pluginSearchDirs: false });
  const target = join(codegenDir, name);
  let existing = null;
  try {
    existing = readFileSync(target, 'utf8');
  } catch {}
  if (existing === formatted) continue;
  stale.push(name);
  if (!check) writeFileSync(target, formatted);
}
if (check && stale.length > 0) {
  process.stderr.write(`src/convex/_generated is stale (${stale.join(', ')}); run npm run codegen\n`);
  process.exit(1);
}
process.stdout.write(stale.length === 0 ? '_generated is up to date\n' : `wrote ${stale.join(', ')}\n`);
