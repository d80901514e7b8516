import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { withStore } from '../cli/context.js';
import { didYouMean, suggest } from '../text/did-you-mean.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import { describeFailures, formatDuration } from '../cli/format.js';
import { compactSpan, plainTable } from '../cli/plain-table.js';
import { deadReason, describeStatus, failedUsersOf, outcomeOf, renderRun, runJson } from '../cli/runs-render.js';
import { readableCounts } from '../cli/run-counts.js';
import type { CommandIo } from '../cli/io.js';
import { parseInteger, quoted } from '../text/numbers.js';
import { LeaseHolder, describeHolder, describeLeaseTimes, describeProcess } from '../jobs/lease.js';
import type { Lease, RunRecord } from '../store/types.js';
import type { Store } from '../store/store.js';
import { Argument } from '@commander-js/extra-typings';
import { helpFooter, option, suggests } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { runsClearDocument, runsDocument } from '../cli/json-schemas/runs.js';

/** Options as commander infers them from the declarations in declareRuns. */
type RunsOptions = ReturnType<ReturnType<typeof declareRuns>['opts']>;

/** The lease held for each run, by run id. */
async function leasesByRun(store: Store): Promise<Map<string, Lease>> {
  const byRun = new Map<string, Lease>();
  for (const lease of await store.listLeases()) if (lease.runId !== null) byRun.set(lease.runId, lease);
  return byRun;
}

/**
 * `agg runs --clear ID`: marks a dead run (still `running` in the ledger) interrupted, so it stops being
 * reported as running; a live one is refused (exit 75). The dead holder's lease is taken over first
 * (only if it is still that holder's), so that no resume can start in between, and given back after.
 */
async function clearRun(store: Store, reference: string, command: string | null, io: CommandIo, json: boolean): Promise<number> {
  // `last` is the newest run (of --command), as for agg runs show.
  const run = await findRun(store, reference, reference === 'last' ? command : null);
  const runId = run.runId;
  if (run.status !== 'running') throw new UsageError(`run ${runId} is not running (it is ${run.status}); nothing to clear`);
  const now = io.now();
  const lease = (await leasesByRun(store)).get(runId);
  const dead = deadReason(run, lease, now);
  if (dead === null) {
    const why = lease ? `(${describeProcess(lease)}), holding the lease ${lease.name}, ${describeLeaseTimes(lease, now)}` : `(no lease; last heartbeat ${formatDuration(now - Date.parse(run.heartbeatAt))} ago)`;
    io.stderr.write(`agg: run ${runId} is alive ${why}; not cleared (exit ${ExitCode.tempfail}: try again later)\n`);
    return ExitCode.tempfail;
  }
  const claimed = lease ? await LeaseHolder.acquire(store, { name: lease.name, runId, now: io.now, force: false }) : null;
  if (claimed && 'heldBy' in claimed) {
    io.stderr.write(`agg: run ${runId} was picked up meanwhile: ${describeHolder(claimed.heldBy)} holds the lease ${claimed.heldBy.name}; not cleared (exit ${ExitCode.tempfail}: try again later)\n`);
    return ExitCode.tempfail;
  }
  try {
    const current = (await store.getRun(runId)) ?? run;
    if (current.status === 'running') await store.putRun({ ...current, status: 'interrupted', finishedAt: current.heartbeatAt });
  } finally {
    await claimed?.lease.release();
  }
  const next = run.command === 'backfill' || run.command === 'validate' ? `; resume it with agg ${run.command} --resume ${runId}` : '';
  io.stdout.write(json ? jsonLine(runsClearDocument, { schema: 'agg.runs.clear/v1', runId, cleared: true, status: 'interrupted', dead }) : `cleared run ${runId} (dead: ${dead}): marked interrupted${next}\n`);
  return ExitCode.ok;
}

export async function runRuns(command: CommandUnknownOpts, options: RunsOptions, io: CommandIo): Promise<number> {
  const limit = parseInteger(options.limit, { option: '--limit', min: 1, max: 1000 });
  return withStore(command, io, async ({ store }) => {
    if (options.clear !== undefined) return clearRun(store, options.clear, options.command === undefined ? null : parseLedgerCommand(options.command), io, options.json === true);
    const [runs, leases] = await Promise.all([store.listRuns(limit, options.command === undefined ? undefined : parseLedgerCommand(options.command)), leasesByRun(store)]);
    const now = io.now();
    if (options.json) {
      io.stdout.write(jsonLine(runsDocument, { schema: 'agg.runs/v1', runs: runs.map((run) => ({ ...run, counts: readableCounts(run), dead: deadReason(run, leases.get(run.runId), now) })) }));
      return 0;
    }
    if (runs.length === 0) {
      io.stdout.write('no runs recorded yet\n');
      return 0;
    }
    // 80 columns: the command is the id's prefix, times are ages; agg runs show RUN_ID has the rest.
    const rows: string[][] = [];
    const notes: string[] = [];
    for (const run of runs) {
      const perUser = run.command === 'backfill' || run.command === 'validate';
      const users = perUser ? `${run.counts.usersDone ?? 0}/${run.counts.usersTotal ?? '?'}` : '-';
      const failed = perUser ? failedUsersOf(run) : null;
      const status = describeStatus(run, now, leases.get(run.runId));
      const dead = run.status === 'running' && status !== 'running';
      rows.push([run.runId, run.target, dead ? 'dead' : run.status, compactSpan(now - Date.parse(run.startedAt)), users, outcomeOf(run)]);
      if (dead) notes.push(`${run.runId}: ${status}`);
      if (failed && failed.count > 0) notes.push(`${run.runId}: ${describeFailures(failed.count, failed.named)}`);
    }
    const table = plainTable(
      [{ head: 'run' }, { head: 'target', max: 12 }, { head: 'status', max: 11 }, { head: 'age', align: 'right' }, { head: 'users', align: 'right' }, { head: 'outcome', max: 22 }],
      rows,
    );
    io.stdout.write(`${table}\n${notes.map((line) => `${line}\n`).join('')}`);
    return 0;
  }, { mustExist: true });
}

