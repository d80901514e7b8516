import type { Command } from 'commander';
import { withStore } from '../cli/context.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import { describeFailures, formatDuration, makeTable } from '../cli/format.js';
import type { CommandIo } from '../cli/io.js';
import { parseInteger } from '../cli/numbers.js';
import { parseCheckpoint } from '../jobs/checkpoint.js';
import { LEASE_TTL_MS, LeaseHolder, type LivenessProbe, describeHolder, describeLeaseTimes, describeProcess, holderState } from '../jobs/lease.js';
import type { Lease, RunRecord, Store } from '../store/types.js';

interface RunsOptions {
  json?: boolean;
  limit: string;
  command?: string;
  clear?: string;
}

/**
 * Why a run still marked running is dead (kill -9, a lost machine), or null when it may be alive. With a
 * lease of its own, the lease says: expired, or its holder's process gone on this host. Without one,
 * a heartbeat older than a lease means the same.
 */
export function deadReason(run: RunRecord, lease: Lease | undefined, now: number, probe?: LivenessProbe): string | null {
  if (run.status !== 'running') return null;
  if (lease !== undefined) {
    const state = holderState(lease, now, probe);
    return state.dead ? state.reason : null;
  }
  const silentMs = now - Date.parse(run.heartbeatAt);
  return silentMs > LEASE_TTL_MS ? `no heartbeat for ${formatDuration(silentMs)}` : null;
}

/** How a dead run is picked up again: backfill and validate resume; others are cleared. */
function recoveryOf(run: RunRecord): string {
  return run.command === 'backfill' || run.command === 'validate' ? `resumable: agg ${run.command} --resume ${run.runId}` : `clear it: agg runs --clear ${run.runId}`;
}

/** A run's status as `agg runs` shows it: a running run whose holder is dead says so. */
export function describeStatus(run: RunRecord, now: number, lease?: Lease, probe?: LivenessProbe): string {
  if (run.status !== 'running') return run.status;
  const dead = deadReason(run, lease, now, probe);
  return dead === null ? 'running' : `running? (dead: ${dead}, ${recoveryOf(run)})`;
}

/** The lease held for each run, by run id. */
async function leasesByRun(store: Store): Promise<Map<string, Lease>> {
  const byRun = new Map<string, Lease>();
  for (const lease of await store.listLeases()) if (lease.runId !== null) byRun.set(lease.runId, lease);
  return byRun;
}

/** The one figure that says what a run did. */
function outcomeOf(run: RunRecord): string {
  const n = (key: string): string => (run.counts[key] ?? 0).toLocaleString('en-US');
  switch (run.command) {
    case 'backfill':
      return `${n('written')} written`;
    case 'validate':
      return `${n('status:drift')} drift`;
    case 'cleanup':
      return `${n('deleted')} deleted`;
    default:
      return '-';
  }
}

/**
 * A per-user run's failed users as its checkpoint keeps them (still to retry): how many and the first
 * ones; runs with no readable checkpoint fall back to their count.
 */
export function failedUsersOf(run: RunRecord): { count: number; named: string[] } {
  const stored = (run.checkpoint as { progress?: unknown } | null)?.progress;
  let progress;
  try {
    progress = stored === undefined || stored === null ? null : parseCheckpoint(stored);
  } catch {
    progress = null;
  }
  if (progress === null) return { count: run.counts.usersFailed ?? 0, named: [] };
  if ('version' in progress) return { count: progress.failedCount, named: progress.failedSample };
  return { count: progress.failed.length, named: progress.failed.slice(0, 100) };
}

/**
 * `agg runs --clear ID`: marks a dead run (still `running` in the ledger) interrupted, so it stops being
 * reported as running; a live one is refused (exit 75). The dead holder's lease is taken over first
 * (only if it is still that holder's), so that no resume can start in between, and given back after.
 */
async function clearRun(store: Store, runId: string, io: CommandIo, json: boolean): Promise<number> {
  const run = await store.getRun(runId);
  if (run === null) throw new UsageError(`no run ${runId} in the ledger (see agg runs)`);
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
  io.stdout.write(json ? `${JSON.stringify({ runId, cleared: true, status: 'interrupted', dead })}\n` : `cleared run ${runId} (dead: ${dead}): marked interrupted${next}\n`);
  return ExitCode.ok;
}

export async function runRuns(command: Command, options: RunsOptions, io: CommandIo): Promise<number> {
  const limit = parseInteger(options.limit, { option: '--limit', min: 1, max: 1000 });
  return withStore(command, io, async ({ store }) => {
    if (options.clear !== undefined) return clearRun(store, options.clear, io, options.json === true);
    const [runs, leases] = await Promise.all([store.listRuns(limit, options.command), leasesByRun(store)]);
    const now = io.now();
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ runs: runs.map((run) => ({ ...run, dead: deadReason(run, leases.get(run.runId), now) })) })}\n`);
      return 0;
    }
    if (runs.length === 0) {
      io.stdout.write('no runs recorded yet\n');
      return 0;
    }
    const table = makeTable(['run', 'command', 'target', 'status', 'started', 'took', 'users', 'outcome', 'failed'], {
      colAligns: ['left', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'right'],
    });
    const failures: string[] = [];
    for (const run of runs) {
      const took = run.finishedAt ? formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : '-';
      const perUser = run.command === 'backfill' || run.command === 'validate';
      const users = perUser ? `${run.counts.usersDone ?? 0}/${run.counts.usersTotal ?? '?'}` : '-';
      const failed = perUser ? failedUsersOf(run) : null;
      table.push([run.runId, run.command, run.target, describeStatus(run, now, leases.get(run.runId)), run.startedAt, took, users, outcomeOf(run), failed ? failed.count.toLocaleString('en-US') : '-']);
      if (failed && failed.count > 0) failures.push(`${run.runId}: ${describeFailures(failed.count, failed.named)}`);
    }
    io.stdout.write(`${table.toString()}\n${failures.map((line) => `${line}\n`).join('')}`);
    return 0;
  }, { mustExist: true });
}

export function registerRuns(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  program
    .command('runs')
    .description('list recent backfill, validate and cleanup runs from the run ledger')
    .option('--json', 'print one JSON document on stdout')
    .option('--limit <n>', 'how many runs', '20')
    .option('--command <name>', 'only runs of this command (backfill, validate, cleanup or delete-user)')
    .option('--clear <run-id>', 'mark a dead run (still shown as running) interrupted; a live one is refused')
    .action(async (options: RunsOptions, command: Command) => setExit(await runRuns(command, options, io)));
}
