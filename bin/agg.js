#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli/ (src/ compiled and bundled by `npm run build`, which `npm ci` runs).
import('../dist/cli/main.js').then(
  (cli) => cli.main(),
  (error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('agg: the CLI is not built; run `npm run build` (npm ci does it for you)\n');
    } else {
      process.stderr.write(`agg: cannot start: ${error && error.message ? error.message : error}\n`);
    }
    process.exitCode = 1;
  },
);
