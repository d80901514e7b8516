import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  type ArchiveEnvironment,
  type ArchiveOutcome,
  type LoadedArchive,
  checkChunks,
  countEligible,
  loadArchive,
  parseRowManifest,
  restoreArchive,
  runArchive,
  selectionOf,
} from '../archive/archiver.js';
import { type ArchiveDestination, LocalDirectoryDestination } from '../archive/destination.js';
import { MANIFEST_FILE } from '../archive/format.js';
import { withStore } from '../cli/context.js';
import { parseDurationOption } from '../cli/durations.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import { formatBytes, formatDuration, makeTable } from '../cli/format.js';
import type { CommandIo } from '../cli/io.js';
import { startProgress } from '../cli/progress.js';
import type { AggConfig } from '../config/config.js';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { formatDuration as formatAge } from '../core/duration.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { LeaseHeldError } from '../jobs/lease.js';
import { ARCHIVE_TABLES, type ArchiveManifestRow, type ArchiveTable } from '../store/maintenance.js';
import type { Store } from '../store/store.js';
import { reportLeaseHeld } from './lease-held.js';

interface ArchiveOptions {
  table?: string[];
  olderThan?: string;
  out?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  list?: boolean;
  verify?: string;
  restore?: string;
  skipIfRunning?: boolean;
}

const TABLE_ALIASES: Readonly<Record<string, ArchiveTable>> = {
  watch_records: 'watch_records',
  records: 'watch_records',
  precomputed_aggregations: 'precomputed_aggregations',
  aggregations: 'precomputed_aggregations',
  data_change_log: 'data_change_log',
  'change-log': 'data_change_log',
  agg_runs: 'agg_runs',
  runs: 'agg_runs',
};

const n = (value: number): string => value.toLocaleString('en-US');
const table = (head: string[], aligns?: Array<'left' | 'right'>) => makeTable(head, { colAligns: aligns ?? head.map(() => 'left' as const) });

function parseTables(values: readonly string[]): ArchiveTable[] {
  const chosen = new Set<ArchiveTable>();
  for (const value of values.flatMap((v) => v.split(',')).map((v) => v.trim())) {
    const name = TABLE_ALIASES[value];
    if (!name) throw new UsageError(`--table "${value}" is not an archivable table (expected one of: ${ARCHIVE_TABLES.join(', ')}; or records, aggregations, change-log, runs)`);
    chosen.add(name);
  }
  return ARCHIVE_TABLES.filter((t) => chosen.has(t));
}

function environment(store: Store, io: CommandIo, onProgress?: ArchiveEnvironment['onProgress']): ArchiveEnvironment {
  return {
    store,
    now: io.now,
    ...(io.signal ? { signal: io.signal } : {}),
    open: (location) => LocalDirectoryDestination.fromLocation(location),
    ...(onProgress ? { onProgress } : {}),
    onTakeover: (line) => io.stderr.write(`agg: ${line}\n`),
  };
}

/** Which tables, and the cutoff each is compared with: --older-than, else the configured retention. */
function plan(config: AggConfig, options: ArchiveOptions, asOfMs: number) {
  const explicit = options.table !== undefined;
  const tables = explicit ? parseTables(options.table!) : [...ARCHIVE_TABLES];
  let olderThan: number | null = null;
  if (options.olderThan !== undefined) olderThan = parseDurationOption(options.olderThan, { option: '--older-than', examples: '30d, 12w, 2160h, 0d (everything eligible now)', zero: { allowed: true } });
  const retention = config.archive.retention;
  const cutoff = (ms: number | null) => (ms === null ? undefined : formatIsoInstant(asOfMs - ms));
  const chosen: ArchiveTable[] = [];
  const selection: { watchedBefore?: string; expiredBefore?: Partial<Record<AggregationType, string>>; changesBefore?: string; runsBefore?: string } = {};
  const refuse = (t: string, key: string) => {
    if (explicit) throw new UsageError(`${t} has no retention in agg.config.json (archive.retention.${key} is "never" or unset); pass --older-than DURATION to archive it`);
  };
  for (const t of tables) {
    switch (t) {
      case 'watch_records': {
        const before = cutoff(olderThan ?? retention.watch_records);
        if (before === undefined) refuse(t, t);
        else (selection.watchedBefore = before), chosen.push(t);
        break;
      }
      case 'precomputed_aggregations': {
        const byType = Object.fromEntries(
          AGGREGATION_TYPES.map((type) => [type, cutoff(olderThan ?? retention.precomputed_aggregations[type])]).filter(([, before]) => before !== undefined),
        ) as Partial<Record<AggregationType, string>>;
        if (Object.keys(byType).length === 0) refuse(t, t);
        else (selection.expiredBefore = byType), chosen.push(t);
        break;
      }
      case 'data_change_log': {
        const before = cutoff(olderThan ?? retention.data_change_log);
        if (before === undefined) refuse(t, t);
        else (selection.changesBefore = before), chosen.push(t);
        break;
      }
      case 'agg_runs': {
        const before = cutoff(olderThan ?? retention.agg_runs);
        if (before === undefined) refuse(t, t);
        else (selection.runsBefore = before), chosen.push(t);
        break;
      }
    }
  }
  return { tables: chosen, selection: selectionOf({ asOf: formatIsoInstant(asOfMs), tables: chosen, ...selection }) };
}

