import type { CommandUnknownOpts, CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { ExitCode, InfrastructureError, UsageError } from '../cli/errors.js';
import type { CommandIo } from '../cli/io.js';
import { interruptedExitCode } from '../cli/interruption.js';
import { jobContextFor } from '../cli/job-events.js';
import type { z } from 'zod';
import { findRunToResume, runTask, type Task, type TaskOptions, type TaskResult } from '../jobs/task.js';
import type { Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';
import { requireKnownUsers } from '../users/known-users.js';
import { reportLeaseHeld } from './lease-held.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { nothingToResumeDocument } from '../cli/json-schemas/backfill.js';

// What backfill and validate share as commands over src/jobs: running the task with the command's
// options, what to say when another run holds the lease, and the exit code at the end.

/**
 * `--resume RUN_ID|last`: the run and the spec it was started with, from the ledger; or, when that run
 * already succeeded, the exit code after saying so (as JSON with --json): nothing is left to do.
 */
async function loadRunToResume<S>(
  store: Store,
  io: CommandIo,
  request: { readonly command: 'backfill' | 'validate'; readonly reference: string; readonly json: boolean },
  specSchema: z.ZodType<S>,
): Promise<{ readonly run: RunRecord; readonly spec: S } | { readonly exitCode: number }> {
  const run = await findRunToResume(store, request.command, request.reference);
  if (!run) throw new UsageError(`no ${request.command} run ${request.reference === 'last' ? 'to resume' : request.reference} in the ledger (see agg runs)`);
  const parsed = specSchema.safeParse((run.checkpoint as { spec?: unknown } | null)?.spec);
  if (run.command !== request.command || !parsed.success) throw new UsageError(`run ${run.runId} is not a resumable ${request.command} run`);
  // A run stopped by a store failure is 'failed' with no failed user: exactly what --resume is for.
  if (run.status === 'succeeded') {
    io.stdout.write(request.json ? jsonLine(nothingToResumeDocument, { schema: 'agg.nothing-to-resume/v1', command: request.command, runId: run.runId, status: 'succeeded', resumed: false }) : `run ${run.runId} already succeeded; nothing to resume\n`);
    return { exitCode: ExitCode.ok };
  }
  return { run, spec: parsed.data };
}

/**
 * The spec a backfill or validate runs with: the resumed run's (`--resume`), or the fresh one from the
 * options, whose named users must be known (results computed for, or a clean validation recorded of, a
 * user the store does not know would be a typo's doing). An exit code when there is nothing to resume.
 */
export async function runSpec<S extends { readonly selection: { readonly kind: string; readonly users?: readonly string[] } }>(
  store: Store,
  io: CommandIo,
  request: { readonly command: 'backfill' | 'validate'; readonly resume: string | undefined; readonly json: boolean; readonly fresh: S | null },
  specSchema: z.ZodType<S>,
): Promise<{ readonly resume: RunRecord | null; readonly spec: S } | { readonly exitCode: number }> {
  if (request.resume !== undefined) {
    const loaded = await loadRunToResume(store, io, { command: request.command, reference: request.resume, json: request.json }, specSchema);
    return 'exitCode' in loaded ? loaded : { resume: loaded.run, spec: loaded.spec };
  }
  const spec = request.fresh!;
  if (spec.selection.kind === 'users') await requireKnownUsers(store, spec.selection.users ?? [], { label: '--user' });
  return { resume: null, spec };
}

/** Refuses flags that would change a resumed run (it continues exactly as it was started). */
export function refuseDefiningFlags(command: CommandUnknownOpts, names: readonly string[]): void {
  const given = names.filter((name) => command.getOptionValueSource(name) === 'cli');
  if (given.length > 0) {
    const flags = given.map((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new UsageError(`--resume continues a run as it was started; drop ${flags.join(', ')}`);
  }
}

/** Exit code and the closing stderr line shared by backfill and validate. */
export function finishCode(commandName: string, result: Extract<TaskResult<unknown>, { kind: 'ran' }>, io: CommandIo): number {
  const resumeHint = result.runId ? `agg ${commandName} --resume ${result.runId}` : '';
  if (result.fatal) {
    // Progress is claimed saved only when the ledger's last write went through (not into a lost store).
    throw new InfrastructureError(`${result.fatal.message}${result.runId && result.ledgerSaved ? ` (progress saved: ${resumeHint})` : ''}`);
  }
  switch (result.stoppedBy) {
    case 'interrupted':
      io.stderr.write(`agg: interrupted${io.signal?.reason === 'SIGTERM' ? ' (SIGTERM)' : ''}; progress saved${resumeHint ? `: ${resumeHint}` : ''}\n`);
      return interruptedExitCode(io.signal);
    case 'deadline':
      io.stderr.write(`agg: --max-runtime reached: partial, resumable${resumeHint ? `: ${resumeHint}` : ''}\n`);
      return result.failedCount > 0 ? ExitCode.findings : ExitCode.ok;
    case 'lease-lost':
      // Not a finding: another run has the lease now (exit 75, as for a lease held at the start).
      io.stderr.write(`agg: another run took over the lease; stopped. Partial, resumable${resumeHint ? `: ${resumeHint}` : ''} (exit 75)\n`);
      return ExitCode.tempfail;
    default:
      return result.failedCount > 0 ? ExitCode.findings : ExitCode.ok;
  }
}

/** The command line as typed (after `agg`), for the ledger (redacted by the caller). */
export function commandLine(command: CommandUnknownOpts): string[] {
  const parent = command.parent as (Command & { rawArgs?: string[] }) | null;
  const raw = parent?.rawArgs ?? [];
  return raw.length > 0 ? raw : [command.name(), ...command.args];
}

/**
 * Runs a task for a command; when a live run holds the lease, says so in one line and returns exit
 * code 75 (0 with --skip-if-running), otherwise the run's result.
 */
export async function runCommandTask<T>(
  command: CommandUnknownOpts,
  task: Task<T>,
  options: Omit<TaskOptions, 'args' | 'context'> & { readonly io: CommandIo; readonly quiet: boolean; readonly skipIfRunning: boolean },
): Promise<Extract<TaskResult<T>, { kind: 'ran' }> | number> {
  const { skipIfRunning, io, quiet, ...taskOptions } = options;
  const result = await runTask(task, { ...taskOptions, context: jobContextFor(io, { quiet }), args: io.redactor.args(commandLine(command)) });
  if (result.kind === 'ran') return result;
  return reportLeaseHeld(options.io, { command: task.command, leaseName: result.leaseName, heldBy: result.heldBy, resuming: options.resume?.runId ?? null, skipIfRunning, canForce: true });
}
