// Where the data lives, end to end from the command line: the Convex CLI's files and variables,
// --env-file, the Convex-app guard, and read-only commands that never create a store.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliRun, runAgg } from '../support/cli.js';

const DEV_KEY = 'dev:happy-animal-123|eyJ2MiI6ImNsaS10ZXN0LWRldi1zZWNyZXQifQ==';
const PROD_KEY = 'prod:serious-otter-456|eyJ2MiI6ImNsaS10ZXN0LXByb2Qtc2VjcmV0In0=';
const RECORDS = `${JSON.stringify({ id: 'r1', watchedAt: '2025-06-01T10:00:00.000Z', videoTitle: 'A video', channelTitle: 'A channel' })}\n`;

function workdir(files: Record<string, string> = {}): string {
  const path = mkdtempSync(join(tmpdir(), 'agg-discovery-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text);
  return path;
}

/** stderr without the line that says where agg works. */
function messages(run: CliRun): string[] {
  return run.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('agg: using the '));
}

/** One line on stderr, exit 2, nothing on stdout; a stack trace only with --debug (after that line). */
function expectOneLineUsageError(run: CliRun, message: RegExp, debug = false): void {
  const lines = messages(run);
  if (debug) {
    expect(lines[1]).toMatch(/^UsageError: /);
  } else {
    expect(lines, run.stderr).toHaveLength(1);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }
  expect(lines[0]).toMatch(message);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
}

describe('read-only commands on a store that does not exist', () => {
  const READ_ONLY = [['users'], ['users', '--json'], ['status'], ['status', '--format', 'prometheus'], ['runs'], ['runs', '--json']];

  it.each(READ_ONLY.map((args) => [args.join(' '), args]))('agg %s says there is no store, exits 2 and creates nothing', async (_name, args) => {
    const cwd = workdir();
    const run = await runAgg(args, { cwd });
    expectOneLineUsageError(run, /^agg: no store at \S+ \(nothing imported yet; run agg import FILE --user ID first, or pass --local DIR\)$/);
    expect(messages(run)[0]).toBe(`agg: no store at ${join(cwd, '.agg')} (nothing imported yet; run agg import FILE --user ID first, or pass --local DIR)`);
    expect(existsSync(join(cwd, '.agg'))).toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('does the same for --local DIR, AGG_LOCAL_DIR and an existing directory without agg.db', async () => {
    const cwd = workdir();
    const viaFlag = await runAgg(['--local', 'elsewhere/store', 'users'], { cwd });
    expectOneLineUsageError(viaFlag, new RegExp(`^agg: no store at ${join(cwd, 'elsewhere', 'store')} `));
    expect(existsSync(join(cwd, 'elsewhere'))).toBe(false);

    const viaEnv = await runAgg(['status', '--json'], { cwd, env: { AGG_LOCAL_DIR: join(cwd, 'from-env') } });
    expectOneLineUsageError(viaEnv, /^agg: no store at .*from-env /);
    expect(existsSync(join(cwd, 'from-env'))).toBe(false);

    mkdirSync(join(cwd, 'empty'));
    const emptyDir = await runAgg(['--local', 'empty', 'runs'], { cwd });
    expectOneLineUsageError(emptyDir, /^agg: no store at .*empty /);
    expect(readdirSync(join(cwd, 'empty'))).toEqual([]);
  });

  it('reads the store once something created it, and the other commands still create it', async () => {
    const cwd = workdir({ 'records.jsonl': RECORDS });
    const backfill = await runAgg(['backfill', '--all'], { cwd });
    expect(backfill.code, backfill.stderr).toBe(0);
    expect(existsSync(join(cwd, '.agg', 'agg.db'))).toBe(true);
    const runs = await runAgg(['runs', '--json'], { cwd });
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout).runs).toHaveLength(1);

    const imported = await runAgg(['--local', 'fresh', 'import', join(cwd, 'records.jsonl'), '--user', 'u1'], { cwd });
    expect(imported.code, imported.stderr).toBe(0);
    const users = await runAgg(['--local', 'fresh', 'users', '--json'], { cwd });
    expect(users.code, users.stderr).toBe(0);
    expect(JSON.parse(users.stdout).users).toMatchObject([{ userId: 'u1', recordCount: 1 }]);
  });
});

describe('a Convex app without a deploy key', () => {
  it.each([
    ['a convex/ directory', (cwd: string) => mkdirSync(join(cwd, 'convex')), /this directory is a Convex app \(convex\/ found\)/],
    ['a convex.json', (cwd: string) => writeFileSync(join(cwd, 'convex.json'), '{}\n'), /this directory is a Convex app \(convex\.json found\)/],
    ['VITE_CONVEX_URL in .env.local', (cwd: string) => writeFileSync(join(cwd, '.env.local'), 'VITE_CONVEX_URL=https://happy-animal-123.convex.cloud\n'), /\(VITE_CONVEX_URL in \.env\.local: https:\/\/happy-animal-123\.convex\.cloud\)/],
  ] as const)('is refused with %s, before anything is written', async (_name, make, reason) => {
    const cwd = workdir({ 'records.jsonl': RECORDS });
    make(cwd);
    const run = await runAgg(['import', join(cwd, 'records.jsonl'), '--user', 'u1'], { cwd });
    expectOneLineUsageError(run, reason);
    expect(messages(run)[0]).toMatch(/but no deploy key is set: set CONVEX_DEPLOY_KEY \(Dashboard → Settings → Deploy keys\) or pass --admin-key; or pass --local DIR to use the embedded store$/);
    expect(existsSync(join(cwd, '.agg'))).toBe(false);

    // --local (or AGG_LOCAL_DIR) chooses the embedded store explicitly.
    const local = await runAgg(['--local', '.agg', 'import', join(cwd, 'records.jsonl'), '--user', 'u1'], { cwd });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stderr).toContain(`agg: using the embedded store in ${join(cwd, '.agg')}`);
    const env = await runAgg(['users', '--json'], { cwd, env: { AGG_LOCAL_DIR: '.agg' } });
    expect(env.code, env.stderr).toBe(0);
  });
});

