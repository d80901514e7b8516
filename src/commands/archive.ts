import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { runArchive } from '../archive/archiver.js';
import { LocalDirectoryDestination } from '../archive/destination.js';
import { countEligible } from '../archive/eligible.js';
import { type ArchiveEnvironment, withProgress } from '../archive/environment.js';
import { locate } from '../archive/locate.js';
import { restoreArchive } from '../archive/restore.js';
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
import { LeaseHeldError } from '../jobs/lease.js';
import type { Store } from '../store/store.js';
import { reportLeaseHeld } from './lease-held.js';
import { helpFooter } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { archiveDocument, archiveListDocument as archiveListSchema, archivePlanDocument, archiveRestoreDocument, archiveVerifyDocument } from '../cli/json-schemas/archive.js';

// `agg archive`: which mode (src/cli/archive-options.ts), the run (src/archive/), what it prints
// (src/cli/archive-render.ts).

function environment(store: Store, io: CommandIo, quiet: boolean, total: number | null = null): ArchiveEnvironment {
  return { store, context: jobContextFor(io, { quiet }), open: (location) => LocalDirectoryDestination.fromLocation(location), total };
}

export async function runArchiveCommand(command: CommandUnknownOpts, options: ArchiveOptions, io: CommandIo): Promise<number> {
  const mode = archiveMode(options);
  const quiet = globalOptions(command).quiet === true || options.json === true;
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return withStore(command, io, async ({ store, config }) => {
    try {
      switch (mode) {
        case '--list':
          return await list(store, options, out, io.now());
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
  const env = environment(store, io, quiet);
  const result = await withProgress(env, 'archive', () => runArchive(env, destination, selection, tables, config.archive.rowsPerChunk));
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

async function restore(store: Store, argument: string, io: CommandIo, dryRun: boolean, quiet: boolean, json: boolean, out: (text: string) => void): Promise<number> {
  const archive = await locate(store, argument, io.cwd);
  const started = io.now();
  const env = environment(store, io, quiet, archive.manifest?.rowCount ?? null);
  const result = await withProgress(env, dryRun ? 'restore (dry run)' : 'restore', () => restoreArchive(env, archive, { dryRun }));
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
