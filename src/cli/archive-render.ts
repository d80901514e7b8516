import type { ArchiveOutcome, Leftovers } from '../archive/archiver.js';
import { LocalDirectoryDestination } from '../archive/destination.js';
import type { Selection } from '../archive/format.js';
import { parseRowManifest } from '../archive/manifest-row.js';
import type { RestoreTotals } from '../archive/restore.js';
import type { ChunkCheck, LoadedArchive } from '../archive/verify.js';
import { formatDuration as formatAge } from '../core/duration.js';
import type { ArchiveManifestRow, ArchiveTable } from '../store/maintenance.js';
import { formatBytes, formatDuration, makeTable } from './format.js';
import { compactSpan, plainTable } from './plain-table.js';
import type { DocumentOf } from './json-schemas/common.js';
import type { archiveListDocument as archiveListSchema } from './json-schemas/archive.js';

// What `agg archive` prints: its tables and lines, for archiving, --dry-run, --list, --verify and --restore.

const n = (value: number): string => value.toLocaleString('en-US');
const table = (head: string[], aligns?: Array<'left' | 'right'>) => makeTable(head, { colAligns: aligns ?? head.map(() => 'left' as const) });

function describeStatus(status: ArchiveManifestRow['status']): string {
  return { exporting: 'exporting (unfinished)', verified: 'deleting rows (unfinished)', deleted: 'complete', restored: 'restored' }[status];
}

/** The --yes warning: archiving watch records takes them out of their users' aggregations. */
export function watchRecordsWarning(records: { rows: number; users: number }, selection: Selection): string {
  return `agg: warning: archiving watch records removes ${n(records.rows)} records of ${n(records.users)} user${records.users === 1 ? '' : 's'} (watched before ${selection.tables.watch_records!.watchedBefore}) from the store; their aggregations will be recomputed without them (agg backfill --changed picks them up), until agg archive --restore puts them back\n`;
}

export function renderDryRun(
  selection: Selection,
  tables: readonly ArchiveTable[],
  eligible: Record<string, { rows: number; bytes: number }>,
  unfinished: readonly ArchiveManifestRow[],
  root: string,
): string {
  const rows = table(['table', 'rule', 'rows', 'size (uncompressed)'], ['left', 'left', 'right', 'right']);
  for (const t of tables) rows.push([t, ruleOf(selection, t), n(eligible[t]!.rows), formatBytes(eligible[t]!.bytes)]);
  const lines = [`archive dry run as of ${selection.asOf}: nothing was written or deleted; destination ${root}`, tables.length > 0 ? rows.toString() : 'no table has a retention: nothing would be archived'];
  for (const row of unfinished) lines.push(`a real run would first ${row.status === 'exporting' ? 'discard the unfinished export' : 'finish deleting the rows of'} ${row.manifestId}`);
  return lines.join('\n');
}

export function renderArchiveRun(result: { leftovers: Leftovers; archives: ArchiveOutcome[] }, selection: Selection, tables: readonly ArchiveTable[]): string {
  const lines: string[] = [];
  for (const discarded of result.leftovers.discarded) lines.push(`discarded the unfinished export ${discarded.manifestId} left by an interrupted run (nothing of it had been deleted)`);
  for (const resumed of result.leftovers.resumed) lines.push(...describeArchive(resumed));
  for (const archived of result.archives) lines.push(...describeArchive(archived));
  if (result.archives.length === 0) lines.push(`nothing to archive: no rows past their retention (${tables.map((t) => `${t}: ${ruleOf(selection, t)}`).join('; ') || 'no table has a retention'})`);
  return lines.join('\n');
}

export function ruleOf(selection: Selection, t: ArchiveTable): string {
  const s = selection.tables;
  switch (t) {
    case 'watch_records':
      return `watched before ${s.watch_records?.watchedBefore}`;
    case 'precomputed_aggregations': {
      const cutoffs = [...new Set(Object.values(s.precomputed_aggregations?.expiredBefore ?? {}))].sort();
      if (cutoffs.length === 1) return `expired before ${cutoffs[0]}`;
      // Older cutoffs mean longer retention.
      const ages = cutoffs.map((cutoff) => formatAge(Date.parse(selection.asOf) - Date.parse(cutoff)));
      return `expired more than ${ages.at(-1)}–${ages[0]} ago, by type`;
    }
    case 'data_change_log':
      return `processed, changed before ${s.data_change_log?.processedAndChangedBefore}`;
    case 'agg_runs':
      return `finished before ${s.agg_runs?.finishedBefore}`;
  }
}

