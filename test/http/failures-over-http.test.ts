// Permanent failures on the production path (`agg --url … --admin-key …` over HTTP): a wrong key, a
// missing function, a deployment of another version, an unreachable or stalled deployment. Each ends
// at once with one line naming the cause and the fix, exit 3, and a resumable run where work had
// started; the deploy key appears nowhere.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { internalMutation, internalQuery } from '../../src/component/_generated/server.js';
import * as recordsModule from '../../src/component/records.js';
import { generateUsers } from '../../fixtures/generator.js';
import { builtCli } from '../support/built-cli.js';
import type { CliRun } from '../support/cli.js';
import { convexModules } from '../support/convex-modules.js';
import type { Fault } from '../support/loopback-convex.js';
import { type LoopbackHarness, capturedText, keyLeaks, snapshotDiff, startHarness } from '../support/loopback-harness.js';

const USERS = [...generateUsers({ users: 5, records: 20, seed: 'http-failures' })];
const TYPES = ['--type', 'kpi', '--type', 'monthly_trend'];
const NOW = Date.parse('2025-07-01T00:00:00.000Z');

const harnesses: LoopbackHarness[] = [];
const extraKeys: string[] = [];
async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<LoopbackHarness> {
  const h = await startHarness(options);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses) {
    const places = await capturedText(h);
    for (const key of [h.server.adminKey, ...extraKeys]) expect(keyLeaks(key, places)).toEqual([]);
  }
  extraKeys.length = 0;
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

/** What a run wrote to stderr besides the line saying where it works and the progress lines ("label: 2/5 users …"). */
function errorLines(run: CliRun): string[] {
  return run.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('agg: using the ') && !/^[^:]+: \d[\d,]*(\/[\d,]+)? \w/.test(line));
}

