import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { CATEGORY_LABELS, type CategoryResult, type CleanupCategory, type CleanupRequest, type CleanupSample, runCleanup } from '../cleanup/cleanup.js';
import { withStore } from '../cli/context.js';
import { globalOptions } from '../cli/global-options.js';
import { ExitCode } from '../cli/errors.js';
import { formatBytes, formatDuration } from '../cli/format.js';
import { plainTable, utcMinute } from '../cli/plain-table.js';
import type { CommandIo } from '../cli/io.js';
import { interruptedExitCode } from '../cli/interruption.js';
import { numberError, parseInteger, readInteger } from '../text/numbers.js';
import { parseInstant } from '../cli/options.js';
import { MAX_DURATION_MS, formatDuration as formatAge, parseDuration } from '../core/duration.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { jobContextFor } from '../cli/job-events.js';
import { runOperation } from '../jobs/operation.js';
import { commandLine } from './job-command.js';
import { reportLeaseHeld } from './lease-held.js';
import { configDefault, helpFooter, option } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { cleanupDocument } from '../cli/json-schemas/cleanup.js';
import { escapeCell } from '../cli/markdown-cell.js';
import { appendToStepSummary } from '../cli/step-summary.js';

/** Options as commander infers them from the declarations in declareCleanup. */
type CleanupOptions = ReturnType<ReturnType<typeof declareCleanup>['opts']>;

const DAY_MS = 86_400_000;

const MAX_DAYS = MAX_DURATION_MS / DAY_MS;

/** DAYS: a whole number of days ("30"), or a duration ("12h", "2w"); at most 36,500 days either way. */
export function parseAge(option: string, text: string): number {
  // 0 is an age: everything up to now.
  const days = readInteger(text, { min: 0, max: MAX_DAYS });
  if (days !== null) return days * DAY_MS;
  const ms = /^\d+$/.test(text) ? null : parseDuration(text, MAX_DURATION_MS, true);
  if (ms !== null) return ms;
  throw numberError(option, text, `a number of days from 0 to ${MAX_DAYS} (e.g. 30) or a duration up to ${formatAge(MAX_DURATION_MS)} (e.g. 12h, 2w)`);
}

function parseBatchSize(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  return parseInteger(text, { option: '--batch-size', min: 1, max: 1000, hint: '(rows per deleting call)' });
}

export async function runCleanupCommand(command: CommandUnknownOpts, options: CleanupOptions, io: CommandIo): Promise<number> {
  const asOfMs = options.asOf === undefined ? io.now() : Date.parse(parseInstant('--as-of', options.asOf));
  const asOf = formatIsoInstant(asOfMs);
  const quiet = globalOptions(command).quiet === true || options.json === true;
  return withStore(command, io, async ({ store, config }) => {
    const defaults = config.cleanup;
    const explicit = options.expired === true || options.orphans === true || options.staleFilters !== undefined || options.changeLog !== undefined || options.runs !== undefined;
    const categories = new Set<CleanupCategory>();
    if (!explicit || options.expired) categories.add('expired');
    if (!explicit || options.staleFilters !== undefined) categories.add('stale-filters');
    if (!explicit || options.orphans) categories.add('orphans');
    if (!explicit || options.changeLog !== undefined) categories.add('change-log');
    if (!explicit || options.runs !== undefined) categories.add('runs');
    const before = (option: string, text: string | undefined, fallback: number) => formatIsoInstant(asOfMs - (text === undefined ? fallback : parseAge(option, text)));
    const staleFiltersBefore = before('--stale-filters', options.staleFilters, defaults.staleFiltersMs);
    const changeLogBefore = before('--change-log', options.changeLog, defaults.changeLogMs);
    const runsBefore = before('--runs', options.runs, defaults.runsMs);
    const batchSize = parseBatchSize(options.batchSize, defaults.batchSize);
    const target = [...categories].join(',');
    const dryRun = options.dryRun === true;
    const request: Omit<CleanupRequest, 'onProgress' | 'signal'> = {
      store,
      categories,
      asOf,
      staleFiltersBefore,
      changeLogBefore,
      runsBefore,
      chunkGraceMs: defaults.chunkGraceMs,
      batchSize,
      dryRun,
      sampleSize: 5,
    };
    // A real cleanup holds the lease cleanup:<categories> (as backfill and validate hold theirs), so two
    // never overlap, and is recorded in the run ledger with what it deleted; a dry run leaves no trace.
    const ran = await runOperation(
      {
        command: 'cleanup',
        leaseName: `cleanup:${target}`,
        target,
        spec: { asOf, categories: [...categories], staleFiltersBefore, changeLogBefore, runsBefore, batchSize },
        label: dryRun ? 'cleanup (dry run)' : 'cleanup',
        run: async (steps) => {
          // Ctrl-C, or another cleanup taking the lease over: stop after the current batch.
          const value = await runCleanup({
            ...request,
            signal: steps.signal,
            onProgress: (category, matched) => steps.progress(matched, CATEGORY_LABELS[category]),
            // The ledger row's counts follow every deleting call, so a kill -9 leaves true counts.
            onDeleted: (results) => steps.record(cleanupCounts(results)),
          });
          return { value, counts: cleanupCounts(value), complete: !steps.signal.aborted };
        },
      },
      { store, context: jobContextFor(io, { quiet }), args: io.redactor.args(commandLine(command)), dryRun },
    );
    if (ran.kind === 'lease-held') {
      return reportLeaseHeld(io, { command: 'cleanup', leaseName: ran.leaseName, heldBy: ran.heldBy, resuming: null, skipIfRunning: options.skipIfRunning === true, canForce: false });
    }
    const results = ran.value;
    const totals = results.reduce((sum, r) => ({ matched: sum.matched + r.matched, deleted: sum.deleted + r.deleted, kept: sum.kept + r.kept, bytes: sum.bytes + r.bytes }), { matched: 0, deleted: 0, kept: 0, bytes: 0 });
    const summary = { asOf, dryRun, batchSize, categories: results, totals, storeCalls: store.stats.calls, ms: ran.ms };
    io.stdout.write(options.json ? jsonLine(cleanupDocument, { schema: 'agg.cleanup/v1', ...summary }) : render(summary));
    // In a CI job, the job summary says what the cleanup did, whatever the output format.
    await appendToStepSummary(io, renderMarkdown(summary, ran.runId, ran.stoppedBy));
    if (ran.stoppedBy === 'interrupted') {
      io.stderr.write('agg: interrupted: stopped after a complete batch; run the same command again to go on\n');
      return interruptedExitCode(io.signal);
    }
    if (ran.stoppedBy === 'lease-lost') {
      io.stderr.write('agg: another cleanup took over the lease; stopped after a complete batch; run the same command again to go on (exit 75)\n');
      return ExitCode.tempfail;
    }
    return ExitCode.ok;
  });
}

