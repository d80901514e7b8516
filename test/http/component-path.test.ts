// Where the app mounts agg: the CLI finds the component by its path (default `agg`, --component or
// AGG_COMPONENT otherwise), and a deployment whose app never ran app.use(agg) gets one line naming
// the fix, exit 3, with nothing written.
import { afterEach, describe, expect, it } from 'vitest';
import { generateUsers } from '../../fixtures/generator.js';
import { type LoopbackHarness, startHarness, writeUserFiles } from '../support/loopback-harness.js';

const USERS = [...generateUsers({ users: 2, records: 15, seed: 'component-path' })];
const harnesses: LoopbackHarness[] = [];
async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<LoopbackHarness> {
  const h = await startHarness(options);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

describe('the component path', () => {
  it('refuses a deployment without the agg component in one line naming app.use(agg), exit 3, for every kind of command', async () => {
    const h = await harness({ componentPath: null });
    const [[userId, path]] = [...writeUserFiles(h, USERS.slice(0, 1))];
    for (const args of [['users'], ['import', path!, '--user', userId!], ['backfill', '--all'], ['validate'], ['rollout', '--percent', '10'], ['cleanup', '--dry-run']]) {
      const run = await h.agg(args);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(3);
      const lines = run.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('agg: using the '));
      expect(lines, args.join(' ')).toEqual([
        `agg: store error: the deployment at ${h.server.url} has no component "agg" (it has no components): add \`app.use(agg)\` (import agg from "agg/convex.config") to convex/convex.config.ts and deploy (npx convex deploy), or pass --component NAME`,
      ]);
    }
    // Nothing reached a function, so nothing was written anywhere.
    expect([...h.server.stats.ran.keys()]).toEqual([]);
  });

  it('reaches agg mounted under another name with --component or AGG_COMPONENT, and names the mounted ones otherwise', async () => {
    const h = await harness({ componentPath: 'analytics' });
    const [[userId, path]] = [...writeUserFiles(h, USERS.slice(0, 1))];
    const wrong = await h.agg(['users']);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('has no component "agg" (its components: analytics)');
    const imported = await h.agg(['--component', 'analytics', 'import', path!, '--user', userId!]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain('component analytics');
    const listed = await h.agg(['users', '--json'], { env: { AGG_COMPONENT: 'analytics' } });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).users).toEqual([expect.objectContaining({ userId, recordCount: USERS[0]!.records.length })]);
    // The flag wins over the environment.
    expect((await h.agg(['--component', 'agg', 'users'], { env: { AGG_COMPONENT: 'analytics' } })).code).toBe(3);
  });

  it('goes on without the check on a backend that cannot list its components', async () => {
    const h = await harness({ listsComponents: false });
    const [[userId, path]] = [...writeUserFiles(h, USERS.slice(0, 1))];
    const imported = await h.agg(['import', path!, '--user', userId!]);
    expect(imported.code, imported.stderr).toBe(0);
    const run = await h.agg(['users', '--json']);
    expect(JSON.parse(run.stdout).users).toHaveLength(1);
  });

  it('refuses a component name Convex would not accept, before any call (exit 2)', async () => {
    const h = await harness();
    for (const name of ['', 'a b', '../agg', 'agg/']) {
      const run = await h.agg(['--component', name, 'users']);
      expect(run.code, name).toBe(2);
      expect(run.stderr).toMatch(/^agg: --component ".*" is not a component name/m);
    }
    expect(h.server.stats.requests).toBe(0);
  });
});
