import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreTarget } from '../../src/config/target.js';
import type { StoreConnection } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `agg <args>` in-process with captured streams; no process.exit, no real terminal. */
export async function runAgg(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    now?: () => number;
    tty?: boolean;
    signal?: AbortSignal;
    /**
     * Open this store (e.g. ConvexStore on convex-test) for the target the CLI resolved, instead of the
     * target itself. Without a cwd, such a run works in a fresh empty directory, so that resolution
     * (which runs for real) does not see this repository's own Convex configuration.
     */
    openStore?: (target: StoreTarget, connection: StoreConnection) => Store;
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => ((stdout += text), true), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => ((stderr += text), true), isTTY: options.tty ?? false },
    env: options.env ?? {},
    cwd: options.cwd ?? (options.openStore ? mkdtempSync(join(tmpdir(), 'agg-run-')) : process.cwd()),
    now: options.now ?? (() => Date.parse('2025-07-01T00:00:00.000Z')),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.openStore ? { connect: options.openStore } : {}),
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
