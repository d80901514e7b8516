// A loopback Convex deployment for tests and the soak: an HTTP server on 127.0.0.1 that speaks the part
// of Convex's HTTP API that ConvexHttpClient uses, running the project's own src/convex functions on
// convex-test (transaction limits on), with network faults injected per test. Not shipped.
//
// What it matches, from the client's source (node_modules/convex/dist/esm/browser/http_client.js) and
// the backend's (get-convex/convex-backend, crates/local_backend/src/public_api.rs and friends):
// - POST /api/query | /api/mutation | /api/action with {path, format: "convex_encoded_json", args: [json]};
//   answers {status: "success", value, logLines} (HTTP 200) or {status: "error", errorMessage,
//   errorData?, logLines} (HTTP 560, what the hosted backend sends for a function error).
// - errorMessage is "[Request ID: <16 hex>] Server Error\n<error>", where <error> is "Uncaught Error: …"
//   for a thrown error, "Uncaught ConvexError: …" (with errorData) for a ConvexError, or the backend's
//   own text for a missing function ("Could not find public function for 'm:f'. Did you forget to run
//   `npx convex dev` or `npx convex deploy`?"), a function of another type ("Trying to execute m.js:f
//   as Mutation, but it is defined as Query.") and argument validation ("ArgumentValidationError: …").
// - `Authorization: Convex <deploy key>` is an admin: every function. A wrong key is refused before
//   anything runs: HTTP 403 {"code":"BadDeployKey","message":…}. Without it, internal functions do not
//   exist (the same "Could not find public function" text, so their names do not leak).
// - `Authorization: Bearer <jwt>`: the identity a public function sees. The loopback is its own auth
//   provider: `userToken(subject)` mints an HS256 JWT it accepts (issuer LOOPBACK_ISSUER); the identity
//   is {subject, issuer, tokenIdentifier: "issuer|subject", …claims}, as Convex builds it from an OIDC
//   token. A bad signature or an expired token is HTTP 401 Unauthenticated, a token of another issuer
//   401 NoAuthProvider, a token that is not a JWT 401 InvalidAuthHeader.
// - console.log and friends inside a function come back as logLines ("[LOG] 'text'").
// - Other routes answer 404, other methods 405, a body that is not JSON 400, arguments over 16 MiB an
//   error, as a deployment does.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { inspect } from 'node:util';
import { assertDocumentLimits } from './convex-test-store.js';
import { makeFunctionReference } from 'convex/server';
import { convexToJson, jsonToConvex, type Value } from 'convex/values';
import { aggSchema } from '../../src/test.js';
import { valueLimitProblem } from './value-limits.js';
import { Random } from '../../fixtures/random.js';
import { type AggTestDeployment, type AppDefinition, AGG_COMPONENT, BARE_APP, makeAggDeployment } from './agg-deployment.js';
import { convexModules } from './convex-modules.js';

export const LOOPBACK_ISSUER = 'https://auth.loopback.convex.test';
/** HTTP status Convex answers a function error with (STATUS_CODE_UDF_FAILED in the client). */
export const STATUS_UDF_FAILED = 560;
const MAX_ARGS_BYTES = 16 * 1024 * 1024;

export type Endpoint = 'query' | 'mutation' | 'action';

/**
 * What can go wrong on the way to a deployment and back. Faults before the function runs leave the
 * data untouched; the `*-after-commit` faults run the function (a mutation commits) and then lose the
 * answer, so a client's retry must be idempotent.
 */
export type Fault =
  | 'reset' // the connection is reset before the request reaches the function
  | 'http-500'
  | 'http-502'
  | 'http-503'
  | 'http-429'
  | 'stall' // the answer never comes (the client's per-call timeout must fire)
  | 'stall-body' // headers and half a body, then nothing
  | 'reset-after-commit'
  | 'stall-after-commit'
  | '502-after-commit'
  | 'missing-function' // answered as by a deployment without the function (permanent)
  | 'bad-key' // answered as by a deployment that no longer accepts the key (permanent)
  | 'down'; // the server stops listening: this call and every later one fail until up()

/** The faults a flaky network or an overloaded deployment produces: a client should retry through all of them. */
export const TRANSIENT_FAULTS: readonly Fault[] = ['reset', 'http-500', 'http-502', 'http-503', 'http-429', 'stall', 'stall-body', 'reset-after-commit', 'stall-after-commit', '502-after-commit'];

