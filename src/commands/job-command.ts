import type { Command } from 'commander';
import { CliError, ExitCode, UsageError } from '../cli/errors.js';
import type { CommandIo } from '../cli/io.js';
import { runTask, type Task, type TaskOptions, type TaskResult } from '../jobs/task.js';

// What backfill and validate share as commands over src/jobs: running the task with the command's
// options, what to say when another run holds the lease, and the exit code at the end.

/** Refuses flags that would change a resumed run (it continues exactly as it was started). */
export function refuseDefiningFlags(command: Command, names: readonly string[]): void {
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
    throw new CliError(`${result.fatal.message}${result.runId ? ` (progress saved: ${resumeHint})` : ''}`, ExitCode.infrastructure);
  }
  switch (result.stoppedBy) {
    case 'interrupted':
      io.stderr.write(`agg: interrupted; progress saved${resumeHint ? `: ${resumeHint}` : ''}\n`);
      return ExitCode.interrupted;
    case 'deadline':
      io.stderr.write(`agg: --max-runtime reached: partial, resumable${resumeHint ? `: ${resumeHint}` : ''}\n`);
      return result.failedCount > 0 ? ExitCode.findings : ExitCode.ok;
    case 'lease-lost':
      io.stderr.write(`agg: another run took over the lease; stopped. Partial, resumable${resumeHint ? `: ${resumeHint}` : ''}\n`);
      return ExitCode.findings;
    default:
      return result.failedCount > 0 ? ExitCode.findings : ExitCode.ok;
  }
}

/** The command line as typed (after `agg`), for the ledger (redacted by the caller). */
export function commandLine(command: Command): string[] {
  const parent = command.parent as (Command & { rawArgs?: string[] }) | null;
  const raw = parent?.rawArgs ?? [];
  return raw.length > 0 ? raw : [command.name(), ...command.args];
}

/**
 * Runs a task for a command; when another run holds the lease, says so and returns exit code 0 (an
 * overlapping cron run is not an error), otherwise the run's result.
 */
export async function runCommandTask<T>(
  command: Command,
  task: Task<T>,
  options: Omit<TaskOptions, 'args'>,
): Promise<Extract<TaskResult<T>, { kind: 'ran' }> | number> {
  const result = await runTask(task, { ...options, args: options.io.redactor.args(commandLine(command)) });
  if (result.kind === 'ran') return result;
  options.io.stderr.write(
    `agg: another ${task.command} (run ${result.heldBy.runId ?? result.heldBy.holder}) holds the lease ${result.leaseName} until ${result.heldBy.expiresAt}; nothing done (this is not an error; --force-lease takes over)\n`,
  );
  return ExitCode.ok;
}
