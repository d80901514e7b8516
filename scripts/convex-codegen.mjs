#!/usr/bin/env node
// Writes the `_generated` directories as `npx convex dev` writes them after a push, from the installed
// convex package's own templates and prettier, without a deployment:
// - src/component/_generated (the agg component: api.ts, component.ts, dataModel.ts, server.ts);
// - examples/convex-app/convex/_generated (the example app, which installs agg: JS and .d.ts files).
// What a deployment's analysis would contribute (each function's kind, visibility and validators) is
// read from the component's own modules, bundled with the esbuild convex ships and imported here.
// `--check` exits 1 when a committed file differs.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire, register } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const stubs = {
  '/bundler/index.js': pathToFileURL(join(here, 'codegen/stub-entry-points.mjs')).href,
  '/components/definition/directoryStructure.js': pathToFileURL(join(here, 'codegen/stub-directory-structure.mjs')).href,
};
// The templates import two CLI modules that need the CLI's bundled dependencies; stubs stand in.
register(
  'data:text/javascript,' +
    encodeURIComponent(`const stubs = ${JSON.stringify(stubs)};
    export async function resolve(specifier, context, next) {
      for (const [suffix, url] of Object.entries(stubs)) if (specifier.endsWith(suffix)) return { url, shortCircuit: true };
      return next(specifier, context);
    }`),
);

const root = resolve(here, '..');
const require = createRequire(join(root, 'package.json'));
const convexDir = dirname(require.resolve('convex/package.json'));
const convexRequire = createRequire(join(convexDir, 'package.json'));
const template = (name) => import(pathToFileURL(join(convexDir, 'dist/esm/cli/codegen_templates', name)).href);
const { componentApiJs, componentApiDTS, componentApiTSWithTypes, componentTS } = await template('component_api.js');
const { componentServerTS } = await template('component_server.js');
const { serverCodegen } = await template('server.js');
const { dynamicDataModelDTS, dynamicDataModelTS } = await template('dataModel.js');
const { entryPoints } = await import(stubs['/bundler/index.js']);
const prettier = (await import(pathToFileURL(convexRequire.resolve('prettier')).href)).default;
const esbuild = convexRequire('esbuild');

const ctx = {
  crash: async ({ printedMessage }) => {
    throw new Error(printedMessage);
  },
};

/** What a push's analysis says about a component's functions: kind, visibility, validators. */
async function analyze(dir) {
  const files = await entryPoints(ctx, dir);
  const outdir = join(root, 'node_modules/.cache/agg-codegen');
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: files,
    outdir,
    outbase: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  const functions = {};
  for (const file of files) {
    const modulePath = relative(dir, file).replace(/\\/g, '/').replace(/\.[^./]+$/, '');
    const loaded = await import(pathToFileURL(join(outdir, `${modulePath}.mjs`)).href);
    const analyzed = [];
    for (const [name, value] of Object.entries(loaded)) {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) continue;
      const udfType = value.isQuery ? 'Query' : value.isMutation ? 'Mutation' : value.isAction ? 'Action' : null;
      if (udfType === null) continue;
      analyzed.push({
        name,
        udfType,
        visibility: { kind: value.isPublic ? 'public' : 'internal' },
        args: value.exportArgs(),
        returns: value.exportReturns?.() ?? null,
      });
    }
    functions[`${modulePath}.js`] = { functions: analyzed };
  }
  rmSync(outdir, { recursive: true, force: true });
  return functions;
}

/** A component's exports: its public functions, as a tree of module path segments. */
function exportsTree(functions) {
  const tree = new Map();
  for (const [modulePath, module] of Object.entries(functions)) {
    for (const fn of module.functions) {
      if (fn.visibility.kind !== 'public') continue;
      let level = tree;
      for (const segment of modulePath.replace(/\.js$/, '').split('/')) {
        if (!level.has(segment)) level.set(segment, new Map());
        level = level.get(segment);
      }
      level.set(fn.name, `_reference/function/${modulePath}:${fn.name}`);
    }
  }
  const toExport = (node) =>
    typeof node === 'string' ? { type: 'leaf', leaf: node } : { type: 'branch', branch: [...node.entries()].map(([key, child]) => [key, toExport(child)]) };
  return toExport(tree);
}

const apiOptions = { staticApi: false, useComponentApiImports: true };

async function componentFiles(dir) {
  const directory = { path: dir, isRoot: false, definitionPath: join(dir, 'convex.config.ts') };
  const functions = await analyze(dir);
  const startPush = { analysis: { [dir]: { definition: { exports: exportsTree(functions), childComponents: [], envVars: [] }, functions } } };
  return {
    'dataModel.ts': dynamicDataModelTS(),
    'component.ts': await componentTS(ctx, startPush, null, directory),
    'server.ts': componentServerTS(false, []),
    'api.ts': await componentApiTSWithTypes(ctx, startPush, null, directory, new Map(), apiOptions),
  };
}

async function appFiles(dir, children) {
  const directory = { path: dir, isRoot: true, definitionPath: join(dir, 'convex.config.ts') };
  // An installed component's directory: where npm puts it, never the same text as its import specifier.
  const childComponents = children.map(({ name, importSpecifier }) => ({ name, path: `node_modules/${importSpecifier}` }));
  const componentsMap = new Map(children.map(({ importSpecifier }) => [`node_modules/${importSpecifier}`, { importSpecifier }]));
  const startPush = { analysis: { [dir]: { definition: { exports: { type: 'branch', branch: [] }, childComponents, envVars: [] }, functions: {} } } };
  const server = serverCodegen({ useTypeScript: false, envVars: [] });
  return {
    'dataModel.d.ts': dynamicDataModelDTS(),
    'server.js': server.JS,
    'server.d.ts': server.DTS,
    'api.js': componentApiJs(),
    'api.d.ts': await componentApiDTS(ctx, startPush, null, directory, componentsMap, apiOptions),
  };
}

const targets = [
  { dir: join(root, 'src/component'), files: (dir) => componentFiles(dir) },
  { dir: join(root, 'examples/convex-app/convex'), files: (dir) => appFiles(dir, [{ name: 'agg', importSpecifier: 'agg' }]) },
];

const check = process.argv.includes('--check');
const stale = [];
for (const target of targets) {
  const codegenDir = join(target.dir, '_generated');
  mkdirSync(codegenDir, { recursive: true });
  for (const [name, contents] of Object.entries(await target.files(target.dir))) {
    const formatted = await prettier.format(contents, { parser: 'typescript', pluginSearchDirs: false });
    const path = join(codegenDir, name);
    let existing = null;
    try {
      existing = readFileSync(path, 'utf8');
    } catch {}
    if (existing === formatted) continue;
    stale.push(relative(root, path));
    if (!check) writeFileSync(path, formatted);
  }
}
if (check && stale.length > 0) {
  process.stderr.write(`stale generated files (${stale.join(', ')}); run npm run codegen\n`);
  process.exit(1);
}
process.stdout.write(stale.length === 0 ? '_generated is up to date\n' : `wrote ${stale.join(', ')}\n`);