/** The run-ledger counts of a cleanup: totals, and rows deleted per category. */
function cleanupCounts(results: readonly CategoryResult[]): Record<string, number> {
  const counts: Record<string, number> = { matched: 0, deleted: 0, kept: 0, bytes: 0 };
  for (const result of results) {
    counts.matched! += result.matched;
    counts.deleted! += result.deleted;
    counts.kept! += result.kept;
    counts.bytes! += result.bytes;
    counts[`deleted:${result.category}`] = result.deleted;
  }
  return counts;
}

/** An instant as the table shows it: minutes, UTC (the JSON has it whole). */
const minute = (instant: string | null | undefined): string => (instant ? `${utcMinute(instant)}Z` : '-');
const short = (hash: unknown): string => String(hash).slice(0, 12);

const RULES: Readonly<Record<CleanupCategory, (cutoff: string) => string>> = {
  expired: (cutoff) => `expiresAt < ${minute(cutoff)}`,
  'stale-filters': (cutoff) => `lastUsed < ${minute(cutoff)}`,
  orphans: () => 'user gone, set unused',
  'orphan-chunks': () => 'no header uses them',
  'change-log': (cutoff) => `changedAt < ${minute(cutoff)}`,
  runs: (cutoff) => `finishedAt < ${minute(cutoff)}`,
};

/** One sampled row as a line. */
function describeSample(category: CleanupCategory, sample: CleanupSample): string {
  switch (category) {
    case 'expired':
      return `${sample.userId} ${sample.aggregationType} ${short(sample.filterHash)} expired ${minute(sample.expiresAt as string)}`;
    case 'stale-filters':
      return `${sample.userId} ${short(sample.filterHash)} last used ${minute(sample.lastUsed as string)} (${sample.usageCount} use${sample.usageCount === 1 ? '' : 's'})`;
    case 'orphans':
      return `${sample.userId} ${sample.aggregationType} ${short(sample.filterHash)}: ${sample.reason}`;
    case 'orphan-chunks':
      return `${sample.userId} ${sample.aggregationType} ${short(sample.filterHash)} data ${short(sample.dataHash)}: ${sample.chunks} chunk${sample.chunks === 1 ? '' : 's'}`;
    case 'change-log':
      return `${sample.changeId} (${sample.changeType}, user ${sample.userId}) changed ${minute(sample.changedAt as string)}`;
    case 'runs':
      return `${sample.runId} (${sample.command}, ${sample.status}) finished ${minute(sample.finishedAt as string | null)}`;
  }
}

