import type { Command } from '@commander-js/extra-typings';
import { selectionOf } from '../archive/eligible.js';
import type { AggConfig } from '../config/config.js';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { UsageError } from '../errors.js';
import { ARCHIVE_TABLES, type ArchiveTable } from '../store/maintenance.js';
import { parseDurationOption } from './durations.js';
import { configDefault, option } from './help.js';

// The options of `agg archive`: which mode a run is, and which tables and cutoffs it archives.

/** The options of `agg archive`: the command as commander builds it (the action is the command's). */
export function declareArchive(program: Command) {
  return program
    .command('archive')
    .description('move rows past their retention to cold storage (verified gzip JSON Lines chunks), and list, verify or restore archives')
    .addOption(
      option('--table <table>', 'archive this table; repeatable', { shown: configDefault('every table with a retention', 'archive.retention'), words: ARCHIVE_TABLES }).argParser(
        (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
      ),
    )
    .addOption(option('--older-than <duration>', 'archive rows older than this (e.g. 90d)', { shown: configDefault("each table's retention", 'archive.retention') }))
    .addOption(option('--out <dir>', 'destination directory', { shown: configDefault('./archive', 'archive.out') }))
    .option('--dry-run', 'write and delete nothing: count what would be archived (with --restore: what would be put back)')
    .option('--yes', 'confirm archiving watch records (their users\' aggregations are then recomputed without them)')
    .option('--list', 'list archives')
    .option('--verify <manifest>', 're-check an archive\'s checksums (manifest.json path, archive directory or id)')
    .option('--restore <manifest>', 'put an archive\'s rows back (idempotent) and mark it restored')
    .option('--skip-if-running', 'exit 0 instead of 75 when another archive or restore holds the lease')
    .option('--json', 'print one JSON document on stdout');
}

/** Options as commander infers them from declareArchive. */
export type ArchiveOptions = ReturnType<ReturnType<typeof declareArchive>['opts']>;

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

function parseTables(values: readonly string[]): ArchiveTable[] {
  const chosen = new Set<ArchiveTable>();
  for (const value of values.flatMap((v) => v.split(',')).map((v) => v.trim())) {
    const name = TABLE_ALIASES[value];
    if (!name) throw new UsageError(`--table "${value}" is not an archivable table (expected one of: ${ARCHIVE_TABLES.join(', ')}; or records, aggregations, change-log, runs)`);
    chosen.add(name);
  }
  return ARCHIVE_TABLES.filter((t) => chosen.has(t));
}

/** Archiving, --list, --verify or --restore; options that go with another mode are refused. */
export function archiveMode(options: ArchiveOptions): string {
  const modes = [options.list && '--list', options.verify !== undefined && '--verify', options.restore !== undefined && '--restore'].filter((m): m is string => typeof m === 'string');
  if (modes.length > 1) throw new UsageError(`choose one of ${modes.join(', ')} per run`);
  const mode = modes[0] ?? 'archive';
  if (mode !== 'archive') {
    const stray = [options.table !== undefined && '--table', options.olderThan !== undefined && '--older-than', options.out !== undefined && '--out', options.yes && '--yes'].find((x) => typeof x === 'string');
    if (stray) throw new UsageError(`${stray} goes with archiving, not with ${mode}`);
    if (options.dryRun && mode !== '--restore') throw new UsageError(`--dry-run goes with archiving or --restore, not with ${mode}`);
    if (options.skipIfRunning && mode !== '--restore') throw new UsageError(`--skip-if-running goes with archiving or --restore, not with ${mode}`);
  }
  return mode;
}

/** The destination directory as given: --out, else archive.out; an empty --out is refused, not read as the working directory. */
export function archiveOut(config: AggConfig, options: ArchiveOptions): string {
  if (options.out !== undefined && options.out.trim() === '') throw new UsageError('--out needs a directory (an empty value is not the working directory; pass --out . for that)');
  return options.out ?? config.archive.out;
}

/** Which tables, and the cutoff each is compared with: --older-than, else the configured retention. */
export function planArchive(config: AggConfig, options: ArchiveOptions, asOfMs: number) {
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