function describeStatus(status: ArchiveManifestRow['status']): string {
  return { exporting: 'exporting (unfinished)', verified: 'deleting rows (unfinished)', deleted: 'complete', restored: 'restored' }[status];
}

export async function runArchiveCommand(command: Command, options: ArchiveOptions, io: CommandIo): Promise<number> {
  const modes = [options.list && '--list', options.verify !== undefined && '--verify', options.restore !== undefined && '--restore'].filter((m): m is string => typeof m === 'string');
  if (modes.length > 1) throw new UsageError(`choose one of ${modes.join(', ')} per run`);
  const mode = modes[0] ?? 'archive';
  if (mode !== 'archive') {
    const stray = [options.table !== undefined && '--table', options.olderThan !== undefined && '--older-than', options.out !== undefined && '--out', options.yes && '--yes'].find((x) => typeof x === 'string');
    if (stray) throw new UsageError(`${stray} goes with archiving, not with ${mode}`);
    if (options.dryRun && mode !== '--restore') throw new UsageError(`--dry-run goes with archiving or --restore, not with ${mode}`);
    if (options.skipIfRunning && mode !== '--restore') throw new UsageError(`--skip-if-running goes with archiving or --restore, not with ${mode}`);
  }
  const quiet = (command.optsWithGlobals() as { quiet?: boolean }).quiet === true || options.json === true;
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return withStore(command, io, async ({ store, config }) => {
    try {
      switch (mode) {
        case '--list':
          return await list(store, options, out);
        case '--verify':
          return await verify(store, options.verify!, io, options.json === true, out);
        case '--restore':
          return await restore(store, options.restore!, io, options.dryRun === true, quiet, options.json === true, out);
        default:
          return await archive(store, config, options, io, quiet, out);
      }
    } catch (error) {
      // Another live archive or restore holds the lease: nothing was done (exit 75, or 0 with --skip-if-running).
      if (!(error instanceof LeaseHeldError)) throw error;
      return reportLeaseHeld(io, { command: 'archive', leaseName: error.leaseName, heldBy: error.heldBy, resuming: null, skipIfRunning: options.skipIfRunning === true, canForce: false });
    }
  });
}

async function archive(store: Store, config: AggConfig, options: ArchiveOptions, io: CommandIo, quiet: boolean, out: (text: string) => void): Promise<number> {
  const started = io.now();
  const { tables, selection } = plan(config, options, started);
  const destination = LocalDirectoryDestination.at(options.out ?? config.archive.out, io.cwd);
  if (tables.includes('watch_records') && options.yes !== true) {
    const [records] = Object.values(await countEligible(store, selection, ['watch_records']));
    if (records!.rows > 0) {
      io.stderr.write(
        `agg: warning: archiving watch records removes ${n(records!.rows)} records of ${n(records!.users)} user${records!.users === 1 ? '' : 's'} (watched before ${selection.tables.watch_records!.watchedBefore}) from the store; their aggregations will be recomputed without them (agg backfill --changed picks them up), until agg archive --restore puts them back\n`,
      );
      if (!options.dryRun) throw new UsageError('archiving watch records needs --yes to confirm; nothing was changed');
    }
  }
  if (options.dryRun) {
    const eligible = await countEligible(store, selection, tables);
    const unfinished = (await store.maintenance.listArchiveManifests()).filter((row) => row.status === 'exporting' || row.status === 'verified');
    const summary = { dryRun: true, destination: destination.location, selection, eligible, unfinished: unfinished.map((row) => ({ manifestId: row.manifestId, status: row.status })) };
    if (options.json) {
      out(JSON.stringify(summary));
      return ExitCode.ok;
    }
    const rows = table(['table', 'rule', 'rows', 'size (uncompressed)'], ['left', 'left', 'right', 'right']);
    for (const t of tables) rows.push([t, ruleOf(selection, t), n(eligible[t]!.rows), formatBytes(eligible[t]!.bytes)]);
    const lines = [`archive dry run as of ${selection.asOf}: nothing was written or deleted; destination ${destination.root}`, tables.length > 0 ? rows.toString() : 'no table has a retention: nothing would be archived'];
    for (const row of unfinished) lines.push(`a real run would first ${row.status === 'exporting' ? 'discard the unfinished export' : 'finish deleting the rows of'} ${row.manifestId}`);
    out(lines.join('\n'));
    return ExitCode.ok;
  }
  const progress = startProgress(io, 'archive', { quiet });
  const result = await runArchive(
    environment(store, io, (phase, done) => progress.update({ done, total: null, unit: `rows ${phase}` })),
    destination,
    selection,
    tables,
    config.archive.rowsPerChunk,
  );
  progress.stop();
  if (options.json) {
    out(JSON.stringify({ dryRun: false, selection, ...result, ms: io.now() - started }));
    return ExitCode.ok;
  }
  const lines: string[] = [];
  for (const discarded of result.leftovers.discarded) lines.push(`discarded the unfinished export ${discarded.manifestId} left by an interrupted run (nothing of it had been deleted)`);
  for (const resumed of result.leftovers.resumed) lines.push(...describeArchive(resumed));
  for (const archived of result.archives) lines.push(...describeArchive(archived));
  if (result.archives.length === 0) lines.push(`nothing to archive: no rows past their retention (${tables.map((t) => `${t}: ${ruleOf(selection, t)}`).join('; ') || 'no table has a retention'})`);
  out(lines.join('\n'));
  return ExitCode.ok;
}

