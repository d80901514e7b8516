#!/usr/bin/env node
// Writes docs/schemas/*.json, the JSON Schema of every `--json` document agg prints, from the zod
// schemas in src/cli/json-schemas/ (built into dist/ first: npm run schemas). With --check it writes
// nothing and exits 1 when a committed file differs (test/cli/json-schema-files.test.ts does the same).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { jsonSchemaFiles } = await import(join(root, 'dist/src/cli/json-schemas/index.js'));
const dir = join(root, 'docs/schemas');
const files = jsonSchemaFiles();
const check = process.argv.includes('--check');
mkdirSync(dir, { recursive: true });
const present = readdirSync(dir).filter((name) => name.endsWith('.json'));
const stale = present.filter((name) => !files.has(name));
const differing = [...files].filter(([name, text]) => !present.includes(name) || readFileSync(join(dir, name), 'utf8') !== text).map(([name]) => name);
if (check) {
  for (const name of [...differing, ...stale]) console.error(`docs/schemas/${name} is out of date: run npm run schemas`);
  process.exit(differing.length + stale.length > 0 ? 1 : 0);
}
for (const name of stale) rmSync(join(dir, name));
for (const [name, text] of files) writeFileSync(join(dir, name), text);
console.log(`wrote ${files.size} schemas to docs/schemas/${stale.length > 0 ? ` (removed ${stale.join(', ')})` : ''}`);
