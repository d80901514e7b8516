import { ExitCode } from '../cli/errors.js';
import type { CommandIo } from '../cli/io.js';
import { describeHolder, describeLeaseTimes, describeProcess } from '../jobs/lease.js';
import type { Lease } from '../store/types.js';

// What every leased command (backfill, validate, cleanup, archive) says and returns when a live run
// holds its lease: one line naming the holder, its heartbeat and when the lease expires; exit 75
// (EX_TEMPFAIL: nothing done, try again later), so that a cron job can tell it from "done", or 0 with
// --skip-if-running, for jobs that overlap on purpose.

export interface LeaseHeld {
  readonly command: string;
  readonly leaseName: string;
  readonly heldBy: Lease;
  /** The run this command was asked to resume, if any. */
  readonly resuming: string | null;
  readonly skipIfRunning: boolean;
  /** Whether the command has --force-lease. */
  readonly canForce: boolean;
}

export function leaseHeldLine(held: LeaseHeld, nowMs: number): string {
  const { heldBy } = held;
  const who =
    held.resuming !== null && heldBy.runId === held.resuming
      ? `run ${held.resuming} is still running (${describeProcess(heldBy)}) and`
      : `another ${held.command} is running: ${describeHolder(heldBy)}`;
  const tail = held.skipIfRunning
    ? '(--skip-if-running)'
    : `(exit ${ExitCode.tempfail}: try again later; --skip-if-running exits 0${held.canForce ? ', --force-lease takes the lease over' : ''})`;
  return `${who} holds the lease ${held.leaseName}, ${describeLeaseTimes(heldBy, nowMs)}; nothing done ${tail}`;
}

/** Says who holds the lease (one line on stderr) and returns the exit code: 75, or 0 with --skip-if-running. */
export function reportLeaseHeld(io: CommandIo, held: LeaseHeld): number {
  io.stderr.write(`agg: ${leaseHeldLine(held, io.now())}\n`);
  return held.skipIfRunning ? ExitCode.ok : ExitCode.tempfail;
}
