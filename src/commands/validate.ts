import { randomBytes } from 'node:crypto';
import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { canonicalFilters, filtersSchema } from '../core/filters.js';
import type { JsonValue } from '../core/json.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import { DEFAULT_MAX_FINDINGS } from '../cli/findings-listing.js';
import { withStore } from '../cli/context.js';
import { globalOptions } from '../cli/global-options.js';
import type { CommandIo } from '../cli/io.js';
import { appendToStepSummary } from '../cli/step-summary.js';
import { paintFor } from '../cli/colour.js';
import { numberError, parseDecimal, parseInteger, readDecimal, readInteger } from '../text/numbers.js';
import { parseConcurrency, parseMaxRuntime, parseShard } from '../cli/job-options.js';
import { parseTypes } from '../cli/options.js';
import { parseUserId } from '../cli/user-id.js';
import {
  type RepairSummary,
  type ReportFinding,
  renderJson,
  renderMarkdown,
  renderTable,
  toReportFinding,
  type ValidateReport,
} from '../cli/validate-report.js';
import { type UserRepair, applyRepair, planRepair } from '../jobs/repair.js';
import { type GuardrailOutcome, ServedUsers, applyDriftGuardrail } from '../jobs/drift-guardrail.js';
import { DEFAULT_FLAG } from '../core/rollout-plan.js';
import { resolveActor } from '../rollout/actor.js';
import { parseFlagName } from '../rollout/options.js';
import { loadGrid } from '../jobs/grid-file.js';
import { collectUsers, type Selection } from '../jobs/selection.js';
import type { Task } from '../jobs/task.js';
import { type UserValidationResult, validateUser } from '../jobs/validate-user.js';
import { VALIDATION_STATUSES, type ValidationStatus } from '../store/types.js';
import { finishCode, refuseDefiningFlags, runCommandTask, runSpec } from './job-command.js';
import { helpFooter, option, repeatable } from '../cli/help.js';

/** Options as commander infers them from the declarations in declareValidate. */
type ValidateOptions = ReturnType<ReturnType<typeof declareValidate>['opts']>;

const FAIL_ON = ['drift', 'missing', 'any'] as const;
type FailOn = (typeof FAIL_ON)[number];
const FORMATS = ['table', 'json', 'markdown'] as const;
/** Findings kept for the report; the rest are counted. */
const MAX_REPORTED_FINDINGS = 2000;

const validateRunSpecSchema = z.object({
  selection: z.union([
    z.object({ kind: z.literal('users'), users: z.array(z.string()) }),
    z.object({ kind: z.literal('all') }),
    z.object({ kind: z.literal('sample'), count: z.number().nullable(), percent: z.number().nullable(), seed: z.string() }),
  ]),
  shard: z.object({ index: z.number(), count: z.number() }).nullable(),
  types: z.array(z.enum(AGGREGATION_TYPES)),
  grid: z.array(filtersSchema),
  tolerance: z.number(),
  maxDiffs: z.number(),
  failOn: z.enum(FAIL_ON),
});
type ValidateRunSpec = z.infer<typeof validateRunSpecSchema>;

/** The most users --sample N asks for (a share, P%, scales with the store instead). */
const MAX_SAMPLE_USERS = 10_000_000;

function parseSample(text: string, seed: string): Selection {
  if (text.endsWith('%')) {
    const percent = readDecimal(text.slice(0, -1), { min: 0, max: 100, minExclusive: true });
    if (percent !== null) return { kind: 'sample', count: null, percent, seed };
  } else {
    const count = readInteger(text, { min: 1, max: MAX_SAMPLE_USERS });
    if (count !== null) return { kind: 'sample', count, percent: null, seed };
  }
  throw numberError('--sample', text, `a number of users from 1 to ${MAX_SAMPLE_USERS} (e.g. 50) or a share above 0% up to 100% (e.g. 5%)`);
}