function describeArchive(archive: ArchiveOutcome): string[] {
  const d = archive.deletion;
  return [
    `${archive.resumed ? 'finished the interrupted archive' : 'archived'} ${n(archive.rows)} rows into ${archive.manifestId} (${archive.location}): ${archive.chunks} chunk${archive.chunks === 1 ? '' : 's'}, ${formatBytes(archive.bytes)}, every chunk verified`,
    `  ${Object.entries(archive.tables).map(([t, rows]) => `${t} ${n(rows)}`).join(' · ')}`,
    `  deleted ${n(d.deleted)} from the store${d.alreadyGone > 0 ? `, ${n(d.alreadyGone)} already gone` : ''}${d.retained > 0 ? `, ${n(d.retained)} kept because they changed since the export (a restore skips their stale copies)` : ''}; about ${formatBytes(d.bytesFreed)} freed`,
  ];
}

/** The --list --json document. */
export function archiveListDocument(rows: readonly ArchiveManifestRow[]): DocumentOf<typeof archiveListSchema> {
  return {
    schema: 'agg.archive.list/v1',
    archives: rows.map((row) => {
      const manifest = parseRowManifest(row);
      return { manifestId: row.manifestId, createdAt: row.createdAt, status: row.status, tables: row.tables, rows: row.rowCount, bytes: row.bytes, verifiedAt: row.verifiedAt, destination: row.destination, deletion: manifest.deletion ?? null, restores: manifest.restores ?? [] };
    }),
  };
}

/** The short names --table takes, for lines that must fit 80 columns. */
const SHORT_TABLE: Readonly<Record<string, string>> = { watch_records: 'records', precomputed_aggregations: 'aggregations', data_change_log: 'change-log', agg_runs: 'runs' };

/** 80 columns: one line per archive, then its tables and last verification, then its place. */
export function renderArchiveList(rows: readonly ArchiveManifestRow[], now: number = Date.now()): string {
  if (rows.length === 0) return 'no archives yet';
  const age = (instant: string | null) => (instant === null ? 'never' : compactSpan(now - Date.parse(instant)));
  const lines = plainTable(
    [{ head: 'archive' }, { head: 'status', max: 26 }, { head: 'rows', align: 'right' }, { head: 'size', align: 'right' }, { head: 'age', align: 'right' }],
    rows.map((row) => [row.manifestId, describeStatus(row.status), n(row.rowCount), formatBytes(row.bytes), age(row.createdAt)]),
  ).split('\n');
  const out = [lines[0]!];
  rows.forEach((row, i) => {
    const where = LocalDirectoryDestination.fromLocation(row.destination)?.describe(row.manifestId) ?? row.destination;
    const verified = row.verifiedAt === null ? 'never verified' : `verified ${age(row.verifiedAt)} ago`;
    out.push(lines[i + 1]!, `  ${row.tables.map((table) => SHORT_TABLE[table] ?? table).join(', ')}; ${verified}`, `  in ${where}`);
  });
  return `${out.join('\n')}\n${rows.length} archive${rows.length === 1 ? '' : 's'}`;
}

export function renderVerify(archive: LoadedArchive, checks: readonly ChunkCheck[], problems: readonly string[], ok: boolean, rows: number): string {
  const lines = [`archive ${archive.manifestId} (${archive.destination.describe(archive.manifestId)})`];
  if (checks.length > 0) {
    const t = table(['chunk', 'table', 'rows', 'check']);
    for (const check of checks) t.push([check.file, check.table, n(check.rows), check.problem ?? 'ok']);
    lines.push(t.toString());
  }
  for (const problem of archive.manifestProblems) lines.push(`problem: ${problem}`);
  lines.push(ok ? `verified: ${checks.length} chunks, ${n(rows)} rows, every SHA-256 and row count as recorded` : `FAILED: ${problems.length} problem${problems.length === 1 ? '' : 's'}; do not rely on this archive until its chunks are restored from a copy`);
  return lines.join('\n');
}

export function renderRestore(archive: LoadedArchive, result: { totals: RestoreTotals; byTable: Record<string, RestoreTotals> }, dryRun: boolean, ms: number): string {
  const t = table(['table', dryRun ? 'would insert' : 'inserted', 'already there', 'kept (newer in the store)', 'skipped (stale copy)'], ['left', 'right', 'right', 'right', 'right']);
  for (const [name, totals] of Object.entries(result.byTable)) t.push([name, n(totals.inserted), n(totals.identical), n(totals.conflicting), n(totals.skippedRetained)]);
  const { totals } = result;
  const lines = [`${dryRun ? 'restore dry run of' : 'restored'} archive ${archive.manifestId} (${formatDuration(ms)})`, t.toString()];
  lines.push(
    dryRun
      ? `${n(totals.inserted)} rows would be put back; nothing was written`
      : `${n(totals.inserted)} rows put back${archive.row ? '; the archive is marked restored' : ' (this store has no record of the archive)'}${totals.inserted > 0 && result.byTable.watch_records?.inserted ? '; backfill --changed will recompute the affected users' : ''}`,
  );
  return lines.join('\n');
}