describe('--env-file', () => {
  it('is read instead of .env.local and .env', async () => {
    const cwd = workdir({ 'records.jsonl': RECORDS, '.env.local': 'CONVEX_URL=https://happy-animal-123.convex.cloud\n', 'offline.env': '# no deployment here\nAGG_UNRELATED=1\n' });
    expectOneLineUsageError(await runAgg(['import', join(cwd, 'records.jsonl'), '--user', 'u1'], { cwd }), /this directory is a Convex app \(CONVEX_URL in \.env\.local/);
    const run = await runAgg(['--env-file', 'offline.env', 'import', join(cwd, 'records.jsonl'), '--user', 'u1'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`agg: using the embedded store in ${join(cwd, '.agg')}`);
  });

  it('that is missing is a one-line usage error naming the file', async () => {
    const cwd = workdir();
    expectOneLineUsageError(await runAgg(['--env-file', '.env.production', 'backfill', '--all'], { cwd }), /^agg: --env-file \.env\.production: no such file$/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('supplies the deploy key and the deployment, and the key is never printed', async () => {
    const cwd = workdir({ 'prod.env': `CONVEX_DEPLOY_KEY=${PROD_KEY}\nCONVEX_DEPLOYMENT=prod:serious-otter-456 # team: t, project: p\n` });
    for (const args of [['--env-file', 'prod.env', 'users'], ['--debug', '--env-file', 'prod.env', 'status']]) {
      const run = await runAgg(args, { cwd });
      expectOneLineUsageError(run, /^agg: the deploy key is for the production deployment serious-otter-456; pass --prod to confirm$/, args.includes('--debug'));
      expect(run.stdout + run.stderr).not.toContain(PROD_KEY.split('|')[1]!);
    }
  });
});

describe('a deploy key and a URL of different deployments', () => {
  it('is a usage error naming both, without the key', async () => {
    const cwd = workdir({ '.env.local': `CONVEX_DEPLOY_KEY=${DEV_KEY}\nNEXT_PUBLIC_CONVEX_URL=https://other-deploy-7.convex.cloud\n` });
    for (const args of [['users'], ['--debug', 'backfill', '--all']]) {
      const run = await runAgg(args, { cwd });
      expectOneLineUsageError(run, /^agg: the deploy key is for the deployment happy-animal-123 but the URL https:\/\/other-deploy-7\.convex\.cloud \(from NEXT_PUBLIC_CONVEX_URL in \.env\.local\) is the deployment other-deploy-7/, args.includes('--debug'));
      expect(run.stdout + run.stderr).not.toContain(DEV_KEY.split('|')[1]!);
    }
    // The environment's URL is not the file's: with a key passed as a flag the same holds.
    const flag = await runAgg(['--admin-key', DEV_KEY, 'users'], { cwd: workdir(), env: { CONVEX_URL: 'https://other-deploy-7.convex.cloud' } });
    expectOneLineUsageError(flag, /\(from CONVEX_URL in the environment\) is the deployment other-deploy-7/);
    expect(flag.stderr).not.toContain(DEV_KEY.split('|')[1]!);
  });

  it.skipIf(process.platform !== 'linux' || !existsSync('/proc/self'))('refuses an embedded store under /proc at once (a recursive mkdir there never returns)', async () => {
    const cwd = workdir();
    writeFileSync(join(cwd, 'one.jsonl'), '{"id":"a","watchedAt":null}\n');
    const run = await runAgg(['--local', '/proc/agg', 'import', join(cwd, 'one.jsonl'), '--user', 'u'], { cwd });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/^agg: store error: cannot open the embedded store at \/proc\/agg\/agg\.db: .*mkdir '\/proc\/agg'$/m);
  }, 20_000);
});
