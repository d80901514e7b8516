import { ConvexHttpClient } from 'convex/browser';
import { makeFunctionReference } from 'convex/server';
import { z } from 'zod';
import { StoreError } from '../errors.js';
import type { ConvexCaller } from './caller.js';

export interface HttpCallerOptions {
  readonly url: string;
  readonly adminKey: string;
  /** The agg component's path in the app (`app.use(agg)` mounts it as `agg`). */
  readonly componentPath: string;
  /** Per-call timeout: a stalled server is abandoned and the call retried. */
  readonly timeoutMs: number;
  readonly fetch?: typeof globalThis.fetch;
}

const NETWORK_TRANSIENT = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns an HTTP answer that is not a function result into a classified StoreError. */
export function classifyHttpStatus(status: number, body: string, url: string): StoreError {
  let code = '';
  let message = body.trim().slice(0, 300);
  try {
    const parsed = JSON.parse(body) as { code?: string; message?: string };
    code = parsed.code ?? '';
    message = parsed.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  if (status === 401 || status === 403 || /BadAdminKey|BadDeployKey|Unauthenticated|Unauthorized|InvalidAuthHeader|Forbidden/i.test(code)) {
    return new StoreError(`the deployment at ${url} refused the admin key (${code || `HTTP ${status}`}); check CONVEX_DEPLOY_KEY or --admin-key`, 'permanent');
  }
  if (status === 404) {
    return new StoreError(`${url} answered 404 (${code || message || 'not found'}); check --url / CONVEX_URL (it should name a Convex deployment, e.g. https://happy-animal-123.convex.cloud)`, 'permanent');
  }
  if (status === 429 || status >= 500) {
    return new StoreError(`the deployment answered HTTP ${status}${code ? ` ${code}` : ''} (overloaded, restarting or behind a failing proxy; try again later)`, 'transient');
  }
  return new StoreError(`the deployment rejected the request: HTTP ${status} ${code} ${message}`.trim(), 'permanent');
}

/** Classifies an error thrown by a Convex function (the client turns HTTP 560 answers into these). */
export function classifyFunctionError(name: string, error: Error): StoreError {
  const message = error.message;
  if (/Could not find (public )?function|not found in module|is not a (query|mutation)/i.test(message)) {
    return new StoreError(`the deployment's agg component has no function ${name}: it runs another version of agg; install this version in the app (npm install agg) and deploy it (npx convex deploy)`, 'permanent');
  }
  // "Trying to execute records.js:putBatch as Mutation, but it is defined as Query.": another version.
  if (/ArgumentValidationError|ReturnsValidationError|Validator error|Object contains extra field|Unexpected field|missing the required field|Value does not match validator|Schema validation failed|Trying to execute \S+ as \w+, but it is defined as/i.test(message)) {
    return new StoreError(`schema mismatch calling ${name}: the deployment's agg component is another version than this CLI; install this version in the app (npm install agg) and deploy it (npx convex deploy)`, 'permanent');
  }
  if (/changed while this mutation was being run|OptimisticConcurrencyControl|Transient error|temporarily unavailable|overloaded/i.test(message)) {
    return new StoreError(`transient conflict in ${name}`, 'transient');
  }
  const firstLine = message.split('\n').find((line) => line.trim() !== '' && !line.startsWith('[Request ID')) ?? message;
  return new StoreError(`${name} failed: ${firstLine.replace(/^Uncaught (Error: )?/, '').slice(0, 300)}`, 'permanent', 'item');
}

/**
 * A fetch that gives up after `timeoutMs` and turns transport failures and non-function HTTP answers
 * into classified StoreErrors before ConvexHttpClient sees them.
 */
function guardedFetch(options: HttpCallerOptions): typeof globalThis.fetch {
  const baseFetch = options.fetch ?? globalThis.fetch;
  return async (input, init) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
      const response = await baseFetch(input, { ...init, signal: controller.signal });
      if (!response.ok && response.status !== 560) {
        throw classifyHttpStatus(response.status, await response.text(), options.url);
      }
      // Read the body under the same timeout: a server can stall after the headers, too.
      const body = await response.text();
      return new Response(body, { status: response.status, headers: response.headers });
    } catch (error) {
      if (error instanceof StoreError) throw error;
      if (controller.signal.aborted) {
        throw new StoreError(`no answer from ${options.url} within ${options.timeoutMs} ms (the deployment or the network is stalled; raise --timeout if calls are only slow)`, 'transient');
      }
      const code = causeCode(error);
      if (code === 'ENOTFOUND') throw new StoreError(`cannot resolve the deployment's host (${options.url}); check --url / CONVEX_URL`, 'permanent');
      if (code === 'ECONNREFUSED') throw new StoreError(`cannot connect to ${options.url} (connection refused); check --url / CONVEX_URL and that the deployment is up`, 'transient');
      if (code !== undefined && NETWORK_TRANSIENT.has(code)) throw new StoreError(`network error talking to ${options.url} (${code}); check the network and --url / CONVEX_URL`, 'transient');
      throw new StoreError(`cannot reach ${options.url}: ${(error as Error).message}; check the network and --url / CONVEX_URL`, 'transient');
    } finally {
      clearTimeout(timer);
    }
  };
}

