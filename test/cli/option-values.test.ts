import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { looksLikeOption } from '../../src/cli/option-values.js';
import { runAgg } from '../support/cli.js';

const RECORDS = '{"id":"r1","watchedAt":"2025-06-01T10:00:00.000Z","channelTitle":"C"}\n{"id":"r2","watchedAt":"2025-06-02T10:00:00.000Z","channelTitle":"C"}\n';
let cwd = '';

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'agg-option-values-'));
  writeFileSync(join(cwd, 'r.jsonl'), RECORDS);
  for (const user of ['a', 'b', 'c', 'd']) expect((await runAgg(['import', join(cwd, 'r.jsonl'), '--user', user], { cwd })).code).toBe(0);
});

const usersOf = (stdout: string): unknown => (JSON.parse(stdout) as { target: string }).target;

describe('--user ID... as the README shows it', () => {
  it('backfill --user a b c selects three users, as --user a --user b --user c does', async () => {
    const listed = await runAgg(['backfill', '--user', 'a', 'b', 'c', '--type', 'kpi', '--json'], { cwd });
    expect(listed.code, listed.stderr).toBe(0);
    expect(usersOf(listed.stdout)).toBe('users:a,b,c');
    expect(JSON.parse(listed.stdout).users.total).toBe(3);
    const repeated = await runAgg(['backfill', '--user', 'a', '--user', 'b', '--user', 'c', '--type', 'kpi', '--json'], { cwd });
    expect(usersOf(repeated.stdout)).toBe('users:a,b,c');
    const mixed = await runAgg(['backfill', '--user', 'a', 'b', '--type', 'kpi', '--user', 'd', '--json'], { cwd });
    expect(JSON.parse(mixed.stdout).users.total).toBe(3);
  });

  it('validate --user a b checks two users, either way', async () => {
    for (const args of [['--user', 'a', 'b'], ['--user', 'a', '--user', 'b']]) {
      const run = await runAgg(['validate', ...args, '--type', 'kpi', '--json'], { cwd });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).users.total).toBe(2);
    }
  });

  it('a list of users still conflicts with --all', async () => {
    const run = await runAgg(['backfill', '--user', 'a', 'b', '--all'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/choose exactly one of --user ID\.\.\., --all, --changed or --expiring/);
  });

  it('import takes exactly one user: a second is an error, not a stray argument', async () => {
    const run = await runAgg(['import', join(cwd, 'r.jsonl'), '--user', 'a', 'b', '--dry-run'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('agg: unexpected argument "b": import reads one FILE for one --user ID per run (agg import FILE --user ID)');
  });
});

describe('option values spelled like options', () => {
  it('are the ones that start with -- or a dash and a letter', () => {
    for (const value of ['--all', '--', '--dry-run', '-h', '-V', '--user=x']) expect(looksLikeOption(value), value).toBe(true);
    for (const value of ['-', '-5', '-5m', '-1.5', 'a-b', 'all', '']) expect(looksLikeOption(value), value).toBe(false);
  });

  it('are refused for every value option, before anything runs', async () => {
    for (const [args, flag, got] of [
      [['backfill', '--user', '--all'], '--user', '--all'],
      [['backfill', '--all', '--type', '--force'], '--type', '--force'],
      [['--local', '--prod', 'users'], '--local', '--prod'],
      [['compute', join(cwd, 'r.jsonl'), '--tz', '--json'], '--tz', '--json'],
      [['rollout', '--reason', '--rollback'], '--reason', '--rollback'],
      [['runs', '--limit', '--json'], '--limit', '--json'],
    ] as const) {
      const run = await runAgg([...args], { cwd });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n').filter((line) => !line.startsWith('agg: using'))).toEqual([`agg: ${flag} needs a value; got the option ${got}`]);
    }
  });

  it('let negative numbers through to the option, which says what range it takes', async () => {
    const run = await runAgg(['validate', '--tolerance', '-1'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--tolerance "-1" must be a number from 0 to 1/);
    const duration = await runAgg(['backfill', '--all', '--max-runtime', '-5m'], { cwd });
    expect(duration.stderr).toMatch(/--max-runtime "-5m" is not a duration/);
  });
});
