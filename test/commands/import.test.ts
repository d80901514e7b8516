import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runAgg } from '../support/cli.js';

const SAMPLES = resolve('fixtures/samples');

function workdir(): string {
  return mkdtempSync(join(tmpdir(), 'agg-import-'));
}

describe('agg import and agg users on the embedded store', () => {
  it('imports a Takeout export, is idempotent, and writes one change-log entry per import that changed something', async () => {
    const cwd = workdir();
    const first = await runAgg(['import', join(SAMPLES, 'demo-takeout.json'), '--user', 'demo', '--json'], { cwd });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`agg: using the embedded store in ${join(cwd, '.agg')}`);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ format: 'takeout-json', userId: 'demo', records: summary.inserted, updated: 0, unchanged: 0, dryRun: false });
    expect(summary.inserted).toBeGreaterThan(200);
    expect(summary.changeId).toMatch(/^import:demo:/);

    const again = JSON.parse((await runAgg(['import', join(SAMPLES, 'demo-takeout.json'), '--user', 'demo', '--json'], { cwd })).stdout);
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: summary.records, changeId: null });

    const store = SqliteStore.open(join(cwd, '.agg'));
    expect(await store.listChanges('demo')).toHaveLength(1);
    expect((await store.getUser('demo'))!.recordCount).toBe(summary.records);
    await store.close();
  });

  it('plans with --dry-run and writes nothing', async () => {
    const cwd = workdir();
    const run = await runAgg(['import', join(SAMPLES, 'demo.jsonl'), '--user', 'u1', '--dry-run'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('would import');
    expect(run.stdout).toContain('dry run: nothing was written');
    const store = SqliteStore.open(join(cwd, '.agg'));
    expect(await store.getUser('u1')).toBeNull();
    await store.close();
  });

  it('reports updates when a record changed, and lists users with counts and pending changes', async () => {
    const cwd = workdir();
    const file = join(cwd, 'records.jsonl');
    writeFileSync(file, '{"id":"a","watchedAt":"2024-01-01T00:00:00Z","videoTitle":"One"}\n{"id":"b","watchedAt":null}\n');
    await runAgg(['import', file, '--user', 'u2', '--local', join(cwd, 'store')], { cwd });
    writeFileSync(file, '{"id":"a","watchedAt":"2024-01-01T00:00:00Z","videoTitle":"Renamed"}\n{"id":"b","watchedAt":null}\n{"id":"c","watchedAt":"2024-02-01T00:00:00Z"}\n');
    const second = JSON.parse((await runAgg(['import', file, '--user', 'u2', '--local', join(cwd, 'store'), '--json'], { cwd })).stdout);
    expect(second).toMatchObject({ inserted: 1, updated: 1, unchanged: 1 });
    const users = await runAgg(['users', '--json', '--local', join(cwd, 'store')], { cwd });
    expect(JSON.parse(users.stdout).users).toEqual([
      { userId: 'u2', recordCount: 3, firstWatchedAt: '2024-01-01T00:00:00.000Z', lastWatchedAt: '2024-02-01T00:00:00.000Z', lastChangeAt: expect.any(String), gridFreshUntil: null, recordsRevision: expect.any(String), pendingChanges: 2 },
    ]);
    const table = await runAgg(['users', '--local', join(cwd, 'store')], { cwd });
    expect(table.stdout).toMatch(/^user\s+records\s+first watch\s+last watch\s+changed\s+pending$/m);
    expect(table.stdout).toMatch(/^u2\s+3\s+2024-01-01\s+2024-02-01\s+\S+ ago\s+2$/m);
    expect(table.stdout.split('\n').every((line) => line.length <= 80)).toBe(true);
  });

  it('refuses bad input with one line and exit 2, writing nothing', async () => {
    const cwd = workdir();
    const bad = join(cwd, 'bad.jsonl');
    writeFileSync(bad, '{"id":"a","watchedAt":"2024-13-01T00:00:00Z"}\n');
    for (const args of [
      ['import', bad, '--user', 'u1'],
      ['import', join(cwd, 'missing.json'), '--user', 'u1'],
      ['import', join(SAMPLES, 'demo.jsonl'), '--user', ' padded'],
      ['import', join(SAMPLES, 'demo.jsonl')],
      ['import', join(SAMPLES, 'demo.jsonl'), '--user', 'u1', '--source-tz', 'Mars/Olympus'],
    ]) {
      const run = await runAgg(args, { cwd });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n').filter((line) => !line.startsWith('agg: using'))).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    const store = SqliteStore.open(join(cwd, '.agg'));
    expect(await store.getUser('u1')).toBeNull();
    await store.close();
  });
});

describe('deploy keys', () => {
  const KEY = 'dev:happy-animal-123|c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFr';

  it('never appear in any output, even when the deployment cannot be reached', async () => {
    const cwd = workdir();
    for (const args of [
      ['users', '--url', 'http://127.0.0.1:9', '--admin-key', KEY, '--retries', '0', '--timeout', '2s'],
      ['users', '--url', 'http://127.0.0.1:9', `--admin-key=${KEY}`, '--retries', '0', '--debug'],
    ]) {
      const run = await runAgg(args, { cwd });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/store error: .*127\.0\.0\.1:9/);
      for (const text of [run.stdout, run.stderr]) {
        expect(text).not.toContain(KEY);
        expect(text).not.toContain(KEY.split('|')[1]);
      }
    }
    const fromEnv = await runAgg(['users', '--url', 'http://127.0.0.1:9', '--retries', '0'], { cwd, env: { CONVEX_DEPLOY_KEY: KEY } });
    expect(fromEnv.code).toBe(3);
    expect(fromEnv.stderr).toContain('Convex deployment happy-animal-123');
    expect(fromEnv.stderr + fromEnv.stdout).not.toContain(KEY.split('|')[1]);
  });

  it('refuses a production key without --prod before touching anything', async () => {
    const run = await runAgg(['users'], { cwd: workdir(), env: { CONVEX_DEPLOY_KEY: 'prod:serious-otter-456|c2VjcmV0LXByb2Q=' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('agg: the deploy key is for the production deployment serious-otter-456; pass --prod to confirm\n');
  });
});