function expectOneLineFailure(run: CliRun, message: RegExp): void {
  expect(run.code, run.stderr).toBe(3);
  const lines = errorLines(run);
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const KEY_FIX = /check CONVEX_DEPLOY_KEY or --admin-key$/;

describe('a wrong deploy key', () => {
  it.each([
    [['users']],
    [['import', 'records.jsonl', '--user', 'u1']],
    [['backfill', '--all']],
    [['validate', '--all']],
    [['runs']],
    [['rollout', '--percent', '10']],
    [['cleanup']],
    [['archive', '--list']],
  ])('agg %j ends at once with exit 3 and one line naming the key, which is printed nowhere', async (args) => {
    const h = await harness();
    await h.seedUsers(USERS.slice(0, 1));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${h.cwd}/records.jsonl`, '{"id":"a","watchedAt":null}\n');
    const wrongKey = `dev:${h.server.deployment}|${'f'.repeat(48)}`;
    extraKeys.push(wrongKey);
    for (const keyVia of ['flag', 'env', 'dotenv'] as const) {
      const run = await h.agg(args.map((arg) => (arg === 'records.jsonl' ? `${h.cwd}/${arg}` : arg)), { adminKey: wrongKey, keyVia });
      expectOneLineFailure(run, new RegExp(`^agg: store error: the deployment at ${h.server.url} refused the admin key \\(BadDeployKey\\); ${KEY_FIX.source}`));
    }
    // Nothing ran: no function was reached.
    expect(h.server.stats.ran.size).toBe(0);
  });
});

describe('a missing function or a deployment of another version', () => {
  it('a deployment without validations:put: validate stops at the first user, and resumes once deployed', async () => {
    let deployed = false;
    const validations = convexModules['/component/validations.ts']!;
    const h = await harness({ modules: { ...convexModules, '/component/validations.ts': async () => (deployed ? validations() : {}) } });
    await h.seedUsers(USERS);
    expect((await h.agg(['backfill', '--all', ...TYPES])).code).toBe(0);
    const run = await h.agg(['validate', '--all', ...TYPES, '--concurrency', '1']);
    expectOneLineFailure(run, /^agg: the deployment's agg component has no function validations:put: it runs another version of agg; install this version in the app \(npm install agg\) and deploy it \(npx convex deploy\) \(progress saved: agg validate --resume va-\S+\)$/);
    const [failed] = await h.store().listRuns(1, 'validate');
    expect(failed).toMatchObject({ status: 'failed' });
    deployed = true;
    const resumed = await h.agg(['validate', '--resume', failed!.runId, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: failed!.runId, status: 'succeeded' });
    expect(await h.store().getValidations(USERS.map((u) => u.userId))).toHaveLength(USERS.length);
  });

  it.each<[string, Fault, RegExp]>([
    ['a function removed mid-run', 'missing-function', /^agg: the deployment's agg component has no function aggregations:upsert: .*\(progress saved: agg backfill --resume (bf-\S+)\)$/],
    ['the key revoked mid-run', 'bad-key', /^agg: the deployment at \S+ refused the admin key \(BadDeployKey\); check CONVEX_DEPLOY_KEY or --admin-key \(progress saved: agg backfill --resume (bf-\S+)\)$/],
  ])('%s: backfill stops with exit 3 and a checkpoint; --resume finishes without redoing users', async (_label, fault, message) => {
    const clean = await harness();
    const h = await harness({ faults: { rules: [{ path: 'aggregations:upsert', after: 2, fault }] } });
    for (const x of [clean, h]) await x.seedUsers(USERS);
    expect((await clean.agg(['backfill', '--all', ...TYPES])).code).toBe(0);
    const stopped = await h.agg(['backfill', '--all', ...TYPES, '--concurrency', '1']);
    expectOneLineFailure(stopped, message);
    const runId = message.exec(errorLines(stopped)[0]!)![1]!;
    const run = await h.store().getRun(runId);
    const done = (run!.counts.usersDone ?? 0) as number;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(USERS.length);
    // The deployment is fixed (the function deployed again, the key restored); the lease of the dead
    // run has expired by the time the operator resumes.
    h.server.setFaults(null);
    const later = () => NOW + 3 * 60_000;
    const resumed = await h.agg(['backfill', '--resume', runId, '--json'], { now: later });
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary).toMatchObject({ runId, status: 'succeeded', users: { total: USERS.length, done: USERS.length, failed: 0 } });
    // Counts carry over from the first part; a user done twice would show up as 36 unchanged results.
    expect(summary).toMatchObject({ written: USERS.length * 36, unchanged: 0 });
    const data = { skip: ['agg_runs', 'agg_leases'], omit: ['computedAt', 'expiresAt'] };
    expect(snapshotDiff(await h.snapshot(data), await clean.snapshot(data))).toEqual([]);
  });

  it('a deployment whose records:putBatch takes other arguments: import refuses at once (schema mismatch)', async () => {
    const olderRecords = { ...recordsModule, putBatch: internalMutation({ args: { userId: v.string(), rows: v.array(v.any()) }, handler: async () => ({ inserted: 0, updated: 0, unchanged: 0 }) }) };
    const h = await harness({ modules: { ...convexModules, '/component/records.ts': async () => olderRecords } });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${h.cwd}/records.jsonl`, '{"id":"a","watchedAt":null}\n');
    const run = await h.agg(['import', `${h.cwd}/records.jsonl`, '--user', 'u1']);
    expectOneLineFailure(run, /^agg: store error: schema mismatch calling records:putBatch: the deployment's agg component is another version than this CLI; install this version in the app \(npm install agg\) and deploy it \(npx convex deploy\)$/);
    expect(await h.server.t.run((ctx) => ctx.db.query('watch_records').collect())).toEqual([]);
  });

  it('a deployment whose records:listUsers answers in another shape: refused at once, nothing written', async () => {
    const olderRecords = {
      ...recordsModule,
      listUsers: internalQuery({ args: { paginationOpts: paginationOptsValidator }, handler: async () => ({ page: [{ user: 'u1', records: 3 }], isDone: true, continueCursor: '' }) }),
    };
    const h = await harness({ modules: { ...convexModules, '/component/records.ts': async () => olderRecords } });
    await h.seedUsers(USERS.slice(0, 2));
    const run = await h.agg(['backfill', '--all', ...TYPES]);
    expectOneLineFailure(run, /^agg: store error: unexpected answer from records:listUsers \(page\.0\.userId: .*\); the deployment's agg component may be another version than this CLI: install this version in the app \(npm install agg\) and deploy it$/);
    expect(await h.server.t.run((ctx) => ctx.db.query('precomputed_aggregations').collect())).toEqual([]);
  });
});

describe('an unreachable or stalled deployment', () => {
  it('nothing listening: one line naming the URL and the fix, exit 3', async () => {
    const h = await harness();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await h.agg(['users'], { url, retries: 2 });
    expectOneLineFailure(run, new RegExp(`^agg: store error: cannot connect to ${url} \\(connection refused\\); check --url / CONVEX_URL and that the deployment is up \\(gave up after 3 attempts\\)$`));
  });

  it('a deployment that goes away mid-run: exit 3, and --resume finishes once it is back', async () => {
    const clean = await harness();
    const h = await harness({ faults: { rules: [{ path: 'aggregations:upsert', after: 3, fault: 'down' }] } });
    for (const x of [clean, h]) await x.seedUsers(USERS);
    expect((await clean.agg(['backfill', '--all', ...TYPES])).code).toBe(0);
    const stopped = await h.agg(['backfill', '--all', ...TYPES, '--concurrency', '1'], { retries: 2 });
    expect(stopped.code, stopped.stderr).toBe(3);
    expect(errorLines(stopped)).toHaveLength(1);
    expect(errorLines(stopped)[0]).toMatch(new RegExp(`^agg: (store error: )?(cannot connect to ${h.server.url} \\(connection refused\\)|network error talking to ${h.server.url} \\(\\w+\\)); check .*\\(gave up after 3 attempts\\)`));
    h.server.setFaults(null);
    await h.server.up();
    // The run could not even record its failure: it is still "running" in the ledger, its lease expires.
    const [run] = await h.store().listRuns(1, 'backfill');
    expect(run).toMatchObject({ status: 'running' });
    expect(run!.counts.usersDone).toBeGreaterThan(0);
    const resumed = await h.agg(['backfill', '--resume', 'last', '--json'], { now: () => NOW + 3 * 60_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: run!.runId, status: 'succeeded', users: { done: USERS.length } });
    const data = { skip: ['agg_runs', 'agg_leases'], omit: ['computedAt', 'expiresAt'] };
    expect(snapshotDiff(await h.snapshot(data), await clean.snapshot(data))).toEqual([]);
  });

  it('a deployment that accepts connections and never answers: the per-call timeout ends it', async () => {
    const h = await harness({ faults: { rules: [{ fault: 'stall' }] } });
    const run = await h.agg(['users'], { timeout: '200ms', retries: 1 });
    expectOneLineFailure(run, new RegExp(`^agg: store error: no answer from ${h.server.url} within 200 ms \\(the deployment or the network is stalled; raise --timeout if calls are only slow\\) \\(gave up after 2 attempts\\)$`));
  });
});

describe('the deploy key is never printed or stored', () => {
  it('not in the ledger (arguments redacted), not in --debug output, not in any output, by flag, environment or .env.local', async () => {
    const h = await harness({ faults: { seed: 'leak', rules: [{ rate: 0.1, fault: ['http-502', 'reset'] }], maxFaultsPerRequest: 3 } });
    await h.seedUsers(USERS.slice(0, 2));
    for (const keyVia of ['flag', 'env', 'dotenv'] as const) {
      expect((await h.agg(['backfill', '--all', ...TYPES, '--force', '--json'], { keyVia })).code).toBe(0);
    }
    expect((await h.agg([`--admin-key=${h.server.adminKey}`, 'validate', ...TYPES, '--json'], { keyVia: 'env' })).code).toBe(0);
    const runs = await h.store().listRuns(10);
    expect(runs).toHaveLength(4);
    expect(runs.map((r) => r.args.join(' ')).join('\n')).toMatch(/--admin-key \[redacted\]/);
    expect(runs.map((r) => r.args.join(' ')).join('\n')).toMatch(/--admin-key=\[redacted\]/);
    // A failure with --debug prints the stack trace ("crash report"): still no key.
    const wrong = `dev:${h.server.deployment}|${'9'.repeat(48)}`;
    extraKeys.push(wrong);
    const debug = await h.agg(['--debug', 'backfill', '--all'], { adminKey: wrong });
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/^\s+at /m);
    expect(debug.stderr).not.toContain(wrong.split('|')[1]);
    // agg runs prints the ledger: redacted there too.
    expect((await h.agg(['runs', '--json'])).stdout).toContain('[redacted]');
  });

  it('a production key needs --prod; refused without it, and not printed', async () => {
    const key = `prod:loopback-prod|${'a1'.repeat(24)}`;
    const h = await harness({ adminKey: key, deployment: 'loopback-prod' });
    const refused = await h.agg(['users']);
    expect(refused.code).toBe(2);
    expect(errorLines(refused)).toEqual(['agg: the deploy key is for the production deployment loopback-prod; pass --prod to confirm']);
    const confirmed = await h.agg(['--prod', 'users']);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(confirmed.stderr).toMatch(/\[production\]/);
  });
});

describe('as a real process', () => {
  let bin = '';
  beforeAll(() => {
    bin = builtCli();
  }, 200_000);

  function agg(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  it('exits 3 with one line, no stack trace and no key: wrong key, unreachable deployment, missing function', async () => {
    const h = await harness({ faults: { rules: [{ path: 'records:listUsers', fault: 'missing-function' }] } });
    const wrong = `dev:${h.server.deployment}|${'e'.repeat(48)}`;
    const runs = [
      await agg(['--url', h.server.url, 'users'], { CONVEX_DEPLOY_KEY: wrong }),
      await agg(['--url', `http://127.0.0.1:${await closedPort()}`, '--admin-key', h.server.adminKey, 'users']),
      await agg(['--url', h.server.url, '--admin-key', h.server.adminKey, 'backfill', '--all']),
    ];
    const messages = [/refused the admin key \(BadDeployKey\); check CONVEX_DEPLOY_KEY or --admin-key$/, /\(connection refused\); check --url \/ CONVEX_URL and that the deployment is up \(gave up after 6 attempts\)$/, /agg component has no function records:listUsers: it runs another version of agg/];
    runs.forEach((run, i) => {
      expectOneLineFailure(run, messages[i]!);
      for (const key of [wrong, h.server.adminKey]) expect(keyLeaks(key, { stdout: run.stdout, stderr: run.stderr })).toEqual([]);
    });
  }, 60_000);
});