function render(summary: CleanupSummary): string {
  const n = (value: number) => value.toLocaleString('en-US');
  // 80 columns: no borders, instants to the minute; --json has everything whole.
  const columns = summary.dryRun
    ? [{ head: 'category' }, { head: 'rule' }, { head: 'rows', align: 'right' as const }, { head: 'bytes', align: 'right' as const }]
    : [{ head: 'category' }, { head: 'rule' }, { head: 'deleted', align: 'right' as const }, { head: 'kept', align: 'right' as const }, { head: 'freed', align: 'right' as const }];
  const rows = summary.categories.map((result) => {
    const rule = RULES[result.category](result.cutoff ?? '');
    return summary.dryRun ? [CATEGORY_LABELS[result.category], rule, n(result.matched), formatBytes(result.bytes)] : [CATEGORY_LABELS[result.category], rule, n(result.deleted), n(result.kept), formatBytes(result.bytes)];
  });
  const lines = [`cleanup as of ${summary.asOf}${summary.dryRun ? ' (dry run: nothing was deleted)' : ''}`, plainTable(columns, rows)];
  lines.push(
    summary.dryRun
      ? `${n(summary.totals.matched)} rows would be deleted, freeing about ${formatBytes(summary.totals.bytes)}`
      : `deleted ${n(summary.totals.deleted)} rows, freed about ${formatBytes(summary.totals.bytes)}${summary.totals.kept > 0 ? `; ${n(summary.totals.kept)} changed since they were found and were kept` : ''} (${formatDuration(summary.ms)})`,
  );
  const samples = summary.categories.filter((r) => r.sample.length > 0);
  if (samples.length > 0) {
    lines.push(summary.dryRun ? 'sample:' : 'sample of what was found:');
    for (const result of samples) {
      lines.push(`  ${CATEGORY_LABELS[result.category]}:`);
      for (const sample of result.sample) lines.push(`    ${describeSample(result.category, sample)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The Markdown summary for a CI job ($GITHUB_STEP_SUMMARY): the verdict, then one row per category. */
function renderMarkdown(summary: CleanupSummary, runId: string | null, stoppedBy: string | null): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const { totals } = summary;
  const headline = summary.dryRun
    ? `## agg cleanup (dry run): ${n(totals.matched)} rows would be deleted, about ${formatBytes(totals.bytes)}`
    : `## agg cleanup: deleted ${n(totals.deleted)} rows, freed about ${formatBytes(totals.bytes)}`;
  const kept = totals.kept > 0 ? `; ${n(totals.kept)} changed since they were found and were kept` : '';
  const stopped =
    stoppedBy === 'interrupted'
      ? ' Interrupted after a complete batch: run the same command again to go on.'
      : stoppedBy === 'lease-lost'
        ? ' Stopped after a complete batch: another cleanup took the lease over.'
        : '';
  const lines = [headline, '', `As of ${summary.asOf}${runId === null ? '' : ` (run \`${runId}\`)`}, in ${formatDuration(summary.ms)}${kept}.${stopped}`, ''];
  lines.push(summary.dryRun ? '| category | rule | rows | bytes |' : '| category | rule | deleted | kept | freed |', summary.dryRun ? '| --- | --- | ---: | ---: |' : '| --- | --- | ---: | ---: | ---: |');
  for (const result of summary.categories) {
    const rule = escapeCell(RULES[result.category](result.cutoff ?? ''));
    const label = CATEGORY_LABELS[result.category];
    lines.push(summary.dryRun ? `| ${label} | ${rule} | ${n(result.matched)} | ${formatBytes(result.bytes)} |` : `| ${label} | ${rule} | ${n(result.deleted)} | ${n(result.kept)} | ${formatBytes(result.bytes)} |`);
  }
  return `${lines.join('\n')}\n`;
}

interface CleanupSummary {
  readonly asOf: string;
  readonly dryRun: boolean;
  readonly categories: readonly CategoryResult[];
  readonly totals: { readonly matched: number; readonly deleted: number; readonly kept: number; readonly bytes: number };
  readonly ms: number;
}

function declareCleanup(program: Command) {
  return program
    .command('cleanup')
    .description('remove expired or orphaned aggregations, unused filter combinations, old change-log entries and runs (no category: all)')
    .option('--expired', 'aggregations whose expiresAt is before now (with their chunk documents)')
    .option('--orphans', 'aggregations of users without records or of filter sets no longer used, and orphaned chunks')
    .addOption(option('--stale-filters <days>', 'filter combinations unused for this many days', { shown: configDefault('90d', 'cleanup.staleFilters') }))
    .addOption(option('--change-log <days>', 'processed change-log entries older than this many days', { shown: configDefault('30d', 'cleanup.changeLog') }))
    .addOption(option('--runs <days>', 'finished run-ledger entries older than this many days', { shown: configDefault('90d', 'cleanup.runs') }))
    .addOption(option('--as-of <iso>', 'the instant to treat as now', { shown: 'the clock' }))
    .addOption(option('--batch-size <n>', 'rows per deleting call, 1–1000', { shown: configDefault('200', 'cleanup.batchSize') }))
    .option('--dry-run', 'delete nothing: print counts by category and a sample')
    .option('--skip-if-running', 'exit 0 instead of 75 when a live cleanup of the same categories holds the lease')
    .option('--json', 'print one JSON document on stdout');
}

export function registerCleanup(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = declareCleanup(program).action(async (options, command) => setExit(await runCleanupCommand(command, options, io)));
  helpFooter(
    command,
    [
      ['agg cleanup --dry-run', 'counts by category and a sample'],
      ['agg cleanup', 'everything, with the configured ages'],
      ['agg cleanup --expired --orphans --batch-size 500', ''],
      ['agg cleanup --change-log 14 --runs 60d --json', ''],
    ],
    ['DAYS is a number of days (30) or a duration (12h, 2w).'],
  );
}