export interface FaultRule {
  /** Function path (`module:name`) or pattern the rule applies to; every call when absent. */
  readonly path?: string | RegExp;
  readonly endpoint?: Endpoint;
  /** Leave the first N matching calls alone. */
  readonly after?: number;
  /** Fault at most N matching calls. */
  readonly times?: number;
  /** Chance (0–1) that a matching call is faulted, drawn from the plan's seeded sequence; 1 when absent. */
  readonly rate?: number;
  /** The fault, or a list to draw from (uniformly, from the seeded sequence). */
  readonly fault: Fault | readonly Fault[];
}

export interface FaultPlan {
  readonly seed?: string;
  /** Added to every answer: a fixed delay, or a range drawn from the seeded sequence. */
  readonly latencyMs?: number | readonly [number, number];
  /** The first rule that matches a call decides its fault. */
  readonly rules?: readonly FaultRule[];
  /**
   * Fault one request (the same endpoint and body, as a client's retry sends it) at most this many
   * times, so that a transient fault stays transient whatever order concurrent calls draw the seeded
   * sequence in; unlimited when absent.
   */
  readonly maxFaultsPerRequest?: number;
}

/** `rate` of all calls fail with one of `faults`, from a seeded sequence (the same seed, the same faults). */
export function transientFaults(rate: number, seed: string, faults: readonly Fault[] = TRANSIENT_FAULTS): FaultPlan {
  return { seed, rules: [{ rate, fault: faults }], maxFaultsPerRequest: 3 };
}

export interface LoopbackCall {
  readonly endpoint: Endpoint;
  readonly path: string;
  readonly fault: Fault | null;
  /** The function ran (and a mutation committed). */
  readonly ran: boolean;
  readonly status: number | 'reset' | 'stalled';
  readonly identity: 'admin' | 'user' | 'anonymous' | 'refused';
}

export interface LoopbackStats {
  requests: number;
  /** Function calls that reached a function, by path. */
  readonly ran: Map<string, number>;
  readonly faults: Map<Fault, number>;
  /** Mutations that committed and whose answer was then lost. */
  lostAfterCommit: number;
  readonly calls: LoopbackCall[];
}

export interface LoopbackOptions {
  /** The agg component's modules (default: src/component); tests replace one to play another version. */
  readonly modules?: Record<string, () => Promise<unknown>>;
  /** The app the component is installed in (default: a bare app with no functions of its own). */
  readonly app?: AppDefinition;
  /** Where the app mounts agg (default `agg`); null: a deployment whose app never ran `app.use(agg)`. */
  readonly componentPath?: string | null;
  /** Answer `_system/frontend/components:list` (default true); false plays a backend without it. */
  readonly listsComponents?: boolean;
  /** The deploy key it accepts (default: a fresh `dev:<deployment>|<secret>`). */
  readonly adminKey?: string;
  readonly deployment?: string;
  readonly faults?: FaultPlan;
  /** Keep every call in stats.calls (default true; the soak turns it off). */
  readonly recordCalls?: boolean;
}


/** A running loopback deployment. */
export interface LoopbackConvex {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly adminKey: string;
  readonly deployment: string;
  /** The agg component inside the convex-test deployment behind it, for seeding and inspecting data directly. */
  readonly t: AggTestDeployment;
  /** The app (root component) of that deployment. */
  readonly app: AggTestDeployment['app'];
  readonly stats: LoopbackStats;
  /** Replaces the fault plan (null: no faults); counters of rules start again. */
  setFaults(plan: FaultPlan | null): void;
  /** A JWT this deployment accepts for the user `subject` (Authorization: Bearer). */
  userToken(subject: string, claims?: Record<string, unknown> & { expiresInSeconds?: number }): string;
  /** Stops listening and drops every connection (as a deployment that went away). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Stops listening, then fails if any stored document breaks Convex's per-document limits. */
  close(): Promise<void>;
}

// Function resolution

interface RegisteredFunction {
  readonly isQuery?: boolean;
  readonly isMutation?: boolean;
  readonly isAction?: boolean;
  readonly isPublic?: boolean;
  readonly isInternal?: boolean;
  exportArgs(): string;
}

function moduleLoader(modules: Record<string, () => Promise<unknown>>): (modulePath: string) => Promise<Record<string, unknown> | null> {
  const generated = Object.keys(modules).find((key) => key.includes('_generated'));
  const prefix = generated === undefined ? '/convex/' : generated.split('_generated')[0]!;
  const byPath = new Map(Object.entries(modules).map(([key, load]) => [key.replace(/\.[^./]+$/, ''), load]));
  return async (modulePath) => {
    const load = byPath.get(prefix + modulePath);
    return load ? ((await load()) as Record<string, unknown>) : null;
  };
}

