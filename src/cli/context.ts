import type { Command } from 'commander';
import { type AggConfig, loadConfig } from '../config/config.js';
import { parseDuration } from '../core/duration.js';
import { describeTarget, openStore, resolveStoreTarget } from '../store/connect.js';
import { withTransientRetries } from '../store/resilient.js';
import type { Store } from '../store/types.js';
import { UsageError } from './errors.js';
import type { CommandIo } from './io.js';

/** Options every command accepts (declared on the program, read with optsWithGlobals). */
export interface GlobalOptions {
  url?: string;
  adminKey?: string;
  local?: string;
  prod?: boolean;
  timeout: string;
  retries: string;
  config?: string;
  quiet?: boolean;
  debug?: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

export function parseTimeoutOption(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`--timeout "${text}" is not a duration (expected e.g. 30s, 2m)`);
  return ms;
}

export function parseRetriesOption(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 20) throw new UsageError(`--retries "${text}" must be a whole number from 0 to 20`);
  return n;
}

export interface StoreSession {
  readonly store: Store;
  readonly config: AggConfig;
}

/**
 * Loads the config, resolves and opens the store, says on stderr where the data lives, runs `work`,
 * and always closes the store.
 */
export async function withStore<T>(command: Command, io: CommandIo, work: (session: StoreSession) => Promise<T>): Promise<T> {
  const options = globalOptions(command);
  const config = await loadConfig(io.cwd, options.config);
  if (io.openStore) {
    const store = withTransientRetries(io.openStore());
    if (!options.quiet) io.stderr.write(`agg: using the ${store.description}\n`);
    try {
      return await work({ store, config });
    } finally {
      await store.close();
    }
  }
  const target = resolveStoreTarget(
    {
      ...(options.url !== undefined ? { url: options.url } : {}),
      ...(options.adminKey !== undefined ? { adminKey: options.adminKey } : {}),
      ...(options.local !== undefined ? { local: options.local } : {}),
      prod: options.prod === true,
    },
    io.env,
    io.cwd,
    io.redactor,
  );
  const store = withTransientRetries(openStore(target, { timeoutMs: parseTimeoutOption(options.timeout), retries: parseRetriesOption(options.retries) }));
  if (!options.quiet) io.stderr.write(`agg: using the ${describeTarget(target)}\n`);
  try {
    return await work({ store, config });
  } finally {
    await store.close();
  }
}
