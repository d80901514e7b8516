// The loopback deployment itself: that ConvexHttpClient sees from it what it would see from a real
// deployment (answers, errors, auth, identities, log lines), and that agg's HTTP caller classifies
// each answer and each injected fault as it would in production.
import { ConvexHttpClient } from 'convex/browser';
import { actionGeneric, defineSchema, defineTable, internalQueryGeneric, makeFunctionReference, mutationGeneric, queryGeneric } from 'convex/server';
import { ConvexError, v } from 'convex/values';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpCaller } from '../../src/store/convex/http-caller.js';
import { StoreError } from '../../src/store/errors.js';
import { type Fault, type LoopbackConvex, LOOPBACK_ISSUER, TRANSIENT_FAULTS, startLoopbackConvex } from '../support/loopback-convex.js';

const probe = {
  shout: mutationGeneric({
    args: { text: v.string() },
    handler: async (ctx, { text }) => {
      console.log('shouting', text);
      console.warn({ loud: true });
      await ctx.db.insert('shouts', { text });
      if (text === 'boom') throw new Error('plain failure');
      if (text !== 'quiet') throw new ConvexError({ code: 'TOO_LOUD', text, level: 11 });
      return { heard: text };
    },
  }),
  whoami: queryGeneric({ args: {}, handler: async (ctx) => ctx.auth.getUserIdentity() }),
  whoamiViaAction: actionGeneric({ args: {}, handler: async (ctx): Promise<unknown> => ({ viaAction: await ctx.runQuery(makeFunctionReference<'query'>('probe:whoami'), {}) }) }),
  secret: internalQueryGeneric({ args: {}, handler: async () => 'internal' }),
  wide: queryGeneric({ args: { n: v.number() }, handler: async (_ctx, { n }) => Array.from({ length: n }, (_, i) => i) }),
  deep: queryGeneric({ args: { n: v.number() }, handler: async (_ctx, { n }) => Array.from({ length: n }).reduce<unknown>((inner) => ({ inner }), 0) }),
  bigint: queryGeneric({ args: { n: v.int64() }, handler: async (_ctx, { n }) => ({ doubled: n * 2n, bytes: new Uint8Array([1, 2, 3]).buffer }) }),
};

/** The app agg is installed in: its own table and functions, beside the component's. */
const probeApp = {
  schema: defineSchema({ shouts: defineTable({ text: v.string() }) }),
  modules: { '/app/_generated/api.js': async () => ({}), '/app/probe.ts': async () => probe } as Record<string, () => Promise<unknown>>,
};