/** `records:putBatch` → module `records`, export `putBatch`; `records.js:putBatch` and `records` (default) too. */
function parseFunctionPath(path: string): { module: string; name: string; canonical: string; stripped: string } | null {
  const match = /^([A-Za-z0-9_./-]+?)(?:\.js)?(?::([A-Za-z_$][A-Za-z0-9_$]*))?$/.exec(path);
  if (!match || match[1]!.startsWith('/') || match[1]!.includes('..') || match[1]!.startsWith('_')) return null;
  const name = match[2] ?? 'default';
  return { module: match[1]!, name, canonical: `${match[1]}.js:${name}`, stripped: name === 'default' ? match[1]! : `${match[1]}:${name}` };
}

const UDF_TYPE_NAMES: Record<Endpoint, string> = { query: 'Query', mutation: 'Mutation', action: 'Action' };

function typeOf(func: RegisteredFunction): Endpoint | null {
  if (func.isQuery) return 'query';
  if (func.isMutation) return 'mutation';
  if (func.isAction) return 'action';
  return null;
}

// Argument validation, with the backend's messages (ArgumentValidationError: …)

type ValidatorJson =
  | { type: 'any' | 'null' | 'number' | 'bigint' | 'boolean' | 'string' | 'bytes' }
  | { type: 'literal'; value: unknown }
  | { type: 'id'; tableName: string }
  | { type: 'array'; value: ValidatorJson }
  | { type: 'record'; keys: ValidatorJson; values: { fieldType: ValidatorJson; optional: boolean } }
  | { type: 'object'; value: Record<string, { fieldType: ValidatorJson; optional: boolean }> }
  | { type: 'union'; value: ValidatorJson[] };

function showValidator(validator: ValidatorJson): string {
  switch (validator.type) {
    case 'any':
    case 'null':
    case 'boolean':
    case 'string':
    case 'bytes':
      return `v.${validator.type}()`;
    case 'number':
      return 'v.float64()';
    case 'bigint':
      return 'v.int64()';
    case 'literal':
      return `v.literal(${showValue(validator.value as Value)})`;
    case 'id':
      return `v.id(${JSON.stringify(validator.tableName)})`;
    case 'array':
      return `v.array(${showValidator(validator.value)})`;
    case 'record':
      return `v.record(${showValidator(validator.keys)}, ${showValidator(validator.values.fieldType)})`;
    case 'union':
      return `v.union(${validator.value.map(showValidator).join(', ')})`;
    case 'object':
      return `v.object({${Object.keys(validator.value)
        .sort()
        .map((key) => {
          const field = validator.value[key]!;
          return `${key}: ${field.optional ? `v.optional(${showValidator(field.fieldType)})` : showValidator(field.fieldType)}`;
        })
        .join(', ')}})`;
  }
}

/** A value as the backend prints it in errors: floats with a decimal point, keys unquoted; long ones cut. */
function showValue(value: Value | undefined, budget = { left: 2000 }): string {
  const out = ((): string => {
    if (value === undefined) return 'undefined';
    if (value === null) return 'null';
    if (typeof value === 'bigint') return String(value);
    if (typeof value === 'number') return Number.isInteger(value) ? `${value}.0` : String(value);
    if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
    if (typeof value === 'boolean') return String(value);
    if (value instanceof ArrayBuffer) return `Bytes(${value.byteLength})`;
    if (Array.isArray(value)) {
      const parts: string[] = [];
      for (const item of value) {
        if (budget.left <= 0) {
          parts.push('…');
          break;
        }
        parts.push(showValue(item, budget));
      }
      return `[${parts.join(', ')}]`;
    }
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      if (budget.left <= 0) {
        parts.push('…');
        break;
      }
      parts.push(`${key}: ${showValue((value as Record<string, Value>)[key], budget)}`);
    }
    return `{${parts.join(', ')}}`;
  })();
  budget.left -= out.length;
  return out;
}

class ValidationFailure extends Error {}

function mismatch(path: string, value: Value | undefined, validator: ValidatorJson): never {
  throw new ValidationFailure(`Value does not match validator.\nPath: ${path || '.'}\nValue: ${showValue(value)}\nValidator: ${showValidator(validator)}`);
}

function isPlainObject(value: unknown): value is Record<string, Value> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof ArrayBuffer);
}

