import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { withStore } from '../cli/context.js';
import { globalOptions } from '../cli/global-options.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import { formatDuration, makeTable } from '../cli/format.js';
import { interruptedExitCode } from '../cli/interruption.js';
import type { CommandIo } from '../cli/io.js';
import { parseUserId } from '../cli/user-id.js';
import type { Store } from '../store/store.js';
import { isKnownUser, suggestKnownUsers, unknownUsersMessage } from '../users/known-users.js';
import { jobContextFor } from '../cli/job-events.js';
import { runOperation } from '../jobs/operation.js';
import { commandLine } from './job-command.js';
import { reportLeaseHeld } from './lease-held.js';
import { helpFooter } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { deleteUserDocument, deleteUserPlanDocument } from '../cli/json-schemas/delete-user.js';

// `agg delete-user ID`: a deletion request. Everything agg holds for the user goes, table by table in
// bounded steps, each its own transaction; a run that is stopped (Ctrl-C, kill -9) leaves what it had
// not reached yet, and the same command again finishes it (deleting is idempotent).

/** Options as commander infers them from the declarations in declareDeleteUser. */
type DeleteUserOptions = ReturnType<ReturnType<typeof declareDeleteUser>['opts']>;

interface Holdings {
  records: number;
  results: number;
  filterSets: number;
}

async function holdings(store: Store, userId: string): Promise<Holdings> {
  const [user, digests, combinations] = await Promise.all([store.getUser(userId), store.listDigests(userId), store.listFilterCombinations(userId)]);
  return { records: user?.recordCount ?? 0, results: digests.length, filterSets: combinations.length };
}

/** Recent delete-user runs looked through for an earlier deletion of the same user. */
const EARLIER_DELETIONS = 200;

/**
 * Whether agg holds nothing at all for the user (no records, results, filter sets, change log,
 * overrides or validations) though it was never deleted here: then the id is likely a typo.
 */
async function neverKnown(store: Store, userId: string, held: Holdings): Promise<boolean> {
  if (held.records > 0 || held.results > 0 || held.filterSets > 0 || (await isKnownUser(store, userId))) return false;
  const [changes, overrides, validations, deletions] = await Promise.all([
    store.listChanges(userId),
    store.listOverrides('precomputed_aggregations'),
    store.getValidations([userId]),
    store.listRuns(EARLIER_DELETIONS, 'delete-user'),
  ]);
  if (changes.length > 0 || validations.length > 0 || overrides.some((override) => override.userId === userId)) return false;
  // A deletion run again (its first run already removed everything) is no error.
  return !deletions.some((run) => run.target === userId);
}