const servers: LoopbackConvex[] = [];
async function start(options: Parameters<typeof startLoopbackConvex>[0] = {}): Promise<LoopbackConvex> {
  const server = await startLoopbackConvex({ app: probeApp, ...options });
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function client(server: LoopbackConvex, auth: { admin?: string; token?: string } = {}, logs?: string[]): ConvexHttpClient {
  const logger = logs ? { log: (...args: unknown[]) => logs.push(args.map(String).join(' ')), warn: () => undefined, error: (...args: unknown[]) => logs.push(args.map(String).join(' ')), logVerbose: () => undefined } : false;
  const c = new ConvexHttpClient(server.url, { logger, skipConvexDeploymentUrlCheck: true });
  if (auth.admin !== undefined) (c as unknown as { setAdminAuth(token: string): void }).setAdminAuth(auth.admin);
  if (auth.token !== undefined) c.setAuth(auth.token);
  return c;
}
const query = (name: string) => makeFunctionReference<'query'>(name);
const mutation = (name: string) => makeFunctionReference<'mutation'>(name);

/** Any function by path, in a component or the app (`/api/function`, as `npx convex run --component`). */
function runIn(c: ConvexHttpClient, componentPath: string | undefined, name: string, args: Record<string, unknown>): Promise<unknown> {
  return (c as unknown as { function(ref: unknown, componentPath: string | undefined, args: unknown): Promise<unknown> }).function(makeFunctionReference(name), componentPath, args);
}

async function rawPost(server: LoopbackConvex, endpoint: string, body: unknown, authorization?: string): Promise<{ status: number; body: Record<string, unknown> | string }> {
  const response = await fetch(`${server.url}/api/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: text };
  }
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

const change = { changeId: 'c1', changeType: 'import', at: '2025-01-01T00:00:00.000Z' } as const;
const records = [
  { recordId: 'a', watchedAt: '2025-01-01T00:00:00.000Z', videoTitle: 'A' },
  { recordId: 'b', watchedAt: null },
];

describe('the loopback deployment, through ConvexHttpClient', () => {
  it('runs the component\'s functions, internal ones too, for the admin key through /api/function, in convex_encoded_json both ways', async () => {
    const server = await start();
    const admin = client(server, { admin: server.adminKey });
    expect(await runIn(admin, 'agg', 'records:putBatch', { userId: 'u1', records, change })).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
    const page = (await runIn(admin, 'agg', 'records:page', { userId: 'u1', paginationOpts: { numItems: 10, cursor: null } })) as { page: Array<{ recordId: string }> };
    expect(page.page.map((r) => r.recordId).sort()).toEqual(['a', 'b']);
    // The records are the component's: the app's own tables hold nothing of them.
    expect(await server.app.run((ctx) => ctx.db.query('shouts' as never).collect())).toEqual([]);
    // int64 and bytes travel in Convex's JSON encoding ({"$integer": …}, {"$bytes": …}).
    const raw = await rawPost(server, 'query', { path: 'probe:bigint', format: 'convex_encoded_json', args: [{ n: { $integer: Buffer.from(new BigInt64Array([21n]).buffer).toString('base64') } }] }, `Convex ${server.adminKey}`);
    expect(raw.status).toBe(200);
    expect(raw.body).toMatchObject({ status: 'success', value: { doubled: { $integer: Buffer.from(new BigInt64Array([42n]).buffer).toString('base64') }, bytes: { $bytes: 'AQID' } } });
    expect(await admin.query(query('probe:bigint'), { n: 5n })).toMatchObject({ doubled: 10n });
    // The mounted components, as the Convex CLI resolves --component.
    expect(await runIn(admin, undefined, '_system/frontend/components:list', {})).toEqual([
      expect.objectContaining({ path: '', state: 'active' }),
      expect.objectContaining({ path: 'agg', name: 'agg', state: 'active' }),
    ]);
  });

  it('fails on close when a stored document breaks the 1 MiB document limit, which convex-test does not enforce', async () => {
    const server = await startLoopbackConvex({ app: probeApp });
    const admin = client(server, { admin: server.adminKey });
    const big = 'x'.repeat(600_000);
    // Each argument string is within the limits; the stored record is not.
    await runIn(admin, 'agg', 'records:putBatch', { userId: 'u1', records: [{ recordId: 'big', watchedAt: null, videoTitle: big, channelTitle: big }], change });
    await expect(server.close()).rejects.toThrow(/watch_records document .* is \d+ bytes, over Convex's 1 MiB limit/);
    // Within the limit, close is quiet.
    const fine = await start();
    await runIn(client(fine, { admin: fine.adminKey }), 'agg', 'records:putBatch', { userId: 'u1', records, change });
    await expect(fine.close()).resolves.toBeUndefined();
  });

  it('keeps the component out of reach but for admins: not through the app\'s routes, not through /api/function without the key', async () => {
    const server = await start();
    // /api/query and /api/mutation reach the app's public functions only.
    expect((await failure(client(server).query(query('serving:isRolledOut'), { userId: 'u1' }))).message).toMatch(/Could not find public function for 'serving:isRolledOut'/);
    expect((await failure(client(server, { admin: server.adminKey }).mutation(mutation('records:putBatch'), { userId: 'u1', records, change }))).message).toMatch(
      /Could not find public function for 'records:putBatch'/,
    );
    // /api/function needs the admin key, with or without a user's token.
    for (const authorization of [undefined, `Bearer ${server.userToken('u1')}`]) {
      const raw = await rawPost(server, 'function', { componentPath: 'agg', path: 'serving:isRolledOut', format: 'convex_encoded_json', args: { userId: 'u1' } }, authorization);
      expect(raw).toMatchObject({ status: 403, body: { code: 'BadDeployKey', message: expect.stringContaining('The provided deploy key was invalid for this deployment') } });
    }
    // A component path the deployment does not know is the backend's internal error.
    const unknown = await rawPost(server, 'function', { componentPath: 'aggs', path: 'records:listUsers', format: 'convex_encoded_json', args: { paginationOpts: { numItems: 1, cursor: null } } }, `Convex ${server.adminKey}`);
    expect(unknown).toMatchObject({ status: 500, body: { code: 'InternalServerError' } });
    expect(server.stats.ran.size).toBe(0);
  });

  it('names the fix when the deployment has no agg component, or agg is mounted under another name', async () => {
    const bare = await start({ componentPath: null });
    const error = await failure(createHttpCaller({ url: bare.url, adminKey: bare.adminKey, timeoutMs: 5000, componentPath: 'agg' }).query('records:listUsers', { paginationOpts: { numItems: 1, cursor: null } }));
    expect(error).toMatchObject({ kind: 'permanent' });
    expect(error.message).toBe(
      `the deployment at ${bare.url} has no component "agg" (it has no components): add \`app.use(agg)\` (import agg from "agg/convex.config") to convex/convex.config.ts and deploy (npx convex deploy), or pass --component NAME`,
    );
    const renamed = await start({ componentPath: 'analytics' });
    expect((await failure(createHttpCaller({ url: renamed.url, adminKey: renamed.adminKey, timeoutMs: 5000, componentPath: 'agg' }).query('records:getUser', { userId: 'u' }))).message).toMatch(
      /has no component "agg" \(its components: analytics\)/,
    );
    expect(await createHttpCaller({ url: renamed.url, adminKey: renamed.adminKey, timeoutMs: 5000, componentPath: 'analytics' }).query('records:getUser', { userId: 'u' })).toBeNull();
  });

  it('refuses a wrong deploy key before anything runs (403 BadDeployKey), which agg reports as a permanent key problem', async () => {
    const server = await start();
    const wrongKey = `dev:${server.deployment}|${'0'.repeat(48)}`;
    const raw = await rawPost(server, 'mutation', { path: 'records:putBatch', format: 'convex_encoded_json', args: [{ userId: 'u1', records, change }] }, `Convex ${wrongKey}`);
    expect(raw.status).toBe(403);
    expect(raw.body).toMatchObject({ code: 'BadDeployKey', message: expect.stringContaining(`invalid for deployment '${server.deployment}'`) });
    expect(server.stats.ran.size).toBe(0);
    const error = await failure(createHttpCaller({ url: server.url, adminKey: wrongKey, timeoutMs: 5000, componentPath: 'agg' }).query('records:listUsers', { paginationOpts: { numItems: 1, cursor: null } }));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ kind: 'permanent', scope: 'store' });
    expect(error.message).toBe(`the deployment at ${server.url} refused the admin key (BadDeployKey); check CONVEX_DEPLOY_KEY or --admin-key`);
  });

  it('hides internal functions from callers without the key, as missing functions', async () => {
    const server = await start();
    const anonymous = client(server);
    const error = await failure(anonymous.query(query('probe:secret'), {}));
    expect(error.message).toMatch(/^\[Request ID: [0-9a-f]{16}\] Server Error\nCould not find public function for 'probe:secret'\. Did you forget to run `npx convex dev` or `npx convex deploy`\?$/);
    expect(await client(server, { admin: server.adminKey }).query(query('probe:secret'), {})).toBe('internal');
  });

  it('answers a missing function, a function of another kind and bad arguments as a deployment does; agg names the fix', async () => {
    const server = await start();
    const admin = client(server, { admin: server.adminKey });
    const agg = createHttpCaller({ url: server.url, adminKey: server.adminKey, timeoutMs: 5000, componentPath: 'agg' });

    expect((await failure(admin.query(query('probe:nothing'), {}))).message).toMatch(/Could not find public function for 'probe:nothing'/);
    expect((await failure(runIn(admin, 'agg', 'records:nothing', {}))).message).toMatch(/\nCould not find function for 'records:nothing'\. Did you forget to run `npx convex dev`\?$/);
    expect(await failure(agg.query('records:nothing', {}))).toMatchObject({
      kind: 'permanent',
      scope: 'store',
      message: "the deployment's agg component has no function records:nothing: it runs another version of agg; install this version in the app (npm install agg) and deploy it (npx convex deploy)",
    });

    expect((await failure(admin.query(query('probe:shout'), { text: 'x' }))).message).toMatch(/\nTrying to execute probe\.js:shout as Query, but it is defined as Mutation\.$/);

    const invalid = await failure(runIn(admin, 'agg', 'records:putBatch', { userId: 'u1', records: [{ recordId: 7, watchedAt: null }], change }));
    expect(invalid.message).toMatch(/\nArgumentValidationError: Value does not match validator\.\nPath: \.records\[0\]\.recordId\nValue: 7\.0\nValidator: v\.string\(\)$/);
    const extra = await failure(runIn(admin, 'agg', 'records:putBatch', { userId: 'u1', records, change, surprise: true }));
    expect(extra.message).toMatch(/ArgumentValidationError: Object contains extra field `surprise` that is not in the validator\./);
    expect(await failure(agg.mutation('records:putBatch', { userId: 'u1' }))).toMatchObject({ kind: 'permanent', scope: 'store', message: expect.stringMatching(/^schema mismatch calling records:putBatch: .*npm install agg/) });
    expect(server.stats.ran.size).toBe(0);
  });

  it('refuses arguments and results that break Convex\'s value limits, as a deployment does', async () => {
    const server = await start();
    const admin = client(server, { admin: server.adminKey });
    const wide = await failure(runIn(admin, 'agg', 'records:putBatch', { userId: 'u1', records: Array.from({ length: 8193 }, (_, i) => ({ recordId: `r${i}`, watchedAt: null })), change }));
    expect(wide.message).toMatch(/ArgumentValidationError: an array has 8193 elements \(at most 8192\)/);
    expect(await server.t.run((ctx) => ctx.db.query('watch_records').collect())).toEqual([]);
    expect(await admin.query(query('probe:wide'), { n: 8192 })).toHaveLength(8192);
    expect((await failure(admin.query(query('probe:wide'), { n: 8193 }))).message).toMatch(/not a valid Convex value: an array has 8193 elements \(at most 8192\)/);
    expect(await admin.query(query('probe:deep'), { n: 16 })).toBeTruthy();
    expect((await failure(admin.query(query('probe:deep'), { n: 17 }))).message).toMatch(/not a valid Convex value: it is nested more than 16 levels deep/);
  });

  it('gives public functions the identity of the signed-in user, and refuses bad tokens as Convex does', async () => {
    const server = await start();
    expect(await client(server).query(query('probe:whoami'), {})).toBeNull();
    expect(await client(server, { token: server.userToken('u1', { name: 'Ada' }) }).query(query('probe:whoami'), {})).toEqual({
      subject: 'u1',
      issuer: LOOPBACK_ISSUER,
      tokenIdentifier: `${LOOPBACK_ISSUER}|u1`,
      name: 'Ada',
    });

    // Actions (POST /api/action) see the same identity, and pass it on to what they run.
    expect(await client(server, { token: server.userToken('u3') }).action(makeFunctionReference<'action'>('probe:whoamiViaAction'), {})).toMatchObject({ viaAction: { subject: 'u3' } });

    const forged = server.userToken('u1').replace(/\.[^.]+$/, '.AAAA');
    expect((await failure(client(server, { token: forged }).query(query('probe:whoami'), {}))).message).toBe(
      JSON.stringify({ code: 'Unauthenticated', message: "Could not verify OIDC token claim. Check that the token signature is valid and the token hasn't expired." }),
    );
    const expired = server.userToken('u1', { expiresInSeconds: -60 });
    expect((await failure(client(server, { token: expired }).query(query('probe:whoami'), {}))).message).toMatch(/"code":"Unauthenticated"/);
    const other = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'https://elsewhere', aud: 'convex', sub: 'u1', exp: 9e9 })).toString('base64url')}.x`;
    expect((await failure(client(server, { token: other }).query(query('probe:whoami'), {}))).message).toMatch(/"code":"NoAuthProvider"/);
    expect((await failure(client(server, { token: 'not-a-jwt' }).query(query('probe:whoami'), {}))).message).toMatch(/"code":"InvalidAuthHeader"/);
  });

  it('forwards ConvexError data and log lines as the client expects (HTTP 560), and rolls back a failed mutation', async () => {
    const server = await start();
    const logs: string[] = [];
    const admin = client(server, { admin: server.adminKey }, logs);
    const error = await failure(admin.mutation(mutation('probe:shout'), { text: 'hello' }));
    expect(error).toBeInstanceOf(ConvexError);
    expect((error as unknown as { data: unknown }).data).toEqual({ code: 'TOO_LOUD', text: 'hello', level: 11 });
    expect(error.message).toMatch(/^\[Request ID: [0-9a-f]{16}\] Server Error\nUncaught ConvexError: /);
    const plain = await failure(admin.mutation(mutation('probe:shout'), { text: 'boom' }));
    expect(plain).not.toBeInstanceOf(ConvexError);
    expect(plain.message).toMatch(/\nUncaught Error: plain failure$/);
    // Neither failed call wrote anything; a successful one did, and its log lines arrived.
    expect(await server.app.run((ctx) => ctx.db.query('shouts' as never).collect())).toEqual([]);
    expect(await admin.mutation(mutation('probe:shout'), { text: 'quiet' })).toEqual({ heard: 'quiet' });
    expect(await server.app.run((ctx) => ctx.db.query('shouts' as never).collect())).toHaveLength(1);
    expect(logs.some((line) => line.includes('[CONVEX M(probe:shout)] [LOG]') && line.includes("'shouting' 'hello'"))).toBe(true);
    expect(logs.some((line) => line.includes('[WARN]') && line.includes('loud: true'))).toBe(true);
    const raw = await rawPost(server, 'mutation', { path: 'probe:shout', format: 'convex_encoded_json', args: [{ text: 'raw' }] }, `Convex ${server.adminKey}`);
    expect(raw.status).toBe(560);
    expect(raw.body).toMatchObject({ status: 'error', errorData: { code: 'TOO_LOUD', text: 'raw', level: 11 }, logLines: ["[LOG] 'shouting' 'raw'", '[WARN] { loud: true }'] });
    // agg's caller turns a component function's own failure into a per-item error, first line only.
    const oversize = Array.from({ length: 1001 }, (_, i) => ({ id: `r${i}`, watchedAt: null }));
    expect(await failure(createHttpCaller({ url: server.url, adminKey: server.adminKey, timeoutMs: 5000, componentPath: 'agg' }).mutation('ingest:recordWatches', { userId: 'u1', records: oversize }))).toMatchObject({
      kind: 'permanent',
      scope: 'item',
      message: 'ingest:recordWatches failed: agg: 1001 records in one call; at most 1000 per call (split the batch)',
    });
  });

  it('answers other routes, methods, bodies and oversized arguments as a deployment does', async () => {
    const server = await start();
    expect((await fetch(`${server.url}/api/nothing`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${server.url}/api/query`)).status).toBe(405);
    expect(await rawPost(server, 'query', '{not json', `Convex ${server.adminKey}`)).toMatchObject({ status: 400, body: { code: 'BadJsonBody' } });
    const huge = await rawPost(server, 'mutation', { path: 'records:putBatch', format: 'convex_encoded_json', args: [{ userId: 'u', records: [{ recordId: 'x'.repeat(17 * 1024 * 1024), watchedAt: null }], change }] }, `Convex ${server.adminKey}`);
    expect(huge).toMatchObject({ status: 560, body: { status: 'error', errorMessage: expect.stringMatching(/Arguments for records:putBatch are too large/) } });
  });
});