function check(validator: ValidatorJson, value: Value | undefined, path: string): void {
  switch (validator.type) {
    case 'any':
      return;
    case 'null':
      if (value !== null) mismatch(path, value, validator);
      return;
    case 'number':
      if (typeof value !== 'number') mismatch(path, value, validator);
      return;
    case 'bigint':
      if (typeof value !== 'bigint') mismatch(path, value, validator);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') mismatch(path, value, validator);
      return;
    case 'string':
    case 'id':
      if (typeof value !== 'string') mismatch(path, value, validator);
      return;
    case 'bytes':
      if (!(value instanceof ArrayBuffer)) mismatch(path, value, validator);
      return;
    case 'literal':
      if (value !== validator.value) {
        throw new ValidationFailure(`\`${showValue(value)}\` does not match literal validator \`${showValidator(validator)}\`.`);
      }
      return;
    case 'array':
      if (!Array.isArray(value)) mismatch(path, value, validator);
      (value as Value[]).forEach((item, i) => check(validator.value, item, `${path}[${i}]`));
      return;
    case 'record':
      if (!isPlainObject(value)) mismatch(path, value, validator);
      for (const [key, item] of Object.entries(value as Record<string, Value>)) {
        check(validator.keys, key, `${path}.keys()`);
        check(validator.values.fieldType, item, `${path}.values()`);
      }
      return;
    case 'union':
      for (const member of validator.value) {
        try {
          check(member, value, path);
          return;
        } catch (error) {
          if (!(error instanceof ValidationFailure)) throw error;
        }
      }
      mismatch(path, value, validator);
      return;
    case 'object': {
      if (!isPlainObject(value)) mismatch(path, value, validator);
      const object = value as Record<string, Value | undefined>;
      const shown = () => `\n\nObject: ${showValue(object as Value)}\nValidator: ${showValidator(validator)}`;
      for (const key of Object.keys(object).sort()) {
        if (object[key] !== undefined && !(key in validator.value)) {
          throw new ValidationFailure(`Object contains extra field \`${key}\` that is not in the validator.${path ? `\nPath: ${path}` : ''}${shown()}`);
        }
      }
      for (const key of Object.keys(validator.value).sort()) {
        const field = validator.value[key]!;
        if (object[key] === undefined) {
          if (field.optional) continue;
          throw new ValidationFailure(
            `Object is missing the required field \`${key}\`. Consider wrapping the field validator in \`v.optional(...)\` if this is expected.${path ? `\nPath: ${path}` : ''}${shown()}`,
          );
        }
        check(field.fieldType, object[key], `${path}.${key}`);
      }
      return;
    }
  }
}

// Auth

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

type AuthOutcome =
  | { kind: 'admin'; actingAs: Record<string, unknown> | null }
  | { kind: 'user'; identity: Record<string, unknown> & { subject: string; issuer: string; tokenIdentifier: string } }
  | { kind: 'anonymous' }
  | { kind: 'refused'; status: number; code: string; message: string };

// Log lines: console output of a function, captured per request instead of printed.

const logCapture = new AsyncLocalStorage<string[]>();
let consolePatched = false;

function formatLogArg(arg: unknown): string {
  return typeof arg === 'string' ? `'${arg}'` : inspect(arg, { depth: 4, breakLength: Infinity });
}

function patchConsole(): void {
  if (consolePatched) return;
  consolePatched = true;
  const levels: Array<[keyof Console, string]> = [
    ['log', 'LOG'],
    ['info', 'INFO'],
    ['warn', 'WARN'],
    ['error', 'ERROR'],
    ['debug', 'DEBUG'],
  ];
  for (const [method, level] of levels) {
    const original = (console[method] as (...args: unknown[]) => void).bind(console);
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const lines = logCapture.getStore();
      if (lines) lines.push(`[${level}] ${args.map(formatLogArg).join(' ')}`);
      else original(...args);
    };
  }
}

