import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { AGGREGATION_TYPES } from '../core/aggregations/definition.js';
import { filtersSchema, canonicalFilters } from '../core/filters.js';
import type { JsonValue } from '../core/json.js';
import { UsageError } from '../cli/errors.js';
import { withStore } from '../cli/context.js';
import { globalOptions } from '../cli/global-options.js';
import { describeFailures, formatBytes, formatDuration, makeTable } from '../cli/format.js';
import type { CommandIo } from '../cli/io.js';
import { parseConcurrency, parseMaxRuntime, parseShard } from '../cli/job-options.js';
import { parseInstant, parseTimeZone, parseTypes } from '../cli/options.js';
import { parseUserId } from '../cli/user-id.js';
import { counted } from '../text/plural.js';
import { type BackfillSpec, backfillUser, type UserBackfillOutcome } from '../jobs/backfill-user.js';
import { loadGrid } from '../jobs/grid-file.js';
import { renewExpiring } from '../jobs/renewal.js';
import { collectUsers, inShard, type Selection, type Shard } from '../jobs/selection.js';
import type { Task, TaskResult } from '../jobs/task.js';
import { finishCode, refuseDefiningFlags, runCommandTask, runSpec } from './job-command.js';
import type { RunStatus } from '../store/types.js';
import { helpFooter, option, repeatable } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { backfillDocument } from '../cli/json-schemas/backfill.js';

/** Options as commander infers them from the declarations in declareBackfill. */
type BackfillOptions = ReturnType<ReturnType<typeof declareBackfill>['opts']>;

const selectionSchema = z.union([
  z.object({ kind: z.literal('users'), users: z.array(z.string()) }),
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('changed') }),
  z.object({ kind: z.literal('expiring') }),
]);

/** What a backfill run stores to be resumable. */
const backfillRunSpecSchema = z.object({
  selection: selectionSchema,
  shard: z.object({ index: z.number(), count: z.number() }).nullable(),
  types: z.array(z.enum(AGGREGATION_TYPES)),
  grid: z.array(filtersSchema),
  asOf: z.string().nullable(),
  timeZone: z.string(),
  force: z.boolean(),
  /** The tick's renewal of results due to expire (--changed without --no-renew, and --expiring). */
  renew: z.boolean().default(false),
});

type BackfillRunSpec = z.infer<typeof backfillRunSpecSchema>;

function selectionOf(options: BackfillOptions): Selection {
  const chosen = [options.user.length > 0, options.all === true, options.changed === true, options.expiring === true].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('choose exactly one of --user ID..., --all, --changed or --expiring (or --resume RUN_ID)');
  if (options.renew === false && !options.changed) throw new UsageError('--no-renew only goes with --changed (it leaves out the renewal of expiring results)');
  if (options.all) return { kind: 'all' };
  if (options.changed) return { kind: 'changed' };
  if (options.expiring) return { kind: 'expiring' };
  return { kind: 'users', users: options.user.map((id) => parseUserId('--user', id)) };
}

async function specFromOptions(options: BackfillOptions): Promise<BackfillRunSpec> {
  return {
    selection: selectionOf(options) as BackfillRunSpec['selection'],
    shard: options.shard === undefined ? null : parseShard(options.shard),
    types: parseTypes(options.type),
    grid: (await loadGrid(options.grid)).map((filters) => ({ ...filters, topics: [...filters.topics], channels: [...filters.channels] })),
    asOf: options.asOf === undefined ? null : parseInstant('--as-of', options.asOf),
    timeZone: parseTimeZone('--tz', options.tz),
    force: options.force === true,
    renew: options.expiring === true || (options.changed === true && options.renew !== false),
  };
}

/** Options that define what a run does; with --resume they come from the ledger instead. */
const DEFINING_OPTIONS = ['user', 'all', 'changed', 'expiring', 'type', 'grid', 'asOf', 'tz', 'shard', 'force', 'dryRun'] as const;

