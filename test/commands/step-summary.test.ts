import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runAgg } from '../support/cli.js';
import { seedUsers, withOpen, type AdapterHarness } from '../support/store-fixtures.js';

// In a GitHub Actions job, agg cleanup and agg archive add a short Markdown summary of what they did
// to $GITHUB_STEP_SUMMARY (appended, as validate, status --format markdown and rollout --history do),
// whatever they print on stdout.

const T0 = Date.parse('2025-07-01T00:00:00.000Z');
const DAY = 86_400_000;

/** Every Markdown table in the text has as many cells in each row as in its header. */
function expectWellFormedTables(markdown: string): void {
  const rows = markdown.split('\n').filter((line) => line.startsWith('|'));
  expect(rows.length).toBeGreaterThan(0);
  const cells = (line: string) => line.replace(/\\\|/g, '').split('|').length;
  let width = -1;
  for (const [i, line] of markdown.split('\n').entries()) {
    if (!line.startsWith('|')) {
      width = -1;
      continue;
    }
    if (width < 0) width = cells(line);
    expect(cells(line), `line ${i + 1}: ${line}`).toBe(width);
  }
}

describe('cleanup and archive summaries in $GITHUB_STEP_SUMMARY', () => {
  let dir: string;
  let harness: AdapterHarness;
  let summary: string;
  const agg = (args: string[], now = T0, env: Record<string, string> = { GITHUB_STEP_SUMMARY: summary }) => runAgg(args, { openStore: () => harness.openStore(), now: () => now, cwd: dir, env });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agg-step-summary-'));
    harness = { name: 'embedded store', dir, openStore: () => SqliteStore.open(join(dir, 'store')) };
    summary = join(dir, 'summary.md');
    await withOpen(harness, (store) => seedUsers(store, 2, 30, 'summary'));
    expect((await agg(['backfill', '--all', '--type', 'kpi'], T0, {})).code).toBe(0);
  });

  it('appends what a cleanup deleted (or would), category by category, after what was there', async () => {
    writeFileSync(summary, '## an earlier step\n');
    const later = T0 + 2 * DAY;
    const dry = await agg(['cleanup', '--expired', '--dry-run', '--as-of', new Date(later).toISOString()]);
    expect(dry.code, dry.stderr).toBe(0);
    const real = await agg(['cleanup', '--expired', '--as-of', new Date(later).toISOString(), '--json']);
    expect(real.code, real.stderr).toBe(0);
    const deleted = JSON.parse(real.stdout).totals.deleted as number;
    expect(deleted).toBe(36);
    const text = readFileSync(summary, 'utf8');
    expect(text.startsWith('## an earlier step\n## agg cleanup (dry run): 36 rows would be deleted')).toBe(true);
    expect(text).toContain('\n## agg cleanup: deleted 36 rows, freed about');
    expect(text).toMatch(/As of 2025-07-03T00:00:00\.000Z \(run `cl-[^`]+`\), in /);
    expect(text).toContain('| expired aggregations | expiresAt < 2025-07-03 00:00Z | 36 | 0 |');
    expectWellFormedTables(text);
    // The JSON on stdout is the document alone: the summary went to the file only.
    expect(real.stdout.split('\n')).toHaveLength(2);
  });

  it('appends what an archive run, its dry run, a verify and a restore did', async () => {
    const out = join(dir, 'archive');
    const later = T0 + 40 * DAY;
    const steps = [
      ['archive', '--table', 'aggregations', '--older-than', '1d', '--out', out, '--dry-run'],
      ['archive', '--table', 'aggregations', '--older-than', '1d', '--out', out, '--json'],
    ];
    for (const args of steps) expect((await agg(args, later)).code).toBe(0);
    const list = JSON.parse((await agg(['archive', '--list', '--json'], later)).stdout) as { archives: { manifestId: string; rows: number }[] };
    const [archive] = list.archives;
    expect(archive!.rows).toBe(36);
    expect((await agg(['archive', '--verify', archive!.manifestId], later)).code).toBe(0);
    expect((await agg(['archive', '--restore', archive!.manifestId, '--dry-run'], later)).code).toBe(0);
    expect((await agg(['archive', '--restore', archive!.manifestId, '--json'], later)).code).toBe(0);
    const text = readFileSync(summary, 'utf8');
    const headlines = text.split('\n').filter((line) => line.startsWith('## '));
    expect(headlines).toEqual([
      '## agg archive (dry run): 36 rows would be archived',
      '## agg archive: 36 rows into 1 verified archive',
      `## agg archive --verify \`${archive!.manifestId}\`: intact`,
      `## agg archive --restore \`${archive!.manifestId}\` (dry run): 36 rows would be put back`,
      `## agg archive --restore \`${archive!.manifestId}\`: 36 rows put back`,
    ]);
    expect(text).toContain(`| \`${archive!.manifestId}\` | precomputed_aggregations 36 | 1 |`);
    expect(text).toContain('| precomputed_aggregations | 36 | 0 | 0 | 0 |');
    expectWellFormedTables(text);
  });

  it('says when a verify fails, with the problem', async () => {
    const out = join(dir, 'archive');
    const later = T0 + 40 * DAY;
    const archived = JSON.parse((await agg(['archive', '--table', 'aggregations', '--older-than', '1d', '--out', out, '--json'], later, {})).stdout) as { archives: { manifestId: string }[] };
    const id = archived.archives[0]!.manifestId;
    writeFileSync(join(out, id, 'chunk-00001.jsonl.gz'), 'not gzip');
    expect((await agg(['archive', '--verify', id], later)).code).toBe(1);
    const text = readFileSync(summary, 'utf8');
    expect(text).toContain(`## agg archive --verify \`${id}\`: FAILED, 1 problem`);
    expect(text).toMatch(/\n- chunk-00001\.jsonl\.gz has \d+ bytes, the manifest says \d+\n/);
  });

  it('writes no summary file when $GITHUB_STEP_SUMMARY is not set', async () => {
    expect((await agg(['cleanup', '--expired', '--as-of', new Date(T0 + 2 * DAY).toISOString()], T0, {})).code).toBe(0);
    expect((await agg(['archive', '--dry-run', '--table', 'runs', '--older-than', '0d'], T0, {})).code).toBe(0);
    expect(existsSync(summary)).toBe(false);
  });
});