async function specFromOptions(options: ValidateOptions): Promise<ValidateRunSpec> {
  const chosen = [options.user.length > 0, options.all === true, options.sample !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one of --user ID..., --all or --sample N|P%');
  if (options.seed !== undefined && options.sample === undefined) throw new UsageError('--seed goes with --sample');
  const selection: Selection =
    options.sample !== undefined
      ? parseSample(options.sample, options.seed ?? randomBytes(4).toString('hex'))
      : options.user.length > 0
        ? { kind: 'users', users: options.user.map((id) => parseUserId('--user', id)) }
        : { kind: 'all' };
  if (!(FAIL_ON as readonly string[]).includes(options.failOn)) throw new UsageError(`--fail-on "${options.failOn}" is not valid (expected one of: ${FAIL_ON.join(', ')})`);
  return {
    selection: selection as ValidateRunSpec['selection'],
    shard: options.shard === undefined ? null : parseShard(options.shard),
    types: parseTypes(options.type),
    grid: (await loadGrid(options.grid)).map((filters) => ({ ...filters, topics: [...filters.topics], channels: [...filters.channels] })),
    tolerance: parseDecimal(options.tolerance, { option: '--tolerance', min: 0, max: 1, exponent: true, hint: '(relative; e.g. 1e-9, 0.001)' }),
    maxDiffs: parseInteger(options.maxDiffs, { option: '--max-diffs', min: 0, max: 10_000 }),
    failOn: options.failOn as FailOn,
  };
}

/** `0.5%` (or `0.5`, read as a percentage) → 0.005. */
function parseDriftThreshold(text: string): number {
  const percent = readDecimal(text.endsWith('%') ? text.slice(0, -1) : text, { min: 0, max: 100 });
  if (percent === null) throw numberError('--rollback-on-drift', text, 'a percentage from 0% to 100% (e.g. 0.5%)');
  return percent / 100;
}

function formatOf(options: ValidateOptions): (typeof FORMATS)[number] {
  if (options.format !== undefined && !(FORMATS as readonly string[]).includes(options.format)) {
    throw new UsageError(`--format "${options.format}" is not valid (expected one of: ${FORMATS.join(', ')})`);
  }
  if (options.json && options.format !== undefined && options.format !== 'json') throw new UsageError(`--json conflicts with --format ${options.format}`);
  return options.json ? 'json' : ((options.format as (typeof FORMATS)[number] | undefined) ?? 'table');
}

function failsOn(failOn: FailOn, totals: Record<ValidationStatus, number>): boolean {
  if (failOn === 'drift') return totals.drift > 0;
  if (failOn === 'missing') return totals.missing > 0;
  return VALIDATION_STATUSES.some((status) => status !== 'match' && totals[status] > 0);
}

/** What --repair will do for one user. */
export async function runValidate(command: CommandUnknownOpts, options: ValidateOptions, io: CommandIo): Promise<number> {
  const format = formatOf(options);
  // Display only (the JSON lists every finding up to its cap): checked before any work.
  const maxFindings = options.maxFindings === undefined ? DEFAULT_MAX_FINDINGS : parseInteger(options.maxFindings, { option: '--max-findings', min: 0, max: MAX_REPORTED_FINDINGS, hint: '(findings listed one by one; the rest fold into one line per user)' });
  const concurrency = parseConcurrency(options.concurrency);
  const maxRuntimeMs = parseMaxRuntime(options.maxRuntime);
  if (options.resume !== undefined) {
    refuseDefiningFlags(command, ['user', 'all', 'sample', 'seed', 'type', 'grid', 'tolerance', 'maxDiffs', 'failOn', 'shard', 'dryRun']);
    if (options.repair) throw new UsageError('--repair cannot be combined with --resume: validate again, then repair');
  }
  if (options.dryRun && !options.repair) throw new UsageError('--dry-run goes with --repair (validate itself only reads)');
  const driftThreshold = options.rollbackOnDrift === undefined ? null : parseDriftThreshold(options.rollbackOnDrift);
  if (driftThreshold === null && (command.getOptionValueSource('flag') === 'cli' || options.actor !== undefined)) throw new UsageError('--flag and --actor go with --rollback-on-drift');
  if (driftThreshold !== null && options.dryRun) throw new UsageError('--rollback-on-drift cannot be combined with --dry-run');
  const flag = options.flag === undefined ? DEFAULT_FLAG : parseFlagName(options.flag);
  const fresh = options.resume === undefined ? await specFromOptions(options) : null;
  const quiet = globalOptions(command).quiet === true || format !== 'table';

  return withStore(command, io, async ({ store, config }) => {
    const resolved = await runSpec(store, io, { command: 'validate', resume: options.resume, json: format === 'json', fresh }, validateRunSpecSchema);
    if ('exitCode' in resolved) return resolved.exitCode;
    const { resume, spec } = resolved;
    const now = formatIsoInstant(io.now());
    const grid = spec.grid.map((filters) => canonicalFilters(filters));
    const validateSpec = { types: spec.types as AggregationType[], grid, tolerance: spec.tolerance, maxDiffs: spec.maxDiffs, now };
    const findings: ReportFinding[] = [];
    let findingsOmitted = 0;
    const repairs = new Map<string, UserRepair>();
    const dryRun = options.dryRun === true;

    const servedUsers = driftThreshold === null ? null : await ServedUsers.read(store, flag, io.now());
    const task: Task<UserValidationResult & { served: boolean }> = {
      command: 'validate',
      selection: spec.selection,
      shard: spec.shard,
      spec: spec as unknown as JsonValue,
      collect: () => collectUsers(store, spec.selection, spec.shard, { includeAggregationOwners: true }),
      process: async (userId, _collected, runId) => {
        const result = await validateUser(store, userId, validateSpec);
        const clean = VALIDATION_STATUSES.every((status) => status === 'match' || result.counts[status] === 0);
        if (!dryRun) await store.putValidations([{ userId, runId, validatedAt: now, clean, counts: result.counts }]);
        return { ...result, served: servedUsers ? await servedUsers.isServed(userId) : false };
      },
      tally: (counts, result) => {
        counts.records = (counts.records ?? 0) + result.records;
        // The guardrail's figures live in the run's counts: no per-user state, and they survive --resume.
        if (result.served) {
          counts['guardrail:served'] = (counts['guardrail:served'] ?? 0) + 1;
          if (result.counts.drift > 0) counts['guardrail:drift'] = (counts['guardrail:drift'] ?? 0) + 1;
        }
        if (VALIDATION_STATUSES.every((status) => status === 'match' || result.counts[status] === 0)) counts.usersClean = (counts.usersClean ?? 0) + 1;
        for (const finding of result.findings) {
          counts[`status:${finding.status}`] = (counts[`status:${finding.status}`] ?? 0) + 1;
          counts[`type:${finding.aggregationType}:${finding.status}`] = (counts[`type:${finding.aggregationType}:${finding.status}`] ?? 0) + 1;
          if (finding.status === 'match') continue;
          if (findings.length < MAX_REPORTED_FINDINGS) findings.push(toReportFinding(finding));
          else findingsOmitted++;
          if (options.repair) {
            planRepair(repairs, finding, result);
          }
        }
      },
      detail: (counts) => `${counts['status:drift'] ?? 0} drift, ${counts['status:missing'] ?? 0} missing`,
    };
    const result = await runCommandTask(command, task, { store, io, concurrency, maxRuntimeMs, forceLease: options.forceLease === true, skipIfRunning: options.skipIfRunning === true, quiet, dryRun, resume });
    if (typeof result === 'number') return result;
    if (result.fatal) return finishCode('validate', result, io);

    const totals = Object.fromEntries(VALIDATION_STATUSES.map((status) => [status, result.counts[`status:${status}`] ?? 0])) as Record<ValidationStatus, number>;
    const byType: Record<string, Record<ValidationStatus, number>> = {};
    for (const type of spec.types) byType[type] = Object.fromEntries(VALIDATION_STATUSES.map((status) => [status, result.counts[`type:${type}:${status}`] ?? 0])) as Record<ValidationStatus, number>;

    let guardrail: GuardrailOutcome | null = null;
    if (driftThreshold !== null && result.runId !== null && result.stoppedBy === null) {
      const context = { store, flag, actor: resolveActor(options.actor, io.env).actor, now: io.now, policy: config.eligibility };
      const figures = { usersServed: result.counts['guardrail:served'] ?? 0, usersWithDrift: result.counts['guardrail:drift'] ?? 0 };
      guardrail = await applyDriftGuardrail(context, figures, driftThreshold, result.runId);
      io.stderr.write(`agg: guardrail: ${guardrail.message}\n`);
    }
    let repair: RepairSummary | null = null;
    if (options.repair) {
      repair = await applyRepair(repairs, { store, ttlMs: config.ttlMs, now: io.now, dryRun, concurrency, types: spec.types as AggregationType[], grid });
      // The ledger's figures become the repaired state's, so that agg status reports consistency as it
      // is now: rows fixed count as matching (only when every repair went through).
      if (repair.applied && repair.failed.length === 0 && result.runId !== null) {
        const repaired = Object.values(repair.rewrite).reduce((n, count) => n + (count ?? 0), 0) + repair.orphansToDelete;
        const run = await store.getRun(result.runId);
        if (run && repaired > 0) await store.putRun({ ...run, counts: { ...run.counts, repaired } });
      }
    }
    const failed = failsOn(spec.failOn, totals) || result.failedCount > 0 || guardrail?.rolledBack === true;
    let exitCode = finishCode('validate', result, io);
    if (exitCode === ExitCode.ok && failed) exitCode = ExitCode.findings;
    const report: ValidateReport = {
      schema: 'agg.validate/v1',
      runId: result.runId,
      status: result.status,
      generatedAt: now,
      target: result.target,
      seed: spec.selection.kind === 'sample' ? spec.selection.seed : null,
      options: { types: spec.types as AggregationType[], tolerance: spec.tolerance, failOn: spec.failOn, maxDiffs: spec.maxDiffs },
      users: { total: result.counts.usersTotal ?? 0, validated: (result.counts.usersDone ?? 0) - (result.counts.usersFailed ?? 0), failed: result.counts.usersFailed ?? 0, clean: result.counts.usersClean ?? 0 },
      totals,
      byType,
      findings,
      findingsOmitted,
      failures: result.failures,
      failuresOmitted: result.failedCount - result.failures.length,
      repair,
      guardrail,
      ms: result.ms,
      exitCode,
    };
    const rendered = format === 'json' ? renderJson(report) : format === 'markdown' ? renderMarkdown(report, maxFindings) : renderTable(report, paintFor(io, io.stdout), maxFindings);
    io.stdout.write(rendered);
    if (format === 'markdown') await appendToStepSummary(io, rendered);
    return exitCode;
  });
}

function declareValidate(program: Command) {
  return program
    .command('validate')
    .description('recompute stored aggregations and report drift, staleness, missing and orphaned rows; CI exit codes')
    .addOption(repeatable('--user <id...>', 'users to validate: --user a b c, or --user a --user b'))
    .option('--all', 'every user with records or aggregations (the default)')
    .option('--sample <n|p%>', 'a deterministic sample of users: a count (50) or a share (5%; at least one user)')
    .addOption(option('--seed <seed>', 'seed for --sample', { shown: 'random, printed in the report' }))
    .addOption(repeatable('--type <type>', 'aggregation type; repeatable', { shown: 'all ten', words: AGGREGATION_TYPES }))
    .addOption(option('--grid <default|file>', 'the filter sets every user is expected to have (as for backfill)', { words: ['default'] }))
    .option('--tolerance <x>', 'relative tolerance for numbers', '1e-9')
    .addOption(option('--format <format>', 'table, json or markdown (markdown also goes to $GITHUB_STEP_SUMMARY)', { shown: 'table', words: FORMATS }))
    .option('--max-diffs <n>', 'differences listed per aggregation', '20')
    .addOption(option('--max-findings <n>', 'findings the table and Markdown list one by one, worst first; the rest fold into one line per user and status', { shown: String(DEFAULT_MAX_FINDINGS) }))
    .addOption(option('--fail-on <what>', 'exit 1 when this is found: drift, missing or any', { value: 'drift', words: FAIL_ON }))
    .option('--repair', 'rewrite drifted, stale, missing and outdated aggregations and delete orphans, after printing the plan')
    .option('--dry-run', 'with --repair: print the plan only')
    .option('--json', 'same as --format json')
    .option('--concurrency <n>', 'users validated at once', '4')
    .option('--shard <i/n>', 'only users whose stable hash falls in shard i of n')
    .addOption(option('--resume <run-id|last>', 'continue an interrupted or partial run', { words: ['last'] }))
    .option('--max-runtime <duration>', 'stop at a checkpoint when the time is up')
    .option('--force-lease', 'run even if another validate of the same target holds the lease')
    .option('--skip-if-running', 'exit 0 instead of 75 when a live run holds the lease (for cron jobs that overlap on purpose)')
    .option('--rollback-on-drift <p%>', 'roll the flag back when more than this share of served users drifted (e.g. 0.5%)')
    .option('--flag <name>', 'the flag the guardrail protects', DEFAULT_FLAG)
    .addOption(option('--actor <name>', "who the guardrail's rollback is attributed to", { shown: 'the OS user, else the CI environment' }));
}

export function registerValidate(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = declareValidate(program).action(async (options, command) => setExit(await runValidate(command, options, io)));
  helpFooter(
    command,
    [
      ['agg validate --sample 5% --format markdown', 'the nightly check, for a job summary'],
      ['agg validate --user alice --fail-on any', 'one user; exit 1 on any finding'],
      ['agg validate --all --repair --dry-run', 'the plan to repair what is wrong'],
      ['agg validate --sample 5% --rollback-on-drift 0.5%', 'roll back on drift'],
    ],
    ['Exit codes: 0 clean, 1 found what --fail-on names (or a user could not be validated), 2 bad usage, 3 the store failed, 75 another run holds the lease.'],
  );
}
