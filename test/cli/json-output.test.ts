import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JSON_OUTPUTS, jsonOutput } from '../../src/cli/json-schemas/index.js';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, withOpen } from '../support/store-fixtures.js';

// Every --json document agg prints, from real commands run against each store, checked
// against its zod schema (strict: an undocumented key fails) and its schema id (the first key).

const T0 = Date.parse('2025-07-01T00:00:00.000Z');
const SAMPLES = join(import.meta.dirname, '../../fixtures/samples');

interface Output {
  readonly label: string;
  readonly expected: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function recordsFile(dir: string, userId: string, count: number): string {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ id: `${userId}-${i}`, watchedAt: `2025-0${1 + (i % 6)}-${String(1 + (i % 27)).padStart(2, '0')}T1${i % 10}:00:00.000Z`, videoTitle: `Video ${i}`, channelTitle: `Channel ${i % 4}`, topics: [`Topic ${i % 3}`] }),
  );
  const file = join(dir, `${userId}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Keys at any depth, outside values that are opaque by design (stored data, audit details, checkpoints, samples). */
function keysOf(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => keysOf(item, `${path}[${i}]`));
  return Object.entries(value).flatMap(([key, inner]) => (['data', 'details', 'checkpoint', 'sample', 'diffs', 'args'].includes(key) ? [`${path}.${key}`] : [`${path}.${key}`, ...keysOf(inner, `${path}.${key}`)]));
}

describe.each(ADAPTER_FACTORIES)('every --json output against its schema, on the %s', (_name, make) => {
  const outputs: Output[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'agg-json-output-'));
  const harness = make();

  beforeAll(async () => {
    const run = async (expected: string, args: string[], now = T0, expectCode = 0, signal?: AbortSignal) => {
      const result = await runAgg([...args], { openStore: () => harness.openStore(), now: () => now, cwd: dir, ...(signal ? { signal } : {}) });
      outputs.push({ label: `agg ${args.join(' ')}`, expected, ...result });
      expect(result.code, `agg ${args.join(' ')}: ${result.stderr}`).toBe(expectCode);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const alice = recordsFile(dir, 'alice', 40);
    const bob = recordsFile(dir, 'bob', 12);
    await run('agg.import/v1', ['import', alice, '--user', 'alice', '--dry-run', '--json']);
    await run('agg.import/v1', ['import', alice, '--user', 'alice', '--json']);
    await run('agg.import/v1', ['import', bob, '--user', 'bob', '--json']);
    await run('agg.users/v1', ['users', '--json']);
    const backfill = await run('agg.backfill/v1', ['backfill', '--user', 'alice', 'bob', '--json']);
    await run('agg.backfill/v1', ['backfill', '--changed', '--dry-run', '--json']);
    await run('agg.nothing-to-resume/v1', ['backfill', '--resume', String(backfill.runId), '--json']);
    await run('agg.show/v1', ['show', 'alice', '--json']);
    await run('agg.show.result/v1', ['show', 'alice', 'kpi', '--json']);
    await run('agg.validate/v1', ['validate', '--user', 'alice', '--json']);
    await run('agg.validate/v1', ['validate', '--all', '--format', 'json', '--repair', '--dry-run']);
    // Created at 0 %: both users enter next, and bob has no validation yet, so that grow is refused.
    await run('agg.rollout.percent/v1', ['rollout', '--percent', '0', '--actor', 'ops', '--json']);
    await run('agg.rollout.percent/v1', ['rollout', '--percent', '100', '--require-validated', '--actor', 'ops', '--json'], T0, 1);
    await run('agg.rollout.percent/v1', ['rollout', '--percent', '50', '--actor', 'ops', '--json']);
    await run('agg.rollout.percent/v1', ['rollout', '--percent', '50', '--actor', 'ops', '--json']);
    await run('agg.rollout.percent/v1', ['rollout', '--percent', '100', '--plan', '--json']);
    await run('agg.rollout.overrides/v1', ['rollout', '--enable-user', 'bob', '--actor', 'ops', '--json']);
    await run('agg.rollout.overrides/v1', ['rollout', '--enable-user', 'bob', '--actor', 'ops', '--json']);
    await run('agg.rollout/v1', ['rollout', '--json']);
    await run('agg.rollout.check/v1', ['rollout', '--check', 'alice', '--json']);
    await run('agg.validate/v1', ['validate', '--all', '--json', '--rollback-on-drift', '50%']);
    await run('agg.rollout.rollback/v1', ['rollout', '--rollback', '--actor', 'ops', '--reason', 'drill', '--json']);
    await run('agg.rollout.rollback/v1', ['rollout', '--rollback', '--actor', 'ops', '--json']);
    await run('agg.rollout.history/v1', ['rollout', '--history', '--format', 'json']);
    // A run left `running` by a process long gone: dead, and cleared.
    await withOpen(harness, (store) =>
      store.putRun({ runId: 'bf-dead', command: 'backfill', args: ['backfill', '--all'], target: 'all', startedAt: '2025-06-30T00:00:00.000Z', finishedAt: null, status: 'running', counts: { usersTotal: 2, usersDone: 1, usersFailed: 0, records: 40 }, checkpoint: null, heartbeatAt: '2025-06-30T00:00:00.000Z' }),
    );
    await run('agg.runs/v1', ['runs', '--json']);
    await run('agg.run/v1', ['runs', 'show', 'last', '--command', 'validate', '--json']);
    await run('agg.run/v1', ['runs', 'show', 'bf-dead', '--json']);
    await run('agg.runs.clear/v1', ['runs', '--clear', 'bf-dead', '--json']);
    await run('agg.status/v1', ['status', '--json']);
    await run('agg.cleanup/v1', ['cleanup', '--dry-run', '--as-of', '2025-07-02T00:00:00.000Z', '--json']);
    await run('agg.cleanup/v1', ['cleanup', '--expired', '--runs', '0', '--as-of', '2025-07-02T00:00:00.000Z', '--json']);
    await run('agg.runs/v1', ['runs', '--command', 'cleanup', '--json']);
    await run('agg.run/v1', ['runs', 'show', 'last', '--command', 'cleanup', '--json']);
    const out = join(dir, 'archive');
    await run('agg.archive.plan/v1', ['archive', '--table', 'change-log', '--older-than', '0d', '--out', out, '--dry-run', '--json']);
    const archived = await run('agg.archive/v1', ['archive', '--table', 'change-log', '--older-than', '0d', '--out', out, '--json'], T0 + 3 * 86_400_000);
    const manifestId = (archived.archives as { manifestId: string }[])[0]!.manifestId;
    await run('agg.archive.list/v1', ['archive', '--list', '--json']);
    await run('agg.archive.verify/v1', ['archive', '--verify', manifestId, '--json']);
    await run('agg.archive.restore/v1', ['archive', '--restore', manifestId, '--dry-run', '--json']);
    await run('agg.archive.restore/v1', ['archive', '--restore', manifestId, '--json']);
    await run('agg.archive.list/v1', ['archive', '--list', '--json']);
    await run('agg.delete-user.plan/v1', ['delete-user', 'bob', '--dry-run', '--json']);
    await run('agg.delete-user/v1', ['delete-user', 'bob', '--yes', '--json']);
    await run('agg.runs/v1', ['runs', '--command', 'delete-user', '--json']);
    await run('agg.parse/v1', ['parse', join(SAMPLES, 'demo-takeout.json'), '--json']);
    await run('agg.parse/v1', ['parse', join(SAMPLES, 'demo-takeout.html'), '--out', join(dir, 'records.jsonl'), '--json']);
    // Ctrl-C before the first batch: the import says how far it got (exit 130).
    const stop = new AbortController();
    stop.abort('SIGINT');
    const stopped = await run('agg.import/v1', ['import', alice, '--user', 'carol', '--json'], T0, 130, stop.signal);
    expect(stopped).toMatchObject({ interrupted: true, recordsWritten: 0 });
    await run('agg.compute/v1', ['compute', join(SAMPLES, 'demo-takeout.json'), '--type', 'kpi', '--type', 'top_channels', '--grid', '--json']);
  }, 120_000);

  it('prints exactly one JSON document whose first key is its schema id, valid against that schema', () => {
    expect(outputs.length).toBeGreaterThan(40);
    for (const output of outputs) {
      const document = JSON.parse(output.stdout) as Record<string, unknown>;
      expect(output.stdout.endsWith('}\n') && output.stdout.indexOf('\n') === output.stdout.length - 1, `${output.label}: one line`).toBe(true);
      expect(Object.keys(document)[0], output.label).toBe('schema');
      expect(document.schema, output.label).toBe(output.expected);
      const parsed = jsonOutput(output.expected).schema.safeParse(document);
      expect(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`), output.label).toEqual([]);
    }
  });

  it('checks every documented schema against at least one real output', () => {
    const seen = new Set(outputs.map((output) => output.expected));
    expect(JSON_OUTPUTS.map((output) => output.id).filter((id) => !seen.has(id))).toEqual([]);
    // And every variant of the documents that have several.
    const kinds = (id: string) => [...new Set(outputs.filter((output) => output.expected === id).map((output) => JSON.parse(output.stdout).kind as string))].sort();
    expect(kinds('agg.rollout.percent/v1')).toEqual(['applied', 'planned', 'refused', 'unchanged']);
    expect(kinds('agg.rollout.rollback/v1')).toEqual(['applied', 'unchanged']);
    expect(kinds('agg.rollout.overrides/v1')).toEqual(['applied', 'unchanged']);
  });

  it('names every count: no ledger key ("status:match", "deleted:expired") in any document', () => {
    for (const output of outputs) {
      const keys = keysOf(JSON.parse(output.stdout));
      expect(keys.filter((key) => /:/.test(key.split('.').at(-1)!)), output.label).toEqual([]);
    }
    // The runs that carry such keys in the ledger show them by name.
    const cleanup = JSON.parse(outputs.find((output) => output.label.includes('runs show last --command cleanup'))!.stdout);
    expect(cleanup.counts.deletedBy).toMatchObject({ expired: expect.any(Number), runs: expect.any(Number) });
    const runs = JSON.parse(outputs.find((output) => output.expected === 'agg.runs/v1')!.stdout).runs as { command: string; counts: Record<string, any> }[];
    const validates = runs.filter((run) => run.command === 'validate');
    // (validate --repair --dry-run records no run)
    expect(validates.length).toBe(2);
    for (const run of validates) expect(run.counts.results.byStatus.match).toBeGreaterThan(0);
    expect(validates.map((run) => run.counts.guardrail).filter(Boolean)).toEqual([{ servedUsers: expect.any(Number), usersWithDrift: 0 }]);
    const status = JSON.parse(outputs.find((output) => output.expected === 'agg.status/v1')!.stdout);
    expect(status.runs.last.find((run: { command: string }) => run.command === 'validate').counts.results.byStatus).toBeDefined();
  });

  it('refuses a document with an undocumented key, a missing key or another schema id', () => {
    const document = JSON.parse(outputs.find((output) => output.expected === 'agg.users/v1')!.stdout);
    const schema = jsonOutput('agg.users/v1').schema;
    expect(schema.safeParse(document).success).toBe(true);
    expect(schema.safeParse({ ...document, extra: 1 }).success).toBe(false);
    expect(schema.safeParse({ ...document, users: [{ ...document.users[0], extra: 1 }] }).success).toBe(false);
    const { users: _users, ...withoutUsers } = document;
    expect(schema.safeParse(withoutUsers).success).toBe(false);
    expect(schema.safeParse({ ...document, schema: 'agg.users/v2' }).success).toBe(false);
  });
});
