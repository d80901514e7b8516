import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Inside this repository, what an app imports from the installed package is the sources.
    alias: [
      { find: /^agg\/convex\.config(\.js)?$/, replacement: source('./src/component/convex.config.ts') },
      { find: /^agg\/test$/, replacement: source('./src/test.ts') },
      { find: /^agg$/, replacement: source('./src/client/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