interface BackfillSummary {
  runId: string | null;
  status: RunStatus;
  target: string;
  dryRun: boolean;
  resumable: boolean;
  users: { total: number; done: number; failed: number };
  records: number;
  results: number;
  written: number;
  created: number;
  changed: number;
  /** Rewritten with the same data (--force). */
  rewritten: number;
  unchanged: number;
  /** Of the unchanged: refreshed (expiresAt moved); the rest were not due and left alone. */
  refreshed: number;
  bytes: number;
  /**
   * The tick's renewals: results due, renewed without recomputation, users recomputed beyond those with
   * changes; of them, users recomputed only for their results due for age (and those results), and users
   * recomputed in full for a stale or incomplete default grid.
   */
  renewal: { due: number; renewed: number; recomputed: number; forAge: number; resultsForAge: number; staleGrids: number } | null;
  storeCalls: number;
  ms: number;
  /** The first failed users in run order (at most 100), with their errors. */
  failures: { userId: string; error: string }[];
  /** Failed users not listed in `failures`. */
  failuresOmitted: number;
}

function summarize(result: Extract<TaskResult<UserBackfillOutcome>, { kind: 'ran' }>, dryRun: boolean, renew: boolean): BackfillSummary {
  const c = result.counts;
  return {
    runId: result.runId,
    status: result.status,
    target: result.target,
    dryRun,
    resumable: result.runId !== null && result.status !== 'succeeded',
    users: { total: c.usersTotal ?? 0, done: c.usersDone ?? 0, failed: c.usersFailed ?? 0 },
    records: c.records ?? 0,
    results: c.results ?? 0,
    written: c.written ?? 0,
    created: c.created ?? 0,
    changed: c.changed ?? 0,
    rewritten: c.rewritten ?? 0,
    unchanged: c.unchanged ?? 0,
    refreshed: c.refreshed ?? 0,
    bytes: c.bytes ?? 0,
    renewal: renew
      ? {
          due: c.renewalDue ?? 0,
          renewed: c.renewed ?? 0,
          recomputed: c.renewalRecomputed ?? 0,
          forAge: c.renewalForAge ?? 0,
          resultsForAge: c.renewalResultsForAge ?? 0,
          staleGrids: c.renewalStaleGrids ?? 0,
        }
      : null,
    storeCalls: c.storeCalls ?? 0,
    ms: result.ms,
    failures: result.failures,
    failuresOmitted: result.failedCount - result.failures.length,
  };
}

/** The users the renewal part recomputed, by reason. */
function renewalRecomputations(renewal: NonNullable<BackfillSummary['renewal']>, dryRun: boolean): string[][] {
  const meanwhile = renewal.recomputed - renewal.forAge - renewal.staleGrids;
  return [
    [dryRun ? 'to recompute for age' : 'recomputed for age', `${counted(renewal.forAge, 'user')} (${counted(renewal.resultsForAge, 'result')} due)`],
    ...(renewal.staleGrids > 0 ? [[dryRun ? 'stale grids to recompute' : 'stale grids recomputed', counted(renewal.staleGrids, 'user')]] : []),
    ...(meanwhile > 0 ? [['changed while renewing', counted(meanwhile, 'user')]] : []),
  ];
}

/** Failed users whose error the readable summary prints. */
const ERRORS_SHOWN = 20;

