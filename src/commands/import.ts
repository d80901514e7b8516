import { randomUUID } from 'node:crypto';
import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { formatIsoInstant } from '../core/time/iso.js';
import { withStore } from '../cli/context.js';
import { globalOptions } from '../cli/global-options.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import { maxInputBytes } from '../cli/input-limit.js';
import type { CommandIo } from '../cli/io.js';
import { interruptedExitCode } from '../cli/interruption.js';
import { parseTimeZone } from '../cli/options.js';
import { jobContextFor } from '../cli/job-events.js';
import { parseUserId } from '../cli/user-id.js';
import { formatDuration, makeTable } from '../cli/format.js';
import { type InputFormat, loadRecordsFile } from '../input/load-records.js';
import { type ImportCounts, importLedgerCounts, importRecords, planImport } from '../jobs/import-records.js';
import { runOperation } from '../jobs/operation.js';
import { commandLine } from './job-command.js';
import { reportLeaseHeld } from './lease-held.js';
import { helpFooter } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { importDocument } from '../cli/json-schemas/import.js';

/** Options as commander infers them from the declarations below. */
type ImportOptions = ReturnType<ReturnType<typeof declareImport>['opts']>;

interface ImportSummary {
  file: string;
  format: InputFormat;
  userId: string;
  dryRun: boolean;
  /** The run in the ledger (agg runs); null for a dry run. */
  runId: string | null;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** With --replace: stored records the file no longer has, deleted (or, in a dry run, to delete). */
  deleted: number;
  /** Without --replace: stored records the file does not have, kept. */
  storedNotInFile: number;
  changeId: string | null;
  storeCalls: number;
  ms: number;
}

