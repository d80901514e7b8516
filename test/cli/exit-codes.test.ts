// The exit-code table of the README, one case per code: a CI job reads these, so none may lie.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/errors.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { runAgg } from '../support/cli.js';

const SAMPLE = join(process.cwd(), 'fixtures/samples/demo-takeout.json');

function workspace(): { cwd: string; local: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'agg-exit-'));
  return { cwd, local: join(cwd, 'store') };
}

describe('exit codes', () => {
  it('0: success', async () => {
    const { cwd, local } = workspace();
    expect((await runAgg(['--local', local, 'import', SAMPLE, '--user', 'demo'], { cwd })).code).toBe(ExitCode.ok);
    expect(ExitCode.ok).toBe(0);
  });

  it('1: the command ran and found something a CI job should fail on', async () => {
    const { cwd, local } = workspace();
    await runAgg(['--local', local, 'import', SAMPLE, '--user', 'demo'], { cwd });
    const run = await runAgg(['--local', local, 'validate', '--type', 'kpi', '--fail-on', 'missing'], { cwd });
    expect(run.stdout).toMatch(/missing/);
    expect(run.code).toBe(1);
    // A result agg show asks for that is not stored is such a finding too.
    const show = await runAgg(['--local', local, 'show', 'demo', 'kpi'], { cwd });
    expect(show.stderr).toMatch(/^agg: demo has no stored kpi result for All\/All/m);
    expect(show.code).toBe(1);
  });

  it('2: bad arguments, configuration or input, in one line', async () => {
    const { cwd, local } = workspace();
    for (const args of [['backfill', '--concurrency', 'many'], ['nosuchcommand'], ['backfil'], ['backfill', '--al'], ['import', join(cwd, 'missing.json'), '--user', 'u']]) {
      const run = await runAgg(['--local', local, ...args], { cwd });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    // A typo gets commander's suggestion on the same line.
    expect((await runAgg(['backfil'], { cwd })).stderr).toBe("agg: unknown command 'backfil' (did you mean backfill?) (see agg --help)\n");
    // agg alone: the help on stderr, exit 2, and nothing else.
    const bare = await runAgg([], { cwd });
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^Usage: agg \[options\] \[command\]/);
    expect(bare.stderr).not.toMatch(/outputHelp/);
    writeFileSync(join(cwd, 'agg.config.json'), '{"ttl": {"kpi": "soon"}}');
    const config = await runAgg(['--local', local, 'import', SAMPLE, '--user', 'demo'], { cwd });
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/ttl\.kpi/);
  });

  it('3: the store could not be used', async () => {
    const { cwd } = workspace();
    const file = join(cwd, 'a-file');
    writeFileSync(file, 'not a directory');
    const run = await runAgg(['--local', join(file, 'store'), 'import', SAMPLE, '--user', 'demo'], { cwd });
    expect(run.code, run.stderr).toBe(3);
  });

  it('70: an unexpected error is a bug, never a finding: one line and the --debug hint; --debug adds the stack', async () => {
    const broken = new Proxy({ description: 'a broken store', close: async () => undefined } as unknown as Store, {
      get(target, property) {
        if (property in target) return Reflect.get(target, property);
        return () => {
          throw new TypeError('cannot read properties of undefined (reading "userId")');
        };
      },
    });
    const run = await runAgg(['users'], { openStore: () => broken });
    expect(run.code).toBe(70);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('agg: unexpected'))).toEqual([
      'agg: unexpected error: cannot read properties of undefined (reading "userId") (run with --debug for details)',
    ]);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const debug = await runAgg(['--debug', 'users'], { openStore: () => broken });
    expect(debug.code).toBe(70);
    expect(debug.stderr).toMatch(/^\s+at /m);
  });

  it('75: a live run holds the lease: one line naming it, nothing done; --skip-if-running makes it 0', async () => {
    const { cwd, local } = workspace();
    await runAgg(['--local', local, 'import', SAMPLE, '--user', 'demo'], { cwd });
    const store = SqliteStore.open(local);
    // The holder: a live process on this host (the test runner's parent).
    await store.acquireLease({ name: 'backfill:all', holder: 'bf-busy@1', runId: 'bf-busy', now: '2025-07-01T00:00:00.000Z', ttlMs: 120_000, host: hostname(), pid: process.ppid });
    await store.close();
    const run = await runAgg(['--local', local, 'backfill', '--all'], { cwd });
    expect(run.code, run.stderr).toBe(ExitCode.tempfail);
    expect(ExitCode.tempfail).toBe(75);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('agg: ') && !line.startsWith('agg: using'))).toEqual([expect.stringMatching(/^agg: another backfill is running: run bf-busy .*; nothing done \(exit 75/)]);
    expect((await runAgg(['--local', local, 'backfill', '--all', '--skip-if-running'], { cwd })).code).toBe(ExitCode.ok);
  });

  it('130: interrupted', async () => {
    const { cwd, local } = workspace();
    await runAgg(['--local', local, 'import', SAMPLE, '--user', 'demo'], { cwd });
    const interrupt = new AbortController();
    interrupt.abort();
    const run = await runAgg(['--local', local, 'backfill', '--all'], { cwd, signal: interrupt.signal });
    expect(run.code, run.stderr).toBe(130);
  });
});
