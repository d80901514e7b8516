import { type StoreTarget, describeTarget } from '../config/target.js';
import { ConvexStore } from './convex/convex-store.js';
import { createHttpCaller } from './convex/http-caller.js';
import { retryPolicy } from './retry.js';
import { withEventLoopTurns } from './event-loop-turns.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** The component path agg is mounted at when neither --component nor AGG_COMPONENT says otherwise. */
export const DEFAULT_COMPONENT = 'agg';

/** How to reach a target: the parsed --timeout, --retries and --component. */
export interface StoreConnection {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly component?: string;
}

export function openStore(target: StoreTarget, options: StoreConnection): Store {
  if (target.kind === 'sqlite') return withEventLoopTurns(SqliteStore.open(target.dir, { retry: retryPolicy(options.retries) }));
  const componentPath = options.component ?? DEFAULT_COMPONENT;
  const caller = createHttpCaller({ url: target.url, adminKey: target.adminKey, timeoutMs: options.timeoutMs, componentPath });
  return new ConvexStore(caller, {
    description: `${describeTarget(target)}, component ${componentPath}`,
    retry: retryPolicy(options.retries),
  });
}
