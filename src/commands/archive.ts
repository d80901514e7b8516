import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { archiveLedgerCounts, runArchive } from '../archive/archiver.js';
import { LocalDirectoryDestination } from '../archive/destination.js';
import { countEligible } from '../archive/eligible.js';
import { type ArchiveEnvironment, LEASE_NAME } from '../archive/environment.js';
import { locate } from '../archive/locate.js';
import { prepareRestore, restoreArchive } from '../archive/restore.js';
import { checkChunks } from '../archive/verify.js';
import { type ArchiveOptions, archiveMode, archiveOut, declareArchive, planArchive } from '../cli/archive-options.js';
import { archiveListDocument, renderArchiveList, renderArchiveRun, renderDryRun, renderRestore, renderVerify, watchRecordsWarning } from '../cli/archive-render.js';
import { archivePlanMarkdown, archiveRestoreMarkdown, archiveRunMarkdown, archiveVerifyMarkdown } from '../cli/archive-markdown.js';
import { appendToStepSummary } from '../cli/step-summary.js';
import { withStore } from '../cli/context.js';
import { globalOptions } from '../cli/global-options.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import type { CommandIo } from '../cli/io.js';
import { jobContextFor } from '../cli/job-events.js';
import type { AggConfig } from '../config/config.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { runOperation } from '../jobs/operation.js';
import type { JsonValue } from '../core/json.js';
import { InterruptedError } from '../errors.js';
import { commandLine } from './job-command.js';
import type { Store } from '../store/store.js';
import { reportLeaseHeld } from './lease-held.js';
import { helpFooter } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { archiveDocument, archiveListDocument as archiveListSchema, archivePlanDocument, archiveRestoreDocument, archiveVerifyDocument } from '../cli/json-schemas/archive.js';

// `agg archive`: which mode (src/cli/archive-options.ts), the run (src/archive/), what it prints
// (src/cli/archive-render.ts).

export async function runArchiveCommand(command: CommandUnknownOpts, options: ArchiveOptions, io: CommandIo): Promise<number> {
  const mode = archiveMode(options);
  const quiet = globalOptions(command).quiet === true || options.json === true;
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return withStore(command, io, async ({ store, config }) => {
    const run: Leased = { command, io, quiet, skipIfRunning: options.skipIfRunning === true };
    switch (mode) {
      case '--list':
        return list(store, options, out, io.now());
      case '--verify':
        return verify(store, options.verify!, io, options.json === true, out);
      case '--restore':
        return restore(store, options.restore!, run, options.dryRun === true, options.json === true, out);
      default:
        return archive(store, config, options, run, out);
    }
  });
}

/** What an archive or restore run needs to run as an operation. */
interface Leased {
  readonly command: CommandUnknownOpts;
  readonly io: CommandIo;
  readonly quiet: boolean;
  readonly skipIfRunning: boolean;
}

/**
 * Runs an archive or a restore through runOperation: the lease `archive` (one archive or restore at a
 * time per store, as before), a ledger row (`agg runs --command archive`), the progress line. A stop
 * (Ctrl-C, the lease taken over) is the step's error, recorded as interrupted or partial, then rethrown
 * for its exit code; null when another live run holds the lease (reported: exit 75, or 0).
 */
async function leased<T>(
  store: Store,
  run: Leased,
  fields: { target: string; spec: JsonValue; label: string; dryRun: boolean; total: number | null },
  work: (env: ArchiveEnvironment) => Promise<T>,
  counts: (value: T) => Record<string, number>,
): Promise<{ value: T; runId: string | null } | number> {
  const { io } = run;
  const context = jobContextFor(io, { quiet: run.quiet });
  const ran = await runOperation<{ value: T } | { stopped: unknown }>(
    {
      command: 'archive',
      leaseName: LEASE_NAME,
      target: fields.target,
      spec: fields.spec,
      label: fields.label,
      run: async (steps) => {
        const env: ArchiveEnvironment = { store, context, open: (location) => LocalDirectoryDestination.fromLocation(location), total: fields.total, lostTo: steps.lostTo };
        try {
          const value = await work(env);
          return { value: { value }, counts: counts(value), complete: true };
        } catch (error) {
          // Stopped at a safe point: what was done stays, and the same command again finishes it.
          if (!(error instanceof InterruptedError) && steps.lostTo() === null) throw error;
          return { value: { stopped: error }, counts: {}, complete: false };
        }
      },
    },
    { store, context, args: io.redactor.args(commandLine(run.command)), dryRun: fields.dryRun },
  );
  if (ran.kind === 'lease-held') return reportLeaseHeld(io, { command: 'archive', leaseName: ran.leaseName, heldBy: ran.heldBy, resuming: null, skipIfRunning: run.skipIfRunning, canForce: false });
  if ('stopped' in ran.value) throw ran.value.stopped;
  return { value: ran.value.value, runId: ran.runId };
}