function readable(summary: BackfillSummary): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const table = makeTable(['', ''], { colAligns: ['left', 'right'] });
  const verb = summary.dryRun ? 'would write' : 'written';
  table.push(
    ['users', `${n(summary.users.done)} of ${n(summary.users.total)}${summary.users.failed ? ` (${n(summary.users.failed)} failed)` : ''}`],
    ['records read', n(summary.records)],
    ['results computed', n(summary.results)],
    [verb, `${n(summary.written)} (${n(summary.created)} new, ${n(summary.changed)} changed${summary.rewritten > 0 ? `, ${n(summary.rewritten)} rewritten unchanged` : ''})`],
    ['unchanged', `${n(summary.unchanged)} (${n(summary.refreshed)} refreshed)`],
    ['bytes ' + verb, formatBytes(summary.bytes)],
    ...(summary.renewal
      ? [
          [summary.dryRun ? 'would renew' : 'renewed', `${n(summary.renewal.renewed)} of ${n(summary.renewal.due)} due`],
          ...renewalRecomputations(summary.renewal, summary.dryRun),
        ]
      : []),
    ['store calls', n(summary.storeCalls)],
    ['time', formatDuration(summary.ms)],
  );
  const lines = [`backfill ${summary.target}${summary.runId ? ` (run ${summary.runId})` : ''}: ${summary.dryRun ? 'dry run, nothing written' : summary.status}`, table.toString()];
  if (summary.failures.length > 0) {
    lines.push(describeFailures(summary.failures.length + summary.failuresOmitted, summary.failures.map((failure) => failure.userId)));
    for (const failure of summary.failures.slice(0, ERRORS_SHOWN)) lines.push(`  ${failure.userId}: ${failure.error}`);
    if (summary.failures.length > ERRORS_SHOWN) lines.push(`  … errors of ${summary.failures.length - ERRORS_SHOWN} more in --json`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runBackfill(command: CommandUnknownOpts, options: BackfillOptions, io: CommandIo): Promise<number> {
  const concurrency = parseConcurrency(options.concurrency);
  const maxRuntimeMs = parseMaxRuntime(options.maxRuntime);
  if (options.resume !== undefined) refuseDefiningFlags(command, DEFINING_OPTIONS);
  const fresh = options.resume === undefined ? await specFromOptions(options) : null;
  const quiet = globalOptions(command).quiet === true || options.json === true;

  return withStore(command, io, async ({ store, config }) => {
    const resolved = await runSpec(store, io, { command: 'backfill', resume: options.resume, json: options.json === true, fresh }, backfillRunSpecSchema);
    if ('exitCode' in resolved) return resolved.exitCode;
    const { resume, spec } = resolved;
    const backfillSpec: BackfillSpec = { types: spec.types, grid: spec.grid.map((filters) => canonicalFilters(filters)), asOf: spec.asOf, timeZone: spec.timeZone, force: spec.force };
    const shard: Shard | null = spec.shard;
    const renewalPolicy = { types: spec.types, byType: config.freshness.byType, tickIntervalMs: config.freshness.tickIntervalMs };
    const dryRun = options.dryRun === true;
    /** Users selected for their changes (recomputed in full), and what the renewal found due of the others. */
    let changedUsers: ReadonlySet<string> = new Set();
    let dueForAge: ReadonlyMap<string, readonly string[] | null> = new Map();
    const task: Task<UserBackfillOutcome> = {
      command: 'backfill',
      selection: spec.selection,
      shard,
      spec: spec as unknown as JsonValue,
      collect: async () => {
        const collected = await collectUsers(store, spec.selection, shard);
        changedUsers = new Set(collected.users);
        return collected;
      },
      ...(spec.renew
        ? {
            prepare: async () => {
              const outcome = await renewExpiring(renewalPolicy, { store, now: io.now(), dryRun, stopped: () => io.signal?.aborted === true });
              // Users with changes are recomputed in full anyway: the renewal's figures are of the others.
              const beyond = [...outcome.recompute].filter(([userId]) => inShard(userId, shard) && !changedUsers.has(userId));
              dueForAge = new Map(beyond);
              const forAge = beyond.filter(([, keys]) => keys !== null);
              const counts = {
                renewalDue: outcome.due,
                renewed: outcome.renewed,
                renewalRecomputed: beyond.length,
                renewalForAge: forAge.length,
                renewalResultsForAge: forAge.reduce((total, [, keys]) => total + keys!.length, 0),
                renewalStaleGrids: beyond.filter(([userId]) => outcome.staleGrids.has(userId)).length,
              };
              return { users: beyond.map(([userId]) => userId), counts };
            },
          }
        : {}),
      process: (userId, _collected, _runId, context) => {
        // A user due only for age recomputes those results alone (its other results are not due).
        const keys = changedUsers.has(userId) ? null : (dueForAge.get(userId) ?? null);
        const userSpec: BackfillSpec = keys === null ? backfillSpec : { ...backfillSpec, only: { keys: new Map(keys.map((key) => [key, 'recompute'])) } };
        return backfillUser(userId, userSpec, {
          store,
          ttlMs: config.ttlMs,
          now: io.now,
          dryRun,
          writeConcurrency: 2,
          renewal: renewalPolicy,
          ...(io.signal ? { signal: io.signal } : {}),
          onComputed: (done, total) => context.emit({ kind: 'working', on: `${userId}: ${done}/${total} results` }),
        });
      },
      tally: (counts, outcome) => {
        for (const key of ['records', 'results', 'written', 'created', 'changed', 'rewritten', 'unchanged', 'refreshed', 'bytes'] as const) counts[key] = (counts[key] ?? 0) + outcome[key];
      },
      detail: (counts) => `${(counts.records ?? 0).toLocaleString('en-US')} records, ${(counts.written ?? 0).toLocaleString('en-US')} ${dryRun ? 'to write' : 'written'}`,
    };
    const result = await runCommandTask(command, task, { store, io, concurrency, maxRuntimeMs, forceLease: options.forceLease === true, skipIfRunning: options.skipIfRunning === true, quiet, dryRun, resume });
    if (typeof result === 'number') return result;
    const summary = summarize(result, dryRun, spec.renew);
    io.stdout.write(options.json ? jsonLine(backfillDocument, { schema: 'agg.backfill/v1', ...summary }) : readable(summary));
    return finishCode('backfill', result, io);
  });
}

function declareBackfill(program: Command) {
  return program
    .command('backfill')
    .description('compute and store aggregations for users: one or a list, all, or those whose data changed')
    .addOption(repeatable('--user <id...>', 'users to backfill: --user a b c, or --user a --user b'))
    .option('--all', 'every user with records')
    .option('--changed', 'the cron tick: users with unprocessed changes, and results due to expire (renewed, or recomputed past maxAge)')
    .option('--expiring', 'only the renewal part of the tick: results due to expire before the next tick')
    .option('--no-renew', 'with --changed: only the users with unprocessed changes, no renewal')
    .addOption(repeatable('--type <type>', 'aggregation type; repeatable', { shown: 'all ten', words: AGGREGATION_TYPES }))
    .addOption(option('--grid <default|file>', 'the filter sets every user gets: the default 18, or a JSON file of filter sets', { words: ['default'] }))
    .addOption(option('--as-of <iso>', 'compute as of this instant', { shown: "each user's newest watchedAt" }))
    .option('--tz <zone>', 'IANA time zone for calendar fields', 'UTC')
    .option('--concurrency <n>', 'users processed at once', '4')
    .option('--shard <i/n>', 'only users whose stable hash falls in shard i of n (for a CI matrix)')
    .option('--dry-run', 'compute and report what would be written; write nothing')
    .option('--force', 'rewrite results even when unchanged')
    .addOption(option('--resume <run-id|last>', 'continue an interrupted or partial run where it stopped', { words: ['last'] }))
    .option('--max-runtime <duration>', 'stop at a checkpoint when the time is up (partial, resumable)')
    .option('--force-lease', 'run even if another run of the same target holds the lease')
    .option('--skip-if-running', 'exit 0 instead of 75 when a live run holds the lease (for cron jobs that overlap on purpose)')
    .option('--json', 'print one JSON document on stdout');
}

export function registerBackfill(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = declareBackfill(program).action(async (options, command) => setExit(await runBackfill(command, options, io)));
  helpFooter(
    command,
    [
      ['agg backfill --changed --max-runtime 10m --skip-if-running', 'the cron tick'],
      ['agg backfill --user alice --dry-run', 'what one user would get'],
      ['agg backfill --all --shard 2/8 --max-runtime 5h30m', 'one job of 8 in a CI matrix'],
      ['agg backfill --resume last', 'continue the newest stopped run'],
    ],
    ['Choose the users with one of --user, --all, --changed or --expiring, or continue a run with --resume. Exit codes: 0 done (or partial at --max-runtime), 1 a user failed, 2 bad usage, 3 the store failed, 75 another run holds the lease.'],
  );
}