function ruleOf(selection: ReturnType<typeof selectionOf>, t: ArchiveTable): string {
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

async function list(store: Store, options: ArchiveOptions, out: (text: string) => void): Promise<number> {
  const rows = await store.maintenance.listArchiveManifests();
  if (options.json) {
    out(
      JSON.stringify({
        archives: rows.map((row) => {
          const manifest = parseRowManifest(row);
          return { manifestId: row.manifestId, createdAt: row.createdAt, status: row.status, tables: row.tables, rows: row.rowCount, bytes: row.bytes, verifiedAt: row.verifiedAt, destination: row.destination, deletion: manifest.deletion ?? null, restores: manifest.restores ?? [] };
        }),
      }),
    );
    return ExitCode.ok;
  }
  if (rows.length === 0) {
    out('no archives yet');
    return ExitCode.ok;
  }
  const t = table(['archive', 'created', 'status', 'tables', 'rows', 'size', 'last verified', 'where'], ['left', 'left', 'left', 'left', 'right', 'right', 'left', 'left']);
  for (const row of rows) {
    const where = LocalDirectoryDestination.fromLocation(row.destination)?.describe(row.manifestId) ?? row.destination;
    t.push([row.manifestId, row.createdAt, describeStatus(row.status), row.tables.join(', '), n(row.rowCount), formatBytes(row.bytes), row.verifiedAt ?? '-', where]);
  }
  out(`${t.toString()}\n${rows.length} archive${rows.length === 1 ? '' : 's'}`);
  return ExitCode.ok;
}

/** MANIFEST is a manifest.json path, an archive directory, or an archive id from --list. */
async function locate(store: Store, argument: string, cwd: string): Promise<LoadedArchive> {
  const path = resolve(cwd, argument);
  const info = await stat(path).catch(() => null);
  if (info !== null) {
    const dir = info.isDirectory() ? path : dirname(path);
    if (!info.isDirectory() && basename(path) !== MANIFEST_FILE) throw new UsageError(`${argument}: expected an archive's ${MANIFEST_FILE}, its directory, or an archive id`);
    const manifestId = basename(dir);
    const destination: ArchiveDestination = new LocalDirectoryDestination(dirname(dir));
    const row = await store.maintenance.getArchiveManifest(manifestId);
    // Without a manifest and unknown to the store, the directory is no archive (a damaged one has either).
    if (row === null && info.isDirectory() && (await stat(join(dir, MANIFEST_FILE)).catch(() => null)) === null) {
      throw new UsageError(`${argument}: not an archive (no ${MANIFEST_FILE} in it, and this store has no archive ${manifestId}); see agg archive --list`);
    }
    return loadArchive(destination, manifestId, row);
  }
  if (/^arc-[0-9A-Za-z-]+$/.test(argument)) {
    const row = await store.maintenance.getArchiveManifest(argument);
    if (row === null) throw new UsageError(`no archive ${argument} in this store (see agg archive --list), and no such path`);
    const destination = LocalDirectoryDestination.fromLocation(row.destination);
    if (destination === null) throw new UsageError(`archive ${argument} lives at ${row.destination}, which this agg cannot open`);
    return loadArchive(destination, argument, row);
  }
  throw new UsageError(`${argument}: no such file or directory (expected a ${MANIFEST_FILE} path, an archive directory, or an archive id from agg archive --list)`);
}

async function verify(store: Store, argument: string, io: CommandIo, json: boolean, out: (text: string) => void): Promise<number> {
  const archive = await locate(store, argument, io.cwd);
  const checks = archive.manifest ? await checkChunks(archive.destination, archive.manifest) : [];
  const problems = [...archive.manifestProblems, ...checks.filter((c) => c.problem !== null).map((c) => c.problem!)];
  const ok = problems.length === 0 && archive.manifest !== null;
  const at = formatIsoInstant(io.now());
  if (ok && archive.row) {
    // Remember when it was last found intact (agg archive --list, agg status).
    await store.maintenance.putArchiveManifest({ ...archive.row, verifiedAt: at }, archive.row.status);
  }
  const rows = checks.reduce((sum, c) => sum + c.rows, 0);
  if (json) {
    out(JSON.stringify({ manifestId: archive.manifestId, ok, problems, rows, chunks: checks, verifiedAt: ok ? at : null }));
  } else {
    const lines = [`archive ${archive.manifestId} (${archive.destination.describe(archive.manifestId)})`];
    if (checks.length > 0) {
      const t = table(['chunk', 'table', 'rows', 'check']);
      for (const check of checks) t.push([check.file, check.table, n(check.rows), check.problem ?? 'ok']);
      lines.push(t.toString());
    }
    for (const problem of archive.manifestProblems) lines.push(`problem: ${problem}`);
    lines.push(ok ? `verified: ${checks.length} chunks, ${n(rows)} rows, every SHA-256 and row count as recorded` : `FAILED: ${problems.length} problem${problems.length === 1 ? '' : 's'}; do not rely on this archive until its chunks are restored from a copy`);
    out(lines.join('\n'));
  }
  return ok ? ExitCode.ok : ExitCode.findings;
}

async function restore(store: Store, argument: string, io: CommandIo, dryRun: boolean, quiet: boolean, json: boolean, out: (text: string) => void): Promise<number> {
  const archive = await locate(store, argument, io.cwd);
  const started = io.now();
  const progress = startProgress(io, dryRun ? 'restore (dry run)' : 'restore', { quiet });
  const result = await restoreArchive(environment(store, io, (phase, done) => progress.update({ done, total: archive.manifest?.rowCount ?? null, unit: `rows ${phase}` })), archive, { dryRun });
  progress.stop();
  if (json) {
    out(JSON.stringify({ manifestId: archive.manifestId, dryRun, ...result, ms: io.now() - started }));
    return ExitCode.ok;
  }
  const t = table(['table', dryRun ? 'would insert' : 'inserted', 'already there', 'kept (newer in the store)', 'skipped (stale copy)'], ['left', 'right', 'right', 'right', 'right']);
  for (const [name, totals] of Object.entries(result.byTable)) t.push([name, n(totals.inserted), n(totals.identical), n(totals.conflicting), n(totals.skippedRetained)]);
  const { totals } = result;
  const lines = [`${dryRun ? 'restore dry run of' : 'restored'} archive ${archive.manifestId} (${formatDuration(io.now() - started)})`, t.toString()];
  lines.push(
    dryRun
      ? `${n(totals.inserted)} rows would be put back; nothing was written`
      : `${n(totals.inserted)} rows put back${archive.row ? '; the archive is marked restored' : ' (this store has no record of the archive)'}${totals.inserted > 0 && result.byTable.watch_records?.inserted ? '; backfill --changed will recompute the affected users' : ''}`,
  );
  out(lines.join('\n'));
  return ExitCode.ok;
}

export function registerArchive(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  program
    .command('archive')
    .description('move rows past their retention to cold storage (verified gzip JSON Lines chunks), and list, verify or restore archives')
    .option('--table <table>', 'archive this table (repeatable; default: every table with a retention in agg.config.json)', (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option('--older-than <duration>', 'archive rows older than this (e.g. 90d), instead of the configured retention')
    .option('--out <dir>', 'destination directory (default from agg.config.json: ./archive)')
    .option('--dry-run', 'write and delete nothing: count what would be archived (with --restore: what would be put back)')
    .option('--yes', 'confirm archiving watch records (their users\' aggregations are then recomputed without them)')
    .option('--list', 'list archives')
    .option('--verify <manifest>', 're-check an archive\'s checksums (manifest.json path, archive directory or id)')
    .option('--restore <manifest>', 'put an archive\'s rows back (idempotent) and mark it restored')
    .option('--skip-if-running', 'exit 0 instead of 75 when another archive or restore holds the lease')
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: ArchiveOptions, command: Command) => setExit(await runArchiveCommand(command, options, io)));
}
