import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
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
    /** Run against this store (e.g. ConvexStore on convex-test) instead of resolving one. */
    openStore?: () => Store;
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => ((stdout += text), true), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => ((stderr += text), true), isTTY: options.tty ?? false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    now: options.now ?? (() => Date.parse('2025-07-01T00:00:00.000Z')),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.openStore ? { openStore: options.openStore } : {}),
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