// The server

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function text(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** Starts a loopback deployment on 127.0.0.1 at a random port. */
export async function startLoopbackConvex(options: LoopbackOptions = {}): Promise<LoopbackConvex> {
  patchConsole();
  const modules = options.modules ?? convexModules;
  const mountedAt = options.componentPath === undefined ? AGG_COMPONENT : options.componentPath;
  const app = options.app ?? BARE_APP;
  const t = makeAggDeployment(app, mountedAt ?? AGG_COMPONENT, modules, mountedAt !== null);
  const loadApp = moduleLoader(app.modules);
  const loadComponent = moduleLoader(modules);
  const deployment = options.deployment ?? `loopback-${randomBytes(3).toString('hex')}`;
  const adminKey = options.adminKey ?? `dev:${deployment}|${randomBytes(24).toString('hex')}`;
  const jwtSecret = randomBytes(32);
  const recordCalls = options.recordCalls ?? true;
  const stats: LoopbackStats = { requests: 0, ran: new Map(), faults: new Map(), lostAfterCommit: 0, calls: [] };

  let plan: FaultPlan | null = null;
  let random = new Random('loopback');
  // Per rule: matching calls seen, and calls faulted.
  let counters: Array<{ seen: number; faulted: number }> = [];
  // Faults so far per request (a digest of endpoint and body: bodies run to megabytes), for maxFaultsPerRequest.
  let faultsPerRequest = new Map<string, number>();
  const setFaults = (next: FaultPlan | null): void => {
    plan = next;
    random = new Random(next?.seed ?? 'loopback');
    counters = (next?.rules ?? []).map(() => ({ seen: 0, faulted: 0 }));
    faultsPerRequest = new Map();
  };
  setFaults(options.faults ?? null);

  const chooseFault = (endpoint: Endpoint, path: string): Fault | null => {
    const rules = plan?.rules ?? [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const counter = counters[i]!;
      if (rule.endpoint !== undefined && rule.endpoint !== endpoint) continue;
      if (rule.path !== undefined && (typeof rule.path === 'string' ? rule.path !== path : !rule.path.test(path))) continue;
      counter.seen++;
      if (rule.after !== undefined && counter.seen <= rule.after) continue;
      if (rule.rate !== undefined && !(random.next() < rule.rate)) continue;
      if (rule.times !== undefined && counter.faulted >= rule.times) continue;
      const faults = typeof rule.fault === 'string' ? [rule.fault] : rule.fault;
      if (faults.length === 0) continue;
      counter.faulted++;
      return faults.length === 1 ? faults[0]! : random.pick(faults);
    }
    return null;
  };

  const latency = (): number => {
    const spec = plan?.latencyMs;
    if (spec === undefined) return 0;
    return typeof spec === 'number' ? spec : spec[0] + random.next() * (spec[1] - spec[0]);
  };

  const authenticate = (header: string | undefined): AuthOutcome => {
    if (header === undefined || header.trim() === '') return { kind: 'anonymous' };
    if (header.startsWith('Convex ')) {
      const token = header.slice('Convex '.length);
      const rest = token.startsWith(adminKey) ? token.slice(adminKey.length) : null;
      if (rest === null || (rest !== '' && !rest.startsWith(':'))) {
        return {
          kind: 'refused',
          status: 403,
          code: 'BadDeployKey',
          message: `The provided deploy key was invalid for deployment '${deployment}'. Double check that the environment this key was generated for matches the desired deployment.`,
        };
      }
      if (rest === '') return { kind: 'admin', actingAs: null };
      try {
        return { kind: 'admin', actingAs: JSON.parse(Buffer.from(rest.slice(1), 'base64').toString('utf8')) as Record<string, unknown> };
      } catch {
        return { kind: 'refused', status: 401, code: 'InvalidAuthHeader', message: 'Could not parse the acting-as identity of the admin key.' };
      }
    }
    if (header.startsWith('Bearer ')) {
      const parts = header.slice('Bearer '.length).split('.');
      let claims: Record<string, unknown>;
      try {
        if (parts.length !== 3) throw new Error('not a JWT');
        claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        return { kind: 'refused', status: 401, code: 'InvalidAuthHeader', message: 'Could not parse JWT payload.' };
      }
      if (claims.iss !== LOOPBACK_ISSUER || claims.aud !== 'convex') {
        return { kind: 'refused', status: 401, code: 'NoAuthProvider', message: "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers." };
      }
      const expected = createHmac('sha256', jwtSecret).update(`${parts[0]}.${parts[1]}`).digest();
      const given = Buffer.from(parts[2]!, 'base64url');
      const expired = typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now();
      if (given.length !== expected.length || !timingSafeEqual(given, expected) || expired || typeof claims.sub !== 'string') {
        return { kind: 'refused', status: 401, code: 'Unauthenticated', message: "Could not verify OIDC token claim. Check that the token signature is valid and the token hasn't expired." };
      }
      const { sub, iss, aud: _aud, exp: _exp, iat: _iat, ...rest } = claims;
      return { kind: 'user', identity: { ...rest, subject: sub as string, issuer: iss as string, tokenIdentifier: `${iss as string}|${sub as string}` } };
    }
    return { kind: 'refused', status: 401, code: 'InvalidAuthHeader', message: 'The Authorization header is neither "Bearer <token>" nor "Convex <admin key>".' };
  };

  /** Runs one function call to its answer: [HTTP status, body]. */
  const execute = async (
    route: Endpoint | 'function',
    body: { path?: unknown; args?: unknown; componentPath?: unknown },
    auth: Extract<AuthOutcome, { kind: 'admin' | 'user' | 'anonymous' }>,
    requestId: string,
    forceMissing: boolean,
  ): Promise<{ status: number; body: unknown; ran: boolean }> => {
    const logLines: string[] = [];
    const failure = (message: string, errorData?: unknown) => ({
      status: STATUS_UDF_FAILED,
      body: { status: 'error', errorMessage: `[Request ID: ${requestId}] Server Error\n${message}`, ...(errorData !== undefined ? { errorData } : {}), logLines },
      ran: false,
    });
    const rawPath = typeof body.path === 'string' ? body.path : '';
    // `/api/function` reaches any function of any mounted component (admins only: checked before);
    // the other routes reach the app's public functions only.
    const componentPath = route === 'function' && typeof body.componentPath === 'string' ? body.componentPath : '';
    if (route === 'function' && componentPath === '' && rawPath.replace(/\.js:/, ':') === '_system/frontend/components:list') {
      if (options.listsComponents === false) return failure("Could not find function for '_system/frontend/components:list'. Did you forget to run `npx convex dev`?");
      const components = [{ id: 'root', name: null, path: '', args: {}, state: 'active' }, ...(mountedAt === null ? [] : [{ id: `c-${mountedAt}`, name: mountedAt, path: mountedAt, args: {}, state: 'active' }])];
      return { status: 200, body: { status: 'success', value: components, logLines }, ran: true };
    }
    const parsedPath = parseFunctionPath(rawPath);
    if (parsedPath === null) return { status: 400, body: { code: 'InvalidConvexFunction', message: `Failed to parse Convex function path: ${rawPath}` }, ran: false };
    if (componentPath !== '' && componentPath !== mountedAt) {
      // What the backend answers for a component path it does not know.
      return { status: 500, body: { code: 'InternalServerError', message: "Your request couldn't be completed. Try again later." }, ran: false };
    }
    const inComponent = componentPath !== '';
    const missing = () =>
      failure(
        route === 'function'
          ? `Could not find function for '${parsedPath.stripped}'. Did you forget to run \`npx convex dev\`?`
          : `Could not find public function for '${parsedPath.stripped}'. Did you forget to run \`npx convex dev\` or \`npx convex deploy\`?`,
      );
    if (forceMissing) return missing();
    const module = await (inComponent ? loadComponent : loadApp)(parsedPath.module);
    const func = module?.[parsedPath.name] as RegisteredFunction | undefined;
    const type = func ? typeOf(func) : null;
    if (!func || type === null) return missing();
    if (route !== 'function') {
      // Admins see internal functions too (as `npx convex run` relies on); others do not.
      if (func.isInternal && auth.kind !== 'admin') return missing();
      if (type !== route) return failure(`Trying to execute ${parsedPath.canonical} as ${UDF_TYPE_NAMES[route]}, but it is defined as ${UDF_TYPE_NAMES[type]}.`);
    }

    const rawArgs = Array.isArray(body.args) ? body.args[0] : (body.args ?? {});
    let args: Value;
    try {
      args = jsonToConvex(rawArgs as never);
    } catch (error) {
      return { status: 400, body: { code: 'BadConvexValue', message: (error as Error).message }, ran: false };
    }
    if (!isPlainObject(args)) return failure(`The arguments to a Convex function must be an object. Received: ${showValue(args)}`);
    const argsProblem = valueLimitProblem(args);
    if (argsProblem !== null) return failure(`ArgumentValidationError: ${argsProblem}`);
    try {
      check(JSON.parse(func.exportArgs()) as ValidatorJson, args, '');
    } catch (error) {
      if (error instanceof ValidationFailure) return failure(`ArgumentValidationError: ${error.message}`);
      throw error;
    }

    const udfPath = parsedPath.stripped.includes(':') ? parsedPath.stripped : `${parsedPath.stripped}:default`;
    const accessor = (auth.kind === 'user' ? t.app.withIdentity(auth.identity as never) : auth.kind === 'admin' && auth.actingAs ? t.app.withIdentity(auth.actingAs as never) : t.app) as unknown as Record<
      string,
      (path: { componentPath: string; udfPath: string }, args: unknown) => Promise<unknown>
    >;
    const run = () => accessor[`${type}FromPath`]!({ componentPath, udfPath }, args);
    try {
      const value = (await logCapture.run(logLines, run)) ?? null;
      stats.ran.set(parsedPath.stripped, (stats.ran.get(parsedPath.stripped) ?? 0) + 1);
      const resultProblem = valueLimitProblem(value as Value);
      if (resultProblem !== null) {
        // The function ran (a mutation committed) but its value cannot cross the wire.
        return { ...failure(`Uncaught Error: the value ${parsedPath.stripped} returned is not a valid Convex value: ${resultProblem}`), ran: true };
      }
      return { status: 200, body: { status: 'success', value: convexToJson(value as Value), logLines }, ran: true };
    } catch (error) {
      const thrown = error as Error & { data?: unknown };
      if (thrown !== null && typeof thrown === 'object' && Symbol.for('ConvexError') in thrown) {
        return failure(`Uncaught ConvexError: ${thrown.message}`, convexToJson((thrown.data ?? null) as Value));
      }
      const name = thrown instanceof Error && thrown.name && thrown.name !== 'Error' ? thrown.name : 'Error';
      return failure(`Uncaught ${name}: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
    }
  };

  /** The kind of the function an `/api/function` body names (a query when it names none). */
  const kindOf = async (body: { path?: unknown; componentPath?: unknown }): Promise<Endpoint> => {
    const parsed = typeof body.path === 'string' ? parseFunctionPath(body.path) : null;
    if (parsed === null) return 'query';
    const inComponent = typeof body.componentPath === 'string' && body.componentPath !== '';
    if (inComponent && body.componentPath !== mountedAt) return 'query';
    const module = await (inComponent ? loadComponent : loadApp)(parsed.module).catch(() => null);
    const func = module?.[parsed.name] as RegisteredFunction | undefined;
    return (func && typeOf(func)) ?? 'query';
  };

  const stalled = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    stats.requests++;
    const route = /^\/api\/(query|mutation|action|function)\/?$/.exec((request.url ?? '').split('?')[0]!);
    if (!route) {
      text(response, 404, 'No matching routes found');
      return;
    }
    if (request.method !== 'POST') {
      text(response, 405, 'Method Not Allowed');
      return;
    }
    const routeName = route[1] as Endpoint | 'function';
    const raw = await readBody(request);
    let body: { path?: unknown; args?: unknown; format?: unknown; componentPath?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8')) as typeof body;
      if (body === null || typeof body !== 'object') throw new Error('not an object');
    } catch (error) {
      json(response, 400, { code: 'BadJsonBody', message: `Failed to deserialize the JSON body: ${(error as Error).message}` });
      return;
    }
    const path = typeof body.path === 'string' ? body.path.replace(/\.js:/, ':') : '';
    // Fault rules and call records speak of the function's own kind, whichever route called it.
    const endpoint = routeName === 'function' ? await kindOf(body) : routeName;
    const cap = plan?.maxFaultsPerRequest;
    let fault = chooseFault(endpoint, path);
    if (fault !== null && cap !== undefined) {
      const requestKey = createHash('sha256').update(endpoint).update('\n').update(raw).digest('hex');
      const seen = faultsPerRequest.get(requestKey) ?? 0;
      if (seen >= cap) fault = null;
      else faultsPerRequest.set(requestKey, seen + 1);
    }
    if (fault !== null) stats.faults.set(fault, (stats.faults.get(fault) ?? 0) + 1);
    const record = (call: Omit<LoopbackCall, 'endpoint' | 'path' | 'fault'>) => {
      if (recordCalls) stats.calls.push({ endpoint, path, fault, ...call });
    };
    const delay = latency();
    if (delay > 0) await sleep(delay);

    switch (fault) {
      case 'reset':
        record({ ran: false, status: 'reset', identity: 'refused' });
        request.socket.destroy();
        return;
      case 'http-500':
        record({ ran: false, status: 500, identity: 'refused' });
        text(response, 500, 'Internal Server Error');
        return;
      case 'http-502':
        record({ ran: false, status: 502, identity: 'refused' });
        text(response, 502, '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>', 'text/html');
        return;
      case 'http-503':
        record({ ran: false, status: 503, identity: 'refused' });
        json(response, 503, { code: 'ServiceUnavailable', message: 'The deployment is temporarily unavailable, please try again.' });
        return;
      case 'http-429':
        record({ ran: false, status: 429, identity: 'refused' });
        json(response, 429, { code: 'TooManyRequests', message: 'Too many concurrent requests to this deployment.' });
        return;
      case 'stall':
        record({ ran: false, status: 'stalled', identity: 'refused' });
        stalled.add(response);
        response.on('close', () => stalled.delete(response));
        return;
      case 'stall-body':
        record({ ran: false, status: 'stalled', identity: 'refused' });
        stalled.add(response);
        response.on('close', () => stalled.delete(response));
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': 4096 });
        response.write('{"status":"success","value":');
        return;
      case 'bad-key':
        record({ ran: false, status: 403, identity: 'refused' });
        json(response, 403, { code: 'BadDeployKey', message: `The provided deploy key was invalid for deployment '${deployment}'. Double check that the environment this key was generated for matches the desired deployment.` });
        return;
      case 'down':
        record({ ran: false, status: 'reset', identity: 'refused' });
        void controls.down();
        return;
      default:
        break;
    }

    const auth = authenticate(request.headers.authorization);
    if (auth.kind === 'refused') {
      record({ ran: false, status: auth.status, identity: 'refused' });
      json(response, auth.status, { code: auth.code, message: auth.message });
      return;
    }
    if (routeName === 'function' && auth.kind !== 'admin') {
      // /api/function (any function, components included) is for admins only.
      record({ ran: false, status: 403, identity: 'refused' });
      json(response, 403, {
        code: 'BadDeployKey',
        message: 'The provided deploy key was invalid for this deployment. Double check that the environment this key was generated for matches the desired deployment.',
      });
      return;
    }
    if (raw.length > MAX_ARGS_BYTES) {
      record({ ran: false, status: STATUS_UDF_FAILED, identity: auth.kind });
      json(response, STATUS_UDF_FAILED, {
        status: 'error',
        errorMessage: `[Request ID: ${randomBytes(8).toString('hex')}] Server Error\nArguments for ${path} are too large (actual: ${raw.length} bytes, limit: ${MAX_ARGS_BYTES} bytes).`,
        logLines: [],
      });
      return;
    }
    const requestId = randomBytes(8).toString('hex');
    const outcome = await execute(routeName, body, auth, requestId, fault === 'missing-function');
    const identity = auth.kind;
    if (outcome.ran && (fault === 'reset-after-commit' || fault === 'stall-after-commit' || fault === '502-after-commit')) {
      if (endpoint === 'mutation') stats.lostAfterCommit++;
      if (fault === 'reset-after-commit') {
        record({ ran: true, status: 'reset', identity });
        request.socket.destroy();
      } else if (fault === 'stall-after-commit') {
        record({ ran: true, status: 'stalled', identity });
        stalled.add(response);
        response.on('close', () => stalled.delete(response));
      } else {
        record({ ran: true, status: 502, identity });
        text(response, 502, 'Bad Gateway');
      }
      return;
    }
    record({ ran: outcome.ran, status: outcome.status, identity });
    json(response, outcome.status, outcome.body);
  };

  let server: Server = createServer();
  let port = 0;
  const listen = async (): Promise<void> => {
    server = createServer((request, response) => {
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) json(response, 500, { code: 'InternalServerError', message: `loopback: ${(error as Error).message}` });
        else response.destroy();
      });
    });
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as AddressInfo).port;
  };
  let listening = false;
  const controls = {
    down: async (): Promise<void> => {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const response of stalled) response.destroy();
      stalled.clear();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
    },
    up: async (): Promise<void> => {
      if (listening) return;
      await listen();
      listening = true;
    },
  };
  await controls.up();

  const userToken = (subject: string, claims: Record<string, unknown> & { expiresInSeconds?: number } = {}): string => {
    const { expiresInSeconds, ...extra } = claims;
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(JSON.stringify({ iss: LOOPBACK_ISSUER, aud: 'convex', sub: subject, iat: now, exp: now + (expiresInSeconds ?? 3600), ...extra }));
    const signature = base64url(createHmac('sha256', jwtSecret).update(`${header}.${payload}`).digest());
    return `${header}.${payload}.${signature}`;
  };

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    adminKey,
    deployment,
    t,
    app: t.app,
    stats,
    setFaults,
    userToken,
    down: controls.down,
    up: controls.up,
    // convex-test does not enforce the per-document limits a deployment does (1 MiB, 8,192 elements,
    // 1,024 fields): every test's deployment is checked when its server closes.
    close: async () => {
      await controls.down();
      if (mountedAt !== null) await assertDocumentLimits(t);
    },
  };
}