describe('injected faults, as agg sees them', () => {
  const listUsers = { paginationOpts: { numItems: 10, cursor: null } };

  it.each(TRANSIENT_FAULTS.map((fault) => [fault]))('%s is a transient failure; after-commit faults commit first', async (fault: Fault) => {
    const server = await start({ faults: { rules: [{ path: 'records:putBatch', fault, times: 1 }] } });
    const agg = createHttpCaller({ url: server.url, adminKey: server.adminKey, timeoutMs: 400, componentPath: 'agg' });
    const error = await failure(agg.mutation('records:putBatch', { userId: 'u1', records, change }));
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ kind: 'transient' });
    expect(error.message).not.toMatch(/\n/);
    const committed = await server.t.run((ctx) => ctx.db.query('watch_records').collect());
    expect(committed).toHaveLength(fault.endsWith('after-commit') ? 2 : 0);
    expect(server.stats.lostAfterCommit).toBe(fault.endsWith('after-commit') ? 1 : 0);
    // The next call goes through, and a repeated mutation changes nothing more.
    expect(await agg.mutation('records:putBatch', { userId: 'u1', records, change })).toEqual(fault.endsWith('after-commit') ? { inserted: 0, updated: 0, unchanged: 2 } : { inserted: 2, updated: 0, unchanged: 0 });
    expect(await agg.query('records:listUsers', listUsers)).toMatchObject({ page: [{ userId: 'u1', recordCount: 2 }] });
  });

  it('names the fix for a stalled deployment, a refused connection and an overloaded one', async () => {
    const server = await start({ faults: { rules: [{ fault: 'stall', times: 1 }, { fault: 'http-503', times: 1 }] } });
    const agg = createHttpCaller({ url: server.url, adminKey: server.adminKey, timeoutMs: 300, componentPath: 'agg' });
    expect((await failure(agg.query('records:listUsers', listUsers))).message).toBe(
      `no answer from ${server.url} within 300 ms (the deployment or the network is stalled; raise --timeout if calls are only slow)`,
    );
    expect((await failure(agg.query('records:listUsers', listUsers))).message).toBe('the deployment answered HTTP 503 ServiceUnavailable (overloaded, restarting or behind a failing proxy; try again later)');
    await server.down();
    // A kept-alive connection may first fail as a reset (as when a real deployment goes away).
    await agg.query('records:listUsers', listUsers).catch((error: StoreError) => expect(error.kind).toBe('transient'));
    expect(await failure(agg.query('records:listUsers', listUsers))).toMatchObject({
      kind: 'transient',
      message: `cannot connect to ${server.url} (connection refused); check --url / CONVEX_URL and that the deployment is up`,
    });
    await server.up();
    expect(await agg.query('records:listUsers', listUsers)).toMatchObject({ isDone: true });
  });

  it('draws faults from a seeded sequence: the same seed, the same faults', async () => {
    const sequence = async (seed: string): Promise<Array<Fault | null>> => {
      const server = await start({ faults: { seed, rules: [{ rate: 0.3, fault: ['http-500', 'http-502', 'reset'] }] } });
      const agg = createHttpCaller({ url: server.url, adminKey: server.adminKey, timeoutMs: 2000, componentPath: 'agg' });
      for (let i = 0; i < 30; i++) await agg.query('records:listUsers', listUsers).catch(() => undefined);
      return server.stats.calls.map((call) => call.fault);
    };
    const first = await sequence('s1');
    expect(await sequence('s1')).toEqual(first);
    expect(first.filter((f) => f !== null).length).toBeGreaterThan(3);
    expect(first.filter((f) => f !== null).length).toBeLessThan(20);
    expect(await sequence('s2')).not.toEqual(first);
  });

  it('faults one request at most maxFaultsPerRequest times, so a retrying client always gets through', async () => {
    const server = await start({ faults: { rules: [{ path: /^records:/, fault: 'http-503' }], maxFaultsPerRequest: 2 } });
    const agg = createHttpCaller({ url: server.url, adminKey: server.adminKey, timeoutMs: 2000, componentPath: 'agg' });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await agg.query('records:listUsers', listUsers).then(() => 'ok', () => 'fault'));
    // Another request (other arguments) has its own allowance.
    outcomes.push(await agg.query('records:getUser', { userId: 'u' }).then(() => 'ok', () => 'fault'));
    expect(outcomes).toEqual(['fault', 'fault', 'ok', 'ok', 'fault']);
    expect(server.stats.faults.get('http-503')).toBe(3);
  });

  it('applies rules by path, after a number of calls, a number of times', async () => {
    const server = await start({ faults: { rules: [{ path: 'records:listUsers', after: 2, times: 2, fault: 'missing-function' }] } });
    const agg = createHttpCaller({ url: server.url, adminKey: server.adminKey, timeoutMs: 2000, componentPath: 'agg' });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(await agg.query('records:listUsers', listUsers).then(() => 'ok', (error: Error) => error.message.slice(0, 33)));
    await agg.query('records:getUser', { userId: 'u' });
    expect(outcomes).toEqual(['ok', 'ok', "the deployment's agg component ha", "the deployment's agg component ha", 'ok', 'ok']);
    expect(server.stats.faults.get('missing-function')).toBe(2);
  });
});