async function archive(store: Store, config: AggConfig, options: ArchiveOptions, run: Leased, out: (text: string) => void): Promise<number> {
  const { io } = run;
  const started = io.now();
  const { tables, selection } = planArchive(config, options, started);
  const destination = LocalDirectoryDestination.at(archiveOut(config, options), io.cwd);
  // A bad --out is refused before any work, even when nothing is eligible (a dry run included).
  await destination.check();
  if (tables.includes('watch_records') && options.yes !== true) {
    const [records] = Object.values(await countEligible(store, selection, ['watch_records']));
    if (records!.rows > 0) {
      io.stderr.write(watchRecordsWarning(records!, selection));
      if (!options.dryRun) throw new UsageError('archiving watch records needs --yes to confirm; nothing was changed');
    }
  }
  if (options.dryRun) {
    const eligible = await countEligible(store, selection, tables);
    const unfinished = (await store.maintenance.listArchiveManifests()).filter((row) => row.status === 'exporting' || row.status === 'verified');
    await appendToStepSummary(io, archivePlanMarkdown(selection, tables, eligible, destination.root));
    if (options.json) {
      out(jsonLine(archivePlanDocument, { schema: 'agg.archive.plan/v1', dryRun: true, destination: destination.location, selection, eligible, unfinished: unfinished.map((row) => ({ manifestId: row.manifestId, status: row.status })) }));
      return ExitCode.ok;
    }
    out(renderDryRun(selection, tables, eligible, unfinished, destination.root));
    return ExitCode.ok;
  }
  const ran = await leased(
    store,
    run,
    { target: tables.join(','), spec: { tables, selection, destination: destination.location } as unknown as JsonValue, label: 'archive', dryRun: false, total: null },
    (env) => runArchive(env, destination, selection, tables, config.archive.rowsPerChunk),
    archiveLedgerCounts,
  );
  if (typeof ran === 'number') return ran;
  const result = ran.value;
  await appendToStepSummary(io, archiveRunMarkdown(result, selection, tables, io.now() - started));
  if (options.json) {
    out(jsonLine(archiveDocument, { schema: 'agg.archive/v1', dryRun: false, selection, ...result, ms: io.now() - started }));
    return ExitCode.ok;
  }
  out(renderArchiveRun(result, selection, tables));
  return ExitCode.ok;
}

async function list(store: Store, options: ArchiveOptions, out: (text: string) => void, now: number): Promise<number> {
  const rows = await store.maintenance.listArchiveManifests();
  out(options.json ? jsonLine(archiveListSchema, archiveListDocument(rows)) : renderArchiveList(rows, now));
  return ExitCode.ok;
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
  await appendToStepSummary(io, archiveVerifyMarkdown(archive.manifestId, ok, problems, checks, rows));
  if (json) {
    out(jsonLine(archiveVerifyDocument, { schema: 'agg.archive.verify/v1', manifestId: archive.manifestId, ok, problems, rows, chunks: checks, verifiedAt: ok ? at : null }));
  } else {
    out(renderVerify(archive, checks, problems, ok, rows));
  }
  return ok ? ExitCode.ok : ExitCode.findings;
}

async function restore(store: Store, argument: string, run: Leased, dryRun: boolean, json: boolean, out: (text: string) => void): Promise<number> {
  const { io } = run;
  const archive = await locate(store, argument, io.cwd);
  const started = io.now();
  // Checked before the lease is taken: an archive that cannot be restored leaves no ledger row.
  const prepared = await prepareRestore(archive);
  const ran = await leased(
    store,
    run,
    { target: `restore:${archive.manifestId}`, spec: { restore: archive.manifestId }, label: dryRun ? 'restore (dry run)' : 'restore', dryRun, total: archive.manifest?.rowCount ?? null },
    (env) => restoreArchive(env, prepared, { dryRun }),
    (value) => ({ ...value.totals }),
  );
  if (typeof ran === 'number') return ran;
  const result = ran.value;
  await appendToStepSummary(io, archiveRestoreMarkdown(archive.manifestId, result, dryRun, io.now() - started));
  if (json) {
    out(jsonLine(archiveRestoreDocument, { schema: 'agg.archive.restore/v1', manifestId: archive.manifestId, dryRun, ...result, ms: io.now() - started }));
    return ExitCode.ok;
  }
  out(renderRestore(archive, result, dryRun, io.now() - started));
  return ExitCode.ok;
}

export function registerArchive(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = declareArchive(program).action(async (options, command) => setExit(await runArchiveCommand(command, options, io)));
  helpFooter(command, [
    ['agg archive --dry-run', 'what would be archived, table by table'],
    ['agg archive --table aggregations --older-than 60d --out /srv/agg-archive', ''],
    ['agg archive --list', 'archives, status, rows, size, last verified'],
    ['agg archive --restore arc-20250701T000000000Z-1a2b3c --dry-run', ''],
  ]);
}