export async function runDeleteUser(command: CommandUnknownOpts, rawUserId: string, options: DeleteUserOptions, io: CommandIo): Promise<number> {
  const userId = parseUserId('USER', rawUserId);
  if (options.dryRun !== true && options.yes !== true) {
    throw new UsageError(`delete-user removes everything agg holds for ${userId} (records, results, filter sets, change log, overrides, validations); pass --yes, or --dry-run to see what it holds`);
  }
  const quiet = globalOptions(command).quiet === true;
  return withStore(command, io, async ({ store }) => {
    const held = await holdings(store, userId);
    if (options.allowUnknown !== true && (await neverKnown(store, userId, held))) {
      const message = unknownUsersMessage([userId], await suggestKnownUsers(store, [userId]), { label: 'delete-user', allowUnknownOption: true });
      throw new UsageError(`${message}; nothing was deleted`);
    }
    if (options.dryRun) {
      if (options.json) io.stdout.write(jsonLine(deleteUserPlanDocument, { schema: 'agg.delete-user.plan/v1', userId, dryRun: true, ...held }));
      else {
        const table = makeTable(['records', 'stored results', 'filter sets'], { colAligns: ['right', 'right', 'right'] });
        table.push([held.records, held.results, held.filterSets].map((n) => n.toLocaleString('en-US')));
        io.stdout.write(`agg holds for ${userId} (dry run: nothing deleted; its change log, overrides and validations go too)\n${table.toString()}\n`);
      }
      return ExitCode.ok;
    }
    const byTable: Record<string, number> = {};
    const ran = await runOperation(
      {
        command: 'delete-user',
        leaseName: `delete-user:${userId}`,
        target: userId,
        spec: { userId },
        label: `deleting ${userId}`,
        run: async (steps) => {
          let deleted = 0;
          let finished = false;
          const counts = () => ({ deleted, ...Object.fromEntries(Object.entries(byTable).map(([table, n]) => [`deleted:${table}`, n])) });
          while (!steps.signal.aborted) {
            const step = await store.deleteUserStep(userId);
            if (step.done) {
              finished = true;
              break;
            }
            deleted += step.deleted;
            byTable[step.table!] = (byTable[step.table!] ?? 0) + step.deleted;
            steps.progress(deleted, 'rows deleted');
            // The ledger row follows every step, so a kill -9 leaves true counts.
            await steps.record(counts());
          }
          return { value: { deleted, finished }, counts: counts(), complete: finished };
        },
      },
      { store, context: jobContextFor(io, { quiet: quiet || options.json === true }), args: io.redactor.args(commandLine(command)), dryRun: false },
    );
    if (ran.kind === 'lease-held') {
      return reportLeaseHeld(io, { command: 'delete-user', leaseName: ran.leaseName, heldBy: ran.heldBy, resuming: null, skipIfRunning: options.skipIfRunning === true, canForce: false });
    }
    // A real (not dry) operation always has its ledger row.
    const runId = ran.runId!;
    const { deleted, finished } = ran.value;
    const summary = { userId, runId, dryRun: false as const, deleted, byTable, finished, ms: ran.ms };
    if (options.json) io.stdout.write(jsonLine(deleteUserDocument, { schema: 'agg.delete-user/v1', ...summary }));
    else {
      const table = makeTable(['table', 'rows deleted'], { colAligns: ['left', 'right'] });
      for (const [name, n] of Object.entries(byTable)) table.push([name, n.toLocaleString('en-US')]);
      // Nothing left to delete is not an error: the request may have run before.
      if (finished && deleted === 0) io.stdout.write(`agg held nothing for ${userId}: nothing to delete (run ${runId})\n`);
      else io.stdout.write(`${finished ? 'deleted' : 'partly deleted'} everything agg held for ${userId} in ${formatDuration(summary.ms)} (run ${runId})\n${table.toString()}\n`);
    }
    if (ran.stoppedBy === 'lease-lost') {
      io.stderr.write(`agg: another delete-user of ${userId} took over the lease; stopped after a complete step; run the same command again to finish (exit 75)\n`);
      return ExitCode.tempfail;
    }
    if (!finished) {
      io.stderr.write(`agg: interrupted; run the same command again to finish deleting ${userId}\n`);
      return interruptedExitCode(io.signal);
    }
    return ExitCode.ok;
  });
}

function declareDeleteUser(program: Command) {
  return program
    .command('delete-user')
    .description('remove everything agg holds for one user (a deletion request): bounded steps, idempotent, recorded in the run ledger')
    .usage('<user> (--yes | --dry-run) [options]')
    .argument('<user>', 'the user id')
    .option('--dry-run', 'say what agg holds for the user; delete nothing')
    .option('--yes', 'confirm the deletion')
    .option('--skip-if-running', 'exit 0 (not 75) when another delete-user of this user holds the lease')
    .option('--allow-unknown', 'a user agg never held anything for (and never deleted) is no error: nothing to delete, exit 0')
    .option('--json', 'print one JSON document on stdout');
}

export function registerDeleteUser(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = declareDeleteUser(program).action(async (userId, options, command) => setExit(await runDeleteUser(command, userId, options, io)));
  helpFooter(
    command,
    [
      ['agg delete-user alice --dry-run', 'what agg holds for alice'],
      ['agg delete-user alice --yes', 'delete it all (again to finish a stopped run)'],
      ['agg delete-user alice --yes --skip-if-running --json', ''],
    ],
    [
      'One of --yes or --dry-run is required. A user agg holds nothing for and never deleted is refused as unknown (exit 2, with the closest known ids) unless --allow-unknown; running a finished deletion again is no error.',
    ],
  );
}
