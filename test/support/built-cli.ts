import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCES = ['src', 'bench', 'fixtures', 'test/support', 'scripts'];

/** The newest modification time of a source or build file under dir. */
function newest(dir: string): number {
  let latest = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      latest = Math.max(latest, newest(path));
    } else if (/\.(ts|js|mjs|json)$/.test(entry.name)) {
      latest = Math.max(latest, statSync(path).mtimeMs);
    }
  }
  return latest;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * `bin/agg.js`, with dist/ built from the current sources. Test files run in parallel workers, so the
 * build happens under a lock (a directory), and only when a source is newer than the build: two files
 * that spawn the CLI never write dist/ at the same time, and the second one does not build again.
 */
export function builtCli(): string {
  const lock = join(ROOT, 'dist', '.build-lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than the longest build is left by a killed run.
      if (Date.now() - statSync(lock).mtimeMs > 180_000 || Date.now() > deadline) {
        rmdirSync(lock);
        continue;
      }
      sleepSync(200);
    }
  }
  try {
    const built = newest(join(ROOT, 'dist'));
    const sources = Math.max(...SOURCES.map((dir) => newest(join(ROOT, dir))), statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs);
    if (built < sources) {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'ignore' });
      execFileSync(process.execPath, [join(ROOT, 'scripts/bundle-cli.mjs')], { cwd: ROOT, stdio: 'ignore' });
    }
  } finally {
    rmdirSync(lock);
  }
  return join(ROOT, 'bin/agg.js');
}
