// The GitHub Actions recipes in examples/: every agg command they run is a valid command that does its
// job (run here on the embedded store, GitHub's expressions filled in), the keys come from secrets, and
// the schedules are the documented ones.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { generateUsers } from '../../fixtures/generator.js';
import { runAgg } from '../support/cli.js';

const DIR = 'examples/github-actions';
const workflows = Object.fromEntries(readdirSync(DIR).map((name) => [name, readFileSync(join(DIR, name), 'utf8')]));

/** The agg command lines of a workflow, with GitHub's expressions replaced by what they stand for here. */
function aggCommands(text: string, matrix: { shard: number }, force: boolean): string[][] {
  return [...text.matchAll(/^\s*(?:- )?run: npx agg (.+)$/gm)].map((m) =>
    m[1]!
      .replace('${{ matrix.shard }}', String(matrix.shard))
      .replace("${{ inputs.force && '--force' || '' }}", force ? '--force' : '')
      .split(/\s+/)
      .filter((arg) => arg !== '' && arg !== '--prod'),
  );
}

describe('the GitHub Actions recipes', () => {
  it('are the three documented jobs, with keys from secrets only', () => {
    expect(Object.keys(workflows).sort()).toEqual(['agg-backfill-changed.yml', 'agg-backfill-sharded.yml', 'agg-validate-nightly.yml']);
    for (const [name, text] of Object.entries(workflows)) {
      expect(text, name).toMatch(/CONVEX_DEPLOY_KEY: \$\{\{ secrets\.CONVEX_DEPLOY_KEY \}\}/);
      expect(text, name).not.toMatch(/(prod|dev|preview):[a-z0-9-]+\|/);
      expect(text, name).not.toMatch(/\t/);
    }
    expect(workflows['agg-backfill-changed.yml']).toMatch(/cron: '\*\/15 \* \* \* \*'/);
    expect(workflows['agg-backfill-changed.yml']).toMatch(/npx agg --prod backfill --changed --max-runtime 10m .*--skip-if-running/);
    expect(workflows['agg-validate-nightly.yml']).toMatch(/npx agg --prod validate --sample 5% --format markdown .*--rollback-on-drift 0\.5%/);
    expect(workflows['agg-validate-nightly.yml']).toMatch(/run: npx agg --prod status --format markdown/);
    expect(workflows['agg-validate-nightly.yml']).toMatch(/run: npx agg --prod rollout --history --format markdown/);
    expect(workflows['agg-backfill-sharded.yml']).toMatch(/shard: \[1, 2, 3, 4, 5, 6, 7, 8\]/);
    expect(workflows['agg-backfill-sharded.yml']).toMatch(/--shard \$\{\{ matrix\.shard \}\}\/8/);
  });

  it('run commands that work: the cron backfill, the nightly sample (writing the job summary), all eight shards', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'agg-workflows-'));
    const store = SqliteStore.open(join(cwd, '.agg'));
    for (const user of generateUsers({ users: 12, records: 20, seed: 'workflows' })) {
      await store.putRecords({ userId: user.userId, records: user.records, change: { changeId: `seed:${user.userId}`, changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
    }
    await store.close();
    const summary = join(cwd, 'step-summary.md');
    const run = (args: string[]) => runAgg(args, { cwd, env: { GITHUB_STEP_SUMMARY: summary } });

    const [cron] = aggCommands(workflows['agg-backfill-changed.yml']!, { shard: 1 }, false);
    const changed = await run([...cron!, '--json']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ status: 'succeeded', users: { total: 12, done: 12 } });
    // The next tick finds nothing new.
    expect(JSON.parse((await run([...cron!, '--json'])).stdout)).toMatchObject({ users: { total: 0 } });
    // A tick that starts while the previous one still runs does nothing and exits 0 (75 without --skip-if-running).
    const busy = SqliteStore.open(join(cwd, '.agg'));
    await busy.acquireLease({ name: 'backfill:changed', holder: 'bf-busy@1', runId: 'bf-busy', now: '2025-07-01T00:00:00.000Z', ttlMs: 120_000, host: hostname(), pid: process.ppid });
    await busy.close();
    const overlapping = await run([...cron!, '--json']);
    expect(overlapping.code, overlapping.stderr).toBe(0);
    expect(overlapping.stderr).toMatch(/another backfill is running: run bf-busy .* nothing done \(--skip-if-running\)/);
    expect((await run(cron!.filter((arg) => arg !== '--skip-if-running'))).code).toBe(75);
    const free = SqliteStore.open(join(cwd, '.agg'));
    await free.releaseLease('backfill:changed', 'bf-busy@1');
    await free.close();

    let users = 0;
    for (let shard = 1; shard <= 8; shard++) {
      const [sharded] = aggCommands(workflows['agg-backfill-sharded.yml']!, { shard }, shard === 8);
      const result = await run([...sharded!, '--json']);
      expect(result.code, result.stderr).toBe(0);
      users += (JSON.parse(result.stdout) as { users: { total: number } }).users.total;
    }
    expect(users).toBe(12);

    const [nightly, status, history] = aggCommands(workflows['agg-validate-nightly.yml']!, { shard: 1 }, false);
    const validate = await run(nightly!);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/^#/m);
    expect(validate.stderr).toMatch(/guardrail: flag precomputed_aggregations does not exist/);
    expect(readFileSync(summary, 'utf8')).toContain(validate.stdout.trim().split('\n')[0]!);
    const health = await run(status!);
    expect(health.code, health.stderr).toBe(0);
    expect(health.stdout).toMatch(/^## agg status: OK/);
    const log = await run(history!);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/^## agg rollout history of `precomputed_aggregations`: no such flag/);
    expect(readFileSync(summary, 'utf8').endsWith(`${health.stdout}${log.stdout}`)).toBe(true);
  });
});