export async function runImport(command: CommandUnknownOpts, file: string, options: ImportOptions, io: CommandIo): Promise<number> {
  // One FILE for one --user per run: `--user a b` must not leave "b" to be read as anything else.
  const extra = command.args.slice(1);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}: import reads one FILE for one --user ID per run (agg import FILE --user ID)`);
  const userId = parseUserId('--user', options.user);
  const sourceTimeZone = options.sourceTz === undefined ? undefined : parseTimeZone('--source-tz', options.sourceTz);
  const maxBytes = maxInputBytes(command, io.env);
  const started = io.now();
  const loaded = await loadRecordsFile(file, { maxBytes, ...(sourceTimeZone === undefined ? {} : { sourceTimeZone }) });
  const quiet = globalQuiet(command);
  const undated = loaded.report?.undated ?? 0;
  if (undated > 0) {
    // Kept, never guessed: but they count in no timeframe but All, so say so.
    const reasons = Object.entries(loaded.report!.undatedReasons).map(([reason, n]) => `${reason}: ${n}`).join(', ');
    io.stderr.write(
      `agg: warning: ${undated} of ${loaded.report!.watches} watches in ${file} have no usable time and are stored undated (${reasons}); agg parse ${file} lists why${loaded.format === 'takeout-html' && sourceTimeZone === undefined ? ', and --source-tz resolves timestamps without a known zone' : ''}\n`,
    );
  }
  return withStore(command, io, async ({ store }) => {
    // One change-log entry per import run: every batch (and any retry of one) extends the same entry.
    const changeId = `import:${userId}:${formatIsoInstant(started)}:${randomUUID().slice(0, 8)}`;
    const replace = options.replace === true;
    let runId: string | null = null;
    let counts: ImportCounts;
    let interruptedAt: number | null = null;
    if (options.dryRun) counts = await planImport(store, userId, loaded.records, replace);
    else {
      // The lease is the user's: two imports of one user never interleave; other users' are not held up.
      const ran = await runOperation(
        {
          command: 'import',
          leaseName: `import:${userId}`,
          target: userId,
          spec: { userId, file, format: loaded.format, replace },
          label: `importing into ${userId}`,
          run: async (steps) => {
            const outcome = await importRecords({ store, now: io.now, userId, records: loaded.records, changeId, replace }, steps);
            return { value: outcome, counts: importLedgerCounts(loaded.records.length, outcome.counts), complete: outcome.interruptedAt === null };
          },
        },
        { store, context: jobContextFor(io, { quiet: quiet || options.json === true }), args: io.redactor.args(commandLine(command)), dryRun: false },
      );
      if (ran.kind === 'lease-held') {
        return reportLeaseHeld(io, { command: 'import', leaseName: ran.leaseName, heldBy: ran.heldBy, resuming: null, skipIfRunning: options.skipIfRunning === true, canForce: false });
      }
      ({ counts, interruptedAt } = ran.value);
      runId = ran.runId;
      if (ran.stoppedBy === 'lease-lost') {
        io.stderr.write(`agg: another import for ${userId} took over the lease import:${userId}; stopped after ${(interruptedAt ?? 0).toLocaleString('en-US')} records; run the same import again to finish (exit 75)\n`);
        return ExitCode.tempfail;
      }
    }
    const changed = counts.inserted + counts.updated + counts.deleted > 0;
    const summary: ImportSummary = {
      file,
      format: loaded.format,
      userId,
      dryRun: options.dryRun === true,
      runId,
      records: loaded.records.length,
      ...counts,
      changeId: changed && !options.dryRun ? changeId : null,
      storeCalls: store.stats.calls,
      ms: io.now() - started,
    };
    if (interruptedAt !== null) {
      if (options.json) io.stdout.write(jsonLine(importDocument, { schema: 'agg.import/v1', ...summary, interrupted: true, recordsWritten: interruptedAt }));
      io.stderr.write(
        `agg: interrupted after ${interruptedAt.toLocaleString('en-US')} of ${loaded.records.length.toLocaleString('en-US')} records; run the same import again to finish (it changes nothing twice)\n`,
      );
      return interruptedExitCode(io.signal);
    }
    io.stdout.write(options.json ? jsonLine(importDocument, { schema: 'agg.import/v1', ...summary }) : readable(summary));
    return 0;
  });
}

function globalQuiet(command: CommandUnknownOpts): boolean {
  return globalOptions(command).quiet === true;
}

function readable(summary: ImportSummary): string {
  const table = makeTable(['records', 'inserted', 'updated', 'unchanged', 'deleted'], { colAligns: ['right', 'right', 'right', 'right', 'right'] });
  table.push([summary.records, summary.inserted, summary.updated, summary.unchanged, summary.deleted].map((n) => n.toLocaleString('en-US')));
  const verb = summary.dryRun ? 'would import' : 'imported';
  const change = summary.dryRun
    ? 'dry run: nothing was written'
    : summary.changeId === null
      ? 'nothing changed: no change-log entry written'
      : `change-log entry ${summary.changeId} (backfill --changed will pick this user up)`;
  // The time is what this run took (reading and comparing, in a dry run), never a forecast.
  const took = summary.dryRun ? `checked in ${formatDuration(summary.ms)}` : `in ${formatDuration(summary.ms)}`;
  const lacking =
    summary.storedNotInFile > 0
      ? `${summary.storedNotInFile.toLocaleString('en-US')} stored record${summary.storedNotInFile === 1 ? '' : 's'} of ${summary.userId} ${summary.storedNotInFile === 1 ? 'is' : 'are'} not in this file and ${summary.dryRun ? 'would be' : 'were'} kept; --replace makes the records equal to the file\n`
      : '';
  return `${verb} ${summary.file} (${summary.format}) for user ${summary.userId} (${took})\n${table.toString()}\n${change}\n${lacking}`;
}

function declareImport(program: Command) {
  return program
    .command('import')
    .description('load a Takeout export or records file into the store for one user (idempotent)')
    .usage('<file> --user <id> [options]')
    .argument('<file>', 'Takeout watch-history.json/.html, or a records file (JSON array or JSON Lines)')
    .requiredOption('--user <id>', 'the user the records belong to (one per run)')
    .option('--source-tz <zone>', 'IANA zone for Takeout HTML timestamps whose zone is not in the text')
    .option('--replace', "make the user's records equal to the file: also delete stored records the file no longer has")
    .option('--dry-run', 'report what would be inserted, updated, deleted or left unchanged; write nothing')
    .option('--skip-if-running', 'exit 0 (not 75) when another import for this user holds the lease')
    .option('--json', 'print one JSON document on stdout')
    // Extra arguments get import's own message (runImport) rather than commander's count.
    .allowExcessArguments(true);
}

export function registerImport(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = declareImport(program).action(async (file, options, command) => setExit(await runImport(command, file, options, io)));
  helpFooter(command, [
    ['agg import watch-history.json --user alice', 'a Takeout export'],
    ['agg import records.jsonl --user alice --dry-run', 'what would change; writes nothing'],
    ['agg import watch-history.html --user bob --source-tz Europe/Dublin', ''],
    ['agg import watch-history.json --user alice --replace', 'also delete what the file lacks'],
  ]);
}