/** A caller whose function errors arrive classified (shared by the HTTP client and test deployments). */
export function classifyingCaller(raw: ConvexCaller): ConvexCaller {
  const run = async (name: string, call: () => Promise<unknown>): Promise<unknown> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw classifyFunctionError(name, error as Error);
    }
  };
  return { query: (name, args) => run(name, () => raw.query(name, args)), mutation: (name, args) => run(name, () => raw.mutation(name, args)) };
}

/** A mounted component, as the deployment's `_system/frontend/components:list` lists it. */
const mountedComponentsAnswer = z.array(z.object({ path: z.string(), state: z.string().optional() }).passthrough());

/** The missing-component error: one line naming the fix. */
export function missingComponentError(componentPath: string, url: string, mounted: readonly string[]): StoreError {
  const others = mounted.length === 0 ? 'it has no components' : `its components: ${mounted.join(', ')}`;
  return new StoreError(
    `the deployment at ${url} has no component "${componentPath}" (${others}): add \`app.use(agg)\` (import agg from "agg/convex.config") to convex/convex.config.ts and deploy (npx convex deploy), or pass --component NAME`,
    'permanent',
  );
}

/**
 * The CLI's caller: every function is one of the agg component's, called by path with the admin key
 * through `/api/function` and its `componentPath`, as `npx convex run --component` does. The first call
 * checks that the component is mounted (as the Convex CLI resolves `--component`), so a deployment
 * without it gets one line naming the fix instead of the backend's internal error.
 */
export function createHttpCaller(options: HttpCallerOptions): ConvexCaller {
  const client = new ConvexHttpClient(options.url, { logger: false, skipConvexDeploymentUrlCheck: true, fetch: guardedFetch(options) });
  // Admin auth lets the CLI call the component's internal functions; the key never leaves this object.
  (client as unknown as { setAdminAuth(token: string): void }).setAdminAuth(options.adminKey);
  const call = (name: string, componentPath: string | undefined, args: Record<string, unknown>): Promise<unknown> =>
    (client as unknown as { function(reference: unknown, componentPath: string | undefined, args: Record<string, unknown>): Promise<unknown> }).function(
      makeFunctionReference(name),
      componentPath,
      args,
    );
  let mounted: Promise<void> | null = null;
  const ensureMounted = (): Promise<void> => {
    mounted ??= (async () => {
      let listed: unknown;
      try {
        listed = await call('_system/frontend/components:list', undefined, {});
      } catch (error) {
        // A deployment that cannot list its components (an older backend) is not proof that agg is
        // missing: the calls themselves will tell. Transport and key failures are failures.
        if (error instanceof StoreError) throw error;
        return;
      }
      const answer = mountedComponentsAnswer.safeParse(listed);
      if (!answer.success) throw new StoreError(`unexpected answer from the deployment's component list (${answer.error.issues[0]?.message ?? 'invalid'})`, 'permanent');
      const active = answer.data.filter((component) => component.path !== '' && (component.state ?? 'active') === 'active').map((component) => component.path);
      if (!active.includes(options.componentPath)) throw missingComponentError(options.componentPath, options.url, active.sort());
    })().catch((error: unknown) => {
      mounted = null;
      throw error;
    });
    return mounted;
  };
  const run = async (name: string, args: Record<string, unknown>): Promise<unknown> => {
    await ensureMounted();
    return call(name, options.componentPath, args);
  };
  return classifyingCaller({ query: run, mutation: run });
}
