import { resolve } from 'node:path';
import { UsageError } from '../cli/errors.js';
import type { Redactor } from '../cli/redact.js';
import { readDotenvFiles } from '../cli/dotenv.js';
import { ConvexStore } from './convex/convex-store.js';
import { createHttpCaller } from './convex/http-caller.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';

export interface StoreOptions {
  readonly url?: string;
  readonly adminKey?: string;
  readonly local?: string;
  readonly prod?: boolean;
}

export type StoreTarget =
  | { readonly kind: 'sqlite'; readonly dir: string }
  | { readonly kind: 'convex'; readonly url: string; readonly adminKey: string; readonly deployment: string; readonly production: boolean };

export const DEFAULT_LOCAL_DIR = '.agg';

/** The deployment a key names: `prod:happy-animal-123|…` → happy-animal-123 (null for other shapes). */
export function deploymentOfKey(key: string): { kind: string; name: string } | null {
  const match = /^(prod|dev|preview):([a-z0-9-]+)\|/.exec(key);
  return match ? { kind: match[1]!, name: match[2]! } : null;
}

function hostName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    throw new UsageError(`--url "${url}" is not a URL (expected e.g. https://happy-animal-123.convex.cloud)`);
  }
}

/**
 * Decides where the data lives: an explicit local directory, else a configured deployment (flags, then
 * the environment, then .env.local/.env as the Convex CLI writes them), else the embedded store in
 * ./.agg. A production key is refused without --prod. Every key found is handed to the redactor first.
 */
export function resolveStoreTarget(options: StoreOptions, env: Readonly<Record<string, string | undefined>>, cwd: string, redactor: Redactor): StoreTarget {
  const files = readDotenvFiles(cwd);
  const adminKey = options.adminKey ?? env.CONVEX_DEPLOY_KEY ?? files.CONVEX_DEPLOY_KEY;
  redactor.add(adminKey);
  const local = options.local ?? env.AGG_LOCAL_DIR;
  const explicitUrl = options.url ?? env.CONVEX_URL ?? files.CONVEX_URL;
  if (options.local !== undefined && (options.url !== undefined || options.adminKey !== undefined)) {
    throw new UsageError('--local selects the embedded store; it cannot be combined with --url or --admin-key');
  }
  if (local !== undefined) {
    if (local.trim() === '') throw new UsageError('the local store directory is empty (--local DIR or AGG_LOCAL_DIR)');
    return { kind: 'sqlite', dir: resolve(cwd, local) };
  }
  if (explicitUrl === undefined && adminKey === undefined) return { kind: 'sqlite', dir: resolve(cwd, DEFAULT_LOCAL_DIR) };

  const named = adminKey === undefined ? null : deploymentOfKey(adminKey);
  const url = explicitUrl ?? (named && named.kind !== 'preview' ? `https://${named.name}.convex.cloud` : undefined);
  if (url === undefined) {
    throw new UsageError('a deploy key is set but no deployment URL could be derived from it; set CONVEX_URL or pass --url');
  }
  const host = hostName(url);
  if (adminKey === undefined) {
    throw new UsageError(
      `a deployment is configured (${host}) but no deploy key: set CONVEX_DEPLOY_KEY or pass --admin-key (agg calls internal functions); or use --local DIR for the embedded store`,
    );
  }
  const production = named?.kind === 'prod';
  if (production && options.prod !== true) {
    throw new UsageError(`the deploy key is for the production deployment ${named!.name}; pass --prod to confirm`);
  }
  return { kind: 'convex', url, adminKey, deployment: named?.name ?? host, production };
}

export function describeTarget(target: StoreTarget): string {
  return target.kind === 'sqlite'
    ? `embedded store in ${target.dir}`
    : `Convex deployment ${target.deployment} (${hostName(target.url)})${target.production ? ' [production]' : ''}`;
}

export function openStore(target: StoreTarget, options: { timeoutMs: number; retries: number }): Store {
  if (target.kind === 'sqlite') return SqliteStore.open(target.dir);
  const caller = createHttpCaller({ url: target.url, adminKey: target.adminKey, timeoutMs: options.timeoutMs });
  return new ConvexStore(caller, { description: describeTarget(target), retry: { ...DEFAULT_RETRY_POLICY, attempts: options.retries + 1 } });
}
