import type { Command } from 'commander';
import { withStore } from '../cli/context.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import { formatDuration, makeTable } from '../cli/format.js';
import { interruptedExitCode } from '../cli/interruption.js';
import type { CommandIo } from '../cli/io.js';
import { startProgress } from '../cli/progress.js';
import { parseUserId } from '../cli/user-id.js';
import { LeaseHolder, describeTakeover } from '../jobs/lease.js';
import { withLedgerRow } from '../jobs/operation-ledger.js';
import { newRunId } from '../jobs/task.js';
import type { Store } from '../store/store.js';
import { commandLine } from './job-command.js';
import { reportLeaseHeld } from './lease-held.js';
import { helpFooter } from '../cli/help.js';

// `agg delete-user ID`: a deletion request. Everything agg holds for the user goes, table by table in
// bounded steps, each its own transaction; a run that is stopped (Ctrl-C, kill -9) leaves what it had
// not reached yet, and the same command again finishes it (deleting is idempotent).

interface DeleteUserOptions {
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  skipIfRunning?: boolean;
}

interface Holdings {
  records: number;
  results: number;
  filterSets: number;
}

async function holdings(store: Store, userId: string): Promise<Holdings> {
  const [user, digests, combinations] = await Promise.all([store.getUser(userId), store.listDigests(userId), store.listFilterCombinations(userId)]);
  return { records: user?.recordCount ?? 0, results: digests.length, filterSets: combinations.length };
}

export async function runDeleteUser(command: Command, rawUserId: string, options: DeleteUserOptions, io: CommandIo): Promise<number> {
  const userId = parseUserId('USER', rawUserId);
  if (options.dryRun !== true && options.yes !== true) {
    throw new UsageError(`delete-user removes everything agg holds for ${userId} (records, results, filter sets, change log, overrides, validations); pass --yes, or --dry-run to see what it holds`);
  }
  const quiet = (command.optsWithGlobals() as { quiet?: boolean }).quiet === true;
  return withStore(command, io, async ({ store }) => {
    const held = await holdings(store, userId);
    if (options.dryRun) {
      const summary = { userId, dryRun: true, ...held };
      if (options.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        const table = makeTable(['records', 'stored results', 'filter sets'], { colAligns: ['right', 'right', 'right'] });
        table.push([held.records, held.results, held.filterSets].map((n) => n.toLocaleString('en-US')));
        io.stdout.write(`agg holds for ${userId} (dry run: nothing deleted; its change log, overrides and validations go too)\n${table.toString()}\n`);
      }
      return ExitCode.ok;
    }
    const started = io.now();
    const runId = newRunId('delete-user', started);
    const leaseName = `delete-user:${userId}`;
    const acquired = await LeaseHolder.acquire(store, { name: leaseName, runId, now: io.now, force: false, onLost: () => undefined });
    if ('heldBy' in acquired) return reportLeaseHeld(io, { command: 'delete-user', leaseName, heldBy: acquired.heldBy, resuming: null, skipIfRunning: options.skipIfRunning === true, canForce: false });
    if (acquired.tookOver) io.stderr.write(`agg: ${describeTakeover(leaseName, acquired.tookOver)}\n`);
    const progress = startProgress(io, `deleting ${userId}`, { quiet: quiet || options.json === true });
    const byTable: Record<string, number> = {};
    let deleted = 0;
    let finished = false;
    try {
      await withLedgerRow(store, { runId, command: 'delete-user', args: io.redactor.args(commandLine(command)), target: userId, spec: { userId } }, io.now, async () => {
        while (!io.signal?.aborted) {
          const step = await store.deleteUserStep(userId);
          if (step.done) {
            finished = true;
            break;
          }
          deleted += step.deleted;
          byTable[step.table!] = (byTable[step.table!] ?? 0) + step.deleted;
          progress.update({ done: deleted, total: null, unit: 'rows deleted' });
        }
        return { value: null, status: finished ? 'succeeded' : 'interrupted', counts: { deleted, ...Object.fromEntries(Object.entries(byTable).map(([table, n]) => [`deleted:${table}`, n])) } };
      });
    } finally {
      progress.stop();
      await acquired.lease.release();
    }
    const summary = { userId, runId, dryRun: false, deleted, byTable, finished, ms: io.now() - started };
    if (options.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      const table = makeTable(['table', 'rows deleted'], { colAligns: ['left', 'right'] });
      for (const [name, n] of Object.entries(byTable)) table.push([name, n.toLocaleString('en-US')]);
      // Nothing left to delete is not an error: the request may have run before.
      if (finished && deleted === 0) io.stdout.write(`agg held nothing for ${userId}: nothing to delete (run ${runId})\n`);
      else io.stdout.write(`${finished ? 'deleted' : 'partly deleted'} everything agg held for ${userId} in ${formatDuration(summary.ms)} (run ${runId})\n${table.toString()}\n`);
    }
    if (!finished) {
      io.stderr.write(`agg: interrupted; run the same command again to finish deleting ${userId}\n`);
      return interruptedExitCode(io.signal);
    }
    return ExitCode.ok;
  });
}

export function registerDeleteUser(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = program
    .command('delete-user')
    .description('remove everything agg holds for one user (a deletion request): bounded steps, idempotent, recorded in the run ledger')
    .usage('<user> (--yes | --dry-run) [options]')
    .argument('<user>', 'the user id')
    .option('--dry-run', 'say what agg holds for the user; delete nothing')
    .option('--yes', 'confirm the deletion')
    .option('--skip-if-running', 'exit 0 (not 75) when another delete-user of this user holds the lease')
    .option('--json', 'print one JSON document on stdout')
    .action(async (userId: string, options: DeleteUserOptions, command: Command) => setExit(await runDeleteUser(command, userId, options, io)));
  helpFooter(
    command,
    [
      ['agg delete-user alice --dry-run', 'what agg holds for alice'],
      ['agg delete-user alice --yes', 'delete it all (again to finish a stopped run)'],
      ['agg delete-user alice --yes --skip-if-running --json', ''],
    ],
    ['One of --yes or --dry-run is required.'],
  );
}
