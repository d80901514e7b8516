import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { type AggConfig, loadConfig } from '../config/config.js';
import { describeTarget, resolveStoreTarget } from '../config/target.js';
import { DEFAULT_COMPONENT, openStore } from '../store/open.js';
import { StoreNotFoundError } from '../store/errors.js';
import { retryPolicy } from '../store/retry.js';
import { withEventLoopTurns } from '../store/event-loop-turns.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { parseDurationOption } from './durations.js';
import { UsageError } from './errors.js';
import { globalOptions } from './global-options.js';
import type { CommandIo } from './io.js';
import { parseInteger } from '../text/numbers.js';



/** A timer: at most 2^31−1 ms, which is all setTimeout can wait. */
export function parseTimeoutOption(text: string): number {
  return parseDurationOption(text, { option: '--timeout', examples: '30s, 2m', timer: true, zero: { allowed: false, why: 'every call would time out before it was sent' } });
}

export function parseRetriesOption(text: string): number {
  return parseInteger(text, { option: '--retries', min: 0, max: 20 });
}

/** A component path as convex.config.ts names it: `agg`, or `parent/child` for one mounted deeper. */
export function parseComponentOption(text: string | undefined): string {
  if (text === undefined) return DEFAULT_COMPONENT;
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/.test(text)) {
    throw new UsageError(`--component "${text}" is not a component name (letters, digits and _, as app.use(agg, { name }) gives it; parent/child for a nested one)`);
  }
  return text;
}

export interface StoreSession {
  readonly store: Store;
  readonly config: AggConfig;
}

export interface WithStoreOptions {
  /** Commands that only read: an embedded store that does not exist yet is an error, never created. */
  readonly mustExist?: boolean;
}

/**
 * Loads the config, resolves and opens the store, says on stderr where the data lives, runs `work`,
 * and always closes the store.
 */
export async function withStore<T>(command: Command, io: CommandIo, work: (session: StoreSession) => Promise<T>, storeOptions: WithStoreOptions = {}): Promise<T> {
  const options = globalOptions(command);
  const config = await loadConfig(io.cwd, options.config);
  const target = resolveStoreTarget(
    {
      ...(options.url !== undefined ? { url: options.url } : {}),
      ...(options.adminKey !== undefined ? { adminKey: options.adminKey } : {}),
      ...(options.local !== undefined ? { local: options.local } : {}),
      ...(options.envFile !== undefined ? { envFile: options.envFile } : {}),
      prod: options.prod === true,
    },
    io.env,
    io.cwd,
    (secret) => io.redactor.add(secret),
  );
  const connection = { timeoutMs: parseTimeoutOption(options.timeout), retries: parseRetriesOption(options.retries), component: parseComponentOption(options.component ?? io.env.AGG_COMPONENT) };
  // The store retries its own calls (src/store/retry.ts): nothing here retries again.
  const store = io.connect ? io.connect(target, connection) : storeOptions.mustExist && target.kind === 'sqlite' ? openExistingEmbeddedStore(target.dir, connection.retries) : openStore(target, connection);
  if (!options.quiet) io.stderr.write(`agg: using the ${describeTarget(target)}${target.kind === 'convex' ? `, component ${connection.component}` : ''}\n`);
  try {
    return await work({ store, config });
  } finally {
    await store.close();
  }
}

function openExistingEmbeddedStore(dir: string, retries: number): Store {
  try {
    return withEventLoopTurns(SqliteStore.open(dir, { mustExist: true, retry: retryPolicy(retries) }));
  } catch (error) {
    if (error instanceof StoreNotFoundError) {
      throw new UsageError(`no store at ${error.dir} (nothing imported yet; run agg import FILE --user ID first, or pass --local DIR)`);
    }
    throw error;
  }
}