// agg runs show RUN_ID | last

/** The commands the ledger records. */
export const LEDGER_COMMANDS = ['backfill', 'validate', 'cleanup', 'delete-user', 'import', 'archive'] as const;

/** Recent runs whose ids "did you mean" looks through. */
const SUGGESTION_RUNS = 200;

/** `runs show`'s options with those of `runs` (its own --json and --command win), as commander infers them. */
type RunsShowOptions = ReturnType<ReturnType<typeof declareRunsShow>['optsWithGlobals']>;

function parseLedgerCommand(value: string): string {
  if ((LEDGER_COMMANDS as readonly string[]).includes(value)) return value;
  const hint = didYouMean(suggest(value, LEDGER_COMMANDS));
  throw new UsageError(`--command ${quoted(value)} is not a command the ledger records${hint === null ? '' : `; ${hint}`} (${LEDGER_COMMANDS.join(', ')})`);
}

async function findRun(store: Store, reference: string, command: string | null): Promise<RunRecord> {
  if (reference === 'last') {
    const [run] = await store.listRuns(1, command ?? undefined);
    if (run === undefined) throw new UsageError(command === null ? 'no runs recorded yet' : `no ${command} run in the ledger yet (agg runs lists the recent runs)`);
    return run;
  }
  if (command !== null) throw new UsageError('--command goes with agg runs show last (a run id names one run)');
  const run = await store.getRun(reference);
  if (run !== null) return run;
  const hint = didYouMean(suggest(reference, (await store.listRuns(SUGGESTION_RUNS)).map((candidate) => candidate.runId)));
  throw new UsageError(`no run ${reference} in the ledger${hint === null ? '' : `; ${hint}`} (agg runs lists the recent runs)`);
}

export async function runShowRun(command: CommandUnknownOpts, reference: string, options: RunsShowOptions, io: CommandIo): Promise<number> {
  // `--json` and `--command` are the runs command's own too: commander gives them to it wherever they
  // stand, so the caller passes command.optsWithGlobals().
  const parent = command.parent;
  if (parent) {
    const stray = ['limit', 'clear'].filter((name) => parent.getOptionValueSource(name) === 'cli');
    if (stray.length > 0) throw new UsageError(`agg runs show takes no ${stray.map((name) => `--${name}`).join(' or ')}`);
  }
  if (reference.length === 0 || reference.length > 200 || /[\u0000-\u001f\u007f]/.test(reference)) throw new UsageError(`RUN_ID ${quoted(reference)} is not a run id (see agg runs)`);
  const filter = options.command === undefined ? null : parseLedgerCommand(options.command);
  return withStore(
    command,
    io,
    async ({ store }) => {
      const run = await findRun(store, reference, filter);
      const lease = (await leasesByRun(store)).get(run.runId);
      const now = io.now();
      io.stdout.write(`${options.json ? runJson(run, now, lease) : renderRun(run, now, lease)}\n`);
      return ExitCode.ok;
    },
    { mustExist: true },
  );
}

function declareRuns(program: Command) {
  return program
    .command('runs')
    .description('list recent runs from the run ledger: backfill, validate, cleanup, delete-user, import and archive')
    .option('--json', 'print one JSON document on stdout')
    .option('--limit <n>', 'how many runs', '20')
    .addOption(option('--command <name>', 'only runs of this command (backfill, validate, cleanup, delete-user, import or archive)', { words: LEDGER_COMMANDS }))
    .option('--clear <run-id>', 'mark a dead run (still shown as running) interrupted, or last for the newest run (of --command); a live one is refused')
    .helpCommand(false);
}

function declareRunsShow(runs: ReturnType<typeof declareRuns>) {
  return runs
    .command('show')
    .description('print one run of the ledger: status, arguments, times, holder, counts, checkpoint and how to resume it')
    .addArgument(suggests(new Argument('<run-id>', 'a run id (see agg runs), or last for the newest run'), ['last']))
    .option('--json', 'print one JSON document on stdout')
    .addOption(option('--command <name>', 'with last: the newest run of this command (backfill, validate, cleanup, delete-user, import or archive)', { words: LEDGER_COMMANDS }));
}

export function registerRuns(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const runs = declareRuns(program);
  runs.action(async (options, command) => setExit(await runRuns(command, options, io)));
  helpFooter(runs, [
    ['agg runs', 'the newest 20 runs'],
    ['agg runs --command validate --limit 5 --json', 'the newest validate runs, as JSON'],
    ['agg runs show last', 'the newest run in full (agg runs show --help)'],
    ['agg runs --clear bf-20250701-020000-1a2b3c', 'a dead run: mark it interrupted'],
  ]);
  const show = declareRunsShow(runs).action(async (reference, _options, command) => setExit(await runShowRun(command, reference, command.optsWithGlobals(), io)));
  helpFooter(
    show,
    [
      ['agg runs show bf-20250701-020000-1a2b3c', 'one run, in words'],
      ['agg runs show last --command validate --json', 'the newest validate run, as JSON'],
    ],
    ['Exit codes: 0 shown, 2 no such run.'],
  );
}
