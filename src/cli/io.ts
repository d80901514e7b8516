import type { StoreTarget } from '../config/target.js';
import type { StoreConnection } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { Redactor } from './redact.js';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** The underlying stream, for terminal-only output (a spinner) that never carries data. */
  raw?: NodeJS.WriteStream;
}

/** Everything a command touches outside itself, so tests can run the CLI in-process. */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Wall clock, in epoch ms; injected so runs are reproducible in tests. */
  readonly now: () => number;
  /** Where Ctrl-C arrives; tests raise it themselves. */
  readonly signal?: AbortSignal;
  /**
   * Tests only: opens the target the real resolution chose (from flags, environment and .env files,
   * with the parsed --timeout, --retries and --component) over another transport, such as ConvexStore
   * on convex-test or a store wrapped with faults. Everything before the open is the production path.
   */
  readonly connect?: (target: StoreTarget, connection: StoreConnection) => Store;
}

/** What commands get: the streams already pass through the redactor. */
export interface CommandIo extends CliIo {
  readonly redactor: Redactor;
}

export function processIo(signal?: AbortSignal): CliIo {
  return {
    stdout: Object.assign(Object.create(null) as object, { write: (t: string) => process.stdout.write(t), isTTY: process.stdout.isTTY, raw: process.stdout }),
    stderr: Object.assign(Object.create(null) as object, { write: (t: string) => process.stderr.write(t), isTTY: process.stderr.isTTY, raw: process.stderr }),
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    ...(signal ? { signal } : {}),
  };
}
