import type { ArchiveOutcome, Leftovers } from '../archive/archiver.js';
import type { Selection } from '../archive/format.js';
import type { RestoreTotals } from '../archive/restore.js';
import type { ChunkCheck } from '../archive/verify.js';
import type { ArchiveTable } from '../store/maintenance.js';
import { ruleOf } from './archive-render.js';
import { formatBytes, formatDuration } from './format.js';
import { escapeCell } from './markdown-cell.js';

// What `agg archive` adds to a CI job's summary ($GITHUB_STEP_SUMMARY): a headline with the verdict,
// then the figures in a table. (--list is a listing, not a summary: it adds nothing.)

const n = (value: number): string => value.toLocaleString('en-US');
const cell = (text: string): string => escapeCell(text);

function archiveRow(archive: ArchiveOutcome): string {
  const d = archive.deletion;
  const tables = Object.entries(archive.tables).map(([table, rows]) => `${table} ${n(rows)}`).join(', ');
  return `| \`${archive.manifestId}\`${archive.resumed ? ' (finished)' : ''} | ${cell(tables)} | ${archive.chunks} | ${formatBytes(archive.bytes)} | ${n(d.deleted)} | ${n(d.alreadyGone)} | ${n(d.retained)} |`;
}

export function archiveRunMarkdown(result: { leftovers: Leftovers; archives: ArchiveOutcome[] }, selection: Selection, tables: readonly ArchiveTable[], ms: number): string {
  const all = [...result.leftovers.resumed, ...result.archives];
  const rows = all.reduce((sum, archive) => sum + archive.rows, 0);
  const headline = all.length === 0 ? '## agg archive: nothing to archive' : `## agg archive: ${n(rows)} rows into ${all.length} verified archive${all.length === 1 ? '' : 's'}`;
  const rules = tables.map((t) => `${t}: ${ruleOf(selection, t)}`).join('; ') || 'no table has a retention';
  const lines = [headline, '', `As of ${selection.asOf} (${cell(rules)}), in ${formatDuration(ms)}. Every chunk was read back and verified before any row was deleted.`];
  for (const discarded of result.leftovers.discarded) lines.push('', `Discarded the unfinished export \`${discarded.manifestId}\` of an interrupted run (nothing of it had been deleted).`);
  if (all.length > 0) {
    lines.push('', '| archive | rows by table | chunks | size | deleted | already gone | kept (changed) |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |', ...all.map(archiveRow));
  }
  return `${lines.join('\n')}\n`;
}

export function archivePlanMarkdown(selection: Selection, tables: readonly ArchiveTable[], eligible: Record<string, { rows: number; bytes: number }>, destination: string): string {
  const rows = tables.reduce((sum, t) => sum + (eligible[t]?.rows ?? 0), 0);
  const lines = [`## agg archive (dry run): ${n(rows)} rows would be archived`, '', `As of ${selection.asOf}, into ${cell(destination)}; nothing was written or deleted.`];
  if (tables.length > 0) {
    lines.push('', '| table | rule | rows | size (uncompressed) |', '| --- | --- | ---: | ---: |');
    for (const t of tables) lines.push(`| ${t} | ${cell(ruleOf(selection, t))} | ${n(eligible[t]!.rows)} | ${formatBytes(eligible[t]!.bytes)} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function archiveVerifyMarkdown(manifestId: string, ok: boolean, problems: readonly string[], checks: readonly ChunkCheck[], rows: number): string {
  const lines = [ok ? `## agg archive --verify \`${manifestId}\`: intact` : `## agg archive --verify \`${manifestId}\`: FAILED, ${problems.length} problem${problems.length === 1 ? '' : 's'}`, ''];
  lines.push(ok ? `${checks.length} chunk${checks.length === 1 ? '' : 's'}, ${n(rows)} rows: every SHA-256 and row count as recorded.` : 'Do not rely on this archive until its chunks are restored from a copy.');
  if (problems.length > 0) lines.push('', ...problems.map((problem) => `- ${cell(problem)}`));
  return `${lines.join('\n')}\n`;
}

export function archiveRestoreMarkdown(manifestId: string, result: { totals: RestoreTotals; byTable: Record<string, RestoreTotals> }, dryRun: boolean, ms: number): string {
  const { totals } = result;
  const headline = dryRun ? `## agg archive --restore \`${manifestId}\` (dry run): ${n(totals.inserted)} rows would be put back` : `## agg archive --restore \`${manifestId}\`: ${n(totals.inserted)} rows put back`;
  const lines = [headline, '', `In ${formatDuration(ms)}${dryRun ? '; nothing was written' : ''}.`, '', `| table | ${dryRun ? 'would insert' : 'inserted'} | already there | kept (newer in the store) | skipped (stale copy) |`, '| --- | ---: | ---: | ---: | ---: |'];
  for (const [table, t] of Object.entries(result.byTable)) lines.push(`| ${table} | ${n(t.inserted)} | ${n(t.identical)} | ${n(t.conflicting)} | ${n(t.skippedRetained)} |`);
  return `${lines.join('\n')}\n`;
}
