import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { type DotenvSource, readDotenvSources } from './dotenv.js';

// Where the data lives: flags, environment and dotenv files resolved to one target (no store is opened
// here: src/store/open.ts opens a target).

export interface StoreOptions {
  readonly url?: string;
  readonly adminKey?: string;
  readonly local?: string;
  readonly prod?: boolean;
  /** Read this dotenv file instead of .env.local and .env (`--env-file`). */
  readonly envFile?: string;
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

/**
 * The URL variables the Convex CLI writes into an app's .env.local (and reads back), in the order agg
 * consults them: the plain name first, then the framework-prefixed ones.
 */
export const CONVEX_URL_VARIABLES = [
  'CONVEX_URL',
  'NEXT_PUBLIC_CONVEX_URL',
  'VITE_CONVEX_URL',
  'PUBLIC_CONVEX_URL',
  'EXPO_PUBLIC_CONVEX_URL',
  'REACT_APP_CONVEX_URL',
  'NUXT_PUBLIC_CONVEX_URL',
  // A self-hosted backend's, as `npx convex dev` writes it for one (with CONVEX_SELF_HOSTED_ADMIN_KEY).
  'CONVEX_SELF_HOSTED_URL',
] as const;

/** agg's own package name: a convex.json beside its package.json deploys agg's functions, it is no app. */
export const AGG_PACKAGE_NAME = 'agg';

const DEPLOY_KEY_HINT = 'set CONVEX_DEPLOY_KEY (Dashboard → Settings → Deploy keys) or pass --admin-key; or pass --local DIR to use the embedded store';
const SELF_HOSTED_KEY_HINT = 'set CONVEX_SELF_HOSTED_ADMIN_KEY (the backend\'s admin key) or pass --admin-key; or pass --local DIR to use the embedded store';

/** Where a deploy key may be set, in the order agg takes it: the cloud's, then a self-hosted backend's. */
const KEY_VARIABLES = ['CONVEX_DEPLOY_KEY', 'CONVEX_SELF_HOSTED_ADMIN_KEY'] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** A configured value and where it came from, as messages name it (`--url`, `VITE_CONVEX_URL in .env.local`). */
interface Setting {
  readonly value: string;
  readonly source: string;
}

interface DeploymentSetting extends Setting {
  readonly kind: string | null;
  readonly name: string;
}

/** What the first layer that names a deployment says: a URL variable, CONVEX_DEPLOYMENT, or both. */
interface Located {
  readonly url: Setting | null;
  readonly deployment: DeploymentSetting | null;
  /** The layer is a dotenv file in the working directory (the directory is then a Convex app). */
  readonly fromFile: boolean;
}

/** `CONVEX_DEPLOYMENT` as `npx convex dev` writes it: `dev:happy-animal-123`, `prod:…`, `local:…`, or a bare name. */
export function parseDeploymentVariable(value: string): { kind: string | null; name: string } | null {
  const match = /^(?:([a-z]+):)?([A-Za-z0-9_-]+)$/.exec(value.trim());
  return match ? { kind: match[1] ?? null, name: match[2]! } : null;
}

/** The deployment a Convex cloud URL names: `https://happy-animal-123(.region).convex.cloud` → happy-animal-123. */
export function deploymentOfUrl(url: string): string | null {
  try {
    const match = /^([a-z0-9-]+)(?:\.[a-z0-9-]+)?\.convex\.cloud$/.exec(new URL(url).hostname.toLowerCase());
    return match ? match[1]! : null;
  } catch {
    return null;
  }
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** The host of an http(s) URL; `source` names where the URL came from in the error. */
function hostName(url: string, source = '--url'): string {
  let host = '';
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') host = parsed.host;
  } catch {
    // reported below
  }
  if (host === '') {
    const what = source === '--url' ? '--url' : `the URL from ${source}`;
    throw new UsageError(`${what} "${url}" is not a URL (expected e.g. https://happy-animal-123.convex.cloud)`);
  }
  return host;
}

/**
 * The first layer that names a deployment: --url, then the environment, then the dotenv files (most
 * specific first). Within a layer a URL variable (in CONVEX_URL_VARIABLES order) gives the URL and
 * CONVEX_DEPLOYMENT, when it is the only one, derives it.
 */
function locateDeployment(url: string | undefined, env: Env, files: readonly DotenvSource[]): Located | null {
  if (url !== undefined) return { url: { value: url, source: '--url' }, deployment: null, fromFile: false };
  const layers = [{ where: 'the environment', values: env, fromFile: false }, ...files.map((file) => ({ where: file.name, values: file.values as Env, fromFile: true }))];
  for (const layer of layers) {
    const urlVariable = CONVEX_URL_VARIABLES.find((name) => present(layer.values[name]));
    const deploymentText = layer.values.CONVEX_DEPLOYMENT;
    if (urlVariable === undefined && !present(deploymentText)) continue;
    let deployment: DeploymentSetting | null = null;
    if (present(deploymentText)) {
      const source = `CONVEX_DEPLOYMENT in ${layer.where}`;
      const parsed = parseDeploymentVariable(deploymentText);
      if (!parsed) throw new UsageError(`${source} "${deploymentText.trim()}" is not a deployment (expected e.g. dev:happy-animal-123)`);
      deployment = { value: deploymentText.trim(), source, ...parsed };
    }
    const found = urlVariable === undefined ? null : { value: layer.values[urlVariable]!.trim(), source: `${urlVariable} in ${layer.where}` };
    return { url: found, deployment, fromFile: layer.fromFile };
  }
  return null;
}

/** Any CONVEX_DEPLOYMENT (environment or dotenv files) that calls `name` a production deployment. */
function productionVariable(name: string, env: Env, files: readonly DotenvSource[]): Setting | null {
  const layers: [string, Env][] = [['the environment', env], ...files.map((file): [string, Env] => [file.name, file.values])];
  for (const [where, values] of layers) {
    const text = values.CONVEX_DEPLOYMENT;
    const parsed = present(text) ? parseDeploymentVariable(text) : null;
    if (parsed?.kind === 'prod' && parsed.name === name) return { value: text!.trim(), source: `CONVEX_DEPLOYMENT in ${where}` };
  }
  return null;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A package.json in `dir` whose name is agg's: agg's own checkout (its convex.json deploys agg itself). */
function isAggPackageRoot(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as unknown;
    return typeof manifest === 'object' && manifest !== null && (manifest as { name?: unknown }).name === AGG_PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** Why `dir` looks like a Convex app (`convex/ found`), or null. */
export function convexAppMarker(dir: string): string | null {
  if (isDirectory(join(dir, 'convex'))) return 'convex/ found';
  if (isFile(join(dir, 'convex.json')) && !isAggPackageRoot(dir)) return 'convex.json found';
  return null;
}

/** Told every secret the resolution finds (a deploy key), so the caller can keep it out of all output. */
export type OnSecret = (secret: string | undefined) => void;

/**
 * Decides where the data lives: an explicit local directory, else a configured deployment, else the
 * embedded store in ./.agg. Sources are layered flags > environment > dotenv files (--env-file, or
 * .env.local then .env, as the Convex CLI writes them); the first layer that names a deployment (a URL
 * variable, else CONVEX_DEPLOYMENT) wins, and a deploy key alone names its own. A Convex app without a
 * deploy key is refused rather than silently served by the embedded store; a key and a URL of different
 * deployments are refused; a production deployment needs --prod. Every key found is handed to the
 * `onSecret` before anything else.
 */
export function resolveStoreTarget(options: StoreOptions, env: Env, cwd: string, onSecret: OnSecret): StoreTarget {
  onSecret(options.adminKey);
  for (const name of KEY_VARIABLES) onSecret(env[name]);
  // AGG_ENV_FILE: Node 20 itself takes an --env-file from anywhere on its command line.
  const files = options.envFile !== undefined || !present(env.AGG_ENV_FILE) ? readDotenvSources(cwd, options.envFile) : readDotenvSources(cwd, env.AGG_ENV_FILE, 'AGG_ENV_FILE');
  for (const file of files) for (const name of KEY_VARIABLES) onSecret(file.values[name]);

  if (options.local !== undefined && (options.url !== undefined || options.adminKey !== undefined)) {
    throw new UsageError('--local selects the embedded store; it cannot be combined with --url or --admin-key');
  }
  const local = options.local ?? env.AGG_LOCAL_DIR;
  if (local !== undefined) {
    if (local.trim() === '') throw new UsageError('the local store directory is empty (--local DIR or AGG_LOCAL_DIR)');
    return { kind: 'sqlite', dir: resolve(cwd, local) };
  }

  if (options.adminKey !== undefined && options.adminKey.trim() === '') throw new UsageError('--admin-key is empty (expected a deploy key such as dev:happy-animal-123|…)');
  for (const name of KEY_VARIABLES) {
    if (env[name] !== undefined && env[name].trim() === '') throw new UsageError(`${name} is set but empty (an unset CI secret?): give it a deploy key, or unset it`);
  }
  const keyOf = (values: Env): (string | undefined)[] => KEY_VARIABLES.map((name) => values[name]);
  const adminKey = [options.adminKey, ...keyOf(env), ...files.flatMap((file) => keyOf(file.values as Env))].find(present)?.trim();
  const located = locateDeployment(options.url, env, files);

  if (adminKey === undefined) {
    if (located !== null) {
      const found = located.url ?? located.deployment!;
      const what = located.fromFile ? 'this directory is a Convex app' : 'a Convex deployment is configured';
      const hint = found.source.startsWith('CONVEX_SELF_HOSTED_URL ') ? SELF_HOSTED_KEY_HINT : DEPLOY_KEY_HINT;
      throw new UsageError(`${what} (${found.source}: ${found.value}) but no deploy key is set: ${hint}`);
    }
    const marker = convexAppMarker(cwd);
    if (marker !== null) throw new UsageError(`this directory is a Convex app (${marker}) but no deploy key is set: ${DEPLOY_KEY_HINT}`);
    return { kind: 'sqlite', dir: resolve(cwd, DEFAULT_LOCAL_DIR) };
  }

  const named = deploymentOfKey(adminKey);
  let url: Setting;
  if (located?.url) {
    url = located.url;
  } else if (located?.deployment) {
    const { kind, name, source, value } = located.deployment;
    if ((kind !== null && kind !== 'dev' && kind !== 'prod' && kind !== 'preview') || !/^[a-z0-9-]+$/.test(name)) {
      throw new UsageError(`${source} is "${value}", a deployment whose URL agg cannot derive; set CONVEX_URL or pass --url`);
    }
    url = { value: `https://${name}.convex.cloud`, source };
  } else if (named && named.kind !== 'preview') {
    url = { value: `https://${named.name}.convex.cloud`, source: 'the deploy key' };
  } else {
    throw new UsageError('a deploy key is set but no deployment URL could be derived from it; set CONVEX_URL or pass --url');
  }
  const host = hostName(url.value, url.source);
  const urlDeployment = deploymentOfUrl(url.value);
  if (named && urlDeployment !== null && urlDeployment !== named.name) {
    throw new UsageError(
      `the deploy key is for the deployment ${named.name} but the URL ${url.value} (from ${url.source}) is the deployment ${urlDeployment}: use the deploy key of ${urlDeployment}, or pass --url https://${named.name}.convex.cloud`,
    );
  }
  const deployment = named?.name ?? urlDeployment ?? host;
  const productionSetting = named?.kind === 'prod' ? null : productionVariable(deployment, env, files);
  const production = named?.kind === 'prod' || productionSetting !== null;
  if (production && options.prod !== true) {
    throw new UsageError(
      productionSetting === null
        ? `the deploy key is for the production deployment ${deployment}; pass --prod to confirm`
        : `${productionSetting.source} says ${deployment} is the production deployment (${productionSetting.value}); pass --prod to confirm`,
    );
  }
  return { kind: 'convex', url: url.value, adminKey, deployment, production };
}

export function describeTarget(target: StoreTarget): string {
  return target.kind === 'sqlite'
    ? `embedded store in ${target.dir}`
    : `Convex deployment ${target.deployment} (${hostName(target.url)})${target.production ? ' [production]' : ''}`;
}

