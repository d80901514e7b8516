import { randomBytes } from 'node:crypto';
import type { JsonValue } from '../core/json.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { JobContext } from './events.js';
import type { Lease, RunRecord, RunStatus } from '../store/types.js';
import type { Store } from '../store/store.js';
import { UsageError } from '../errors.js';
import { CheckpointFormatError, CheckpointTracker, EMPTY_CHECKPOINT, type StoredCheckpoint, parseCheckpoint, planResume } from './checkpoint.js';
import { FailureSample, type UserFailure } from './failure-sample.js';
import { RunLedger } from './ledger.js';
import { describeTakeover, LeaseHolder } from './lease.js';
import { type JobOutcome, runJob, type Settlement, type StopReason } from './runner.js';
import { type CollectedUsers, compareUserIds, describeSelection, type Selection, type Shard } from './selection.js';

/** What a command declares: how to find its users and what to do for each (the rest is shared). */
export interface Task<T> {
  readonly command: 'backfill' | 'validate';
  readonly selection: Selection;
  readonly shard: Shard | null;
  /** Everything needed to resume the run later, stored in the ledger. */
  readonly spec: JsonValue;
  collect(): Promise<CollectedUsers>;
  /**
   * Optional: work done once the lease is held and before the users (the tick's renewals), returning
   * more users to process and counts for the run.
   */
  prepare?(): Promise<{ readonly users: readonly string[]; readonly counts: Record<string, number> }>;
  process(userId: string, collected: CollectedUsers, runId: string, context: JobContext): Promise<T>;
  /** Adds one user's outcome to the run's counts. */
  tally(counts: Record<string, number>, outcome: T): void;
  /** Optional: the progress line's second measure (e.g. records processed). */
  detail?(counts: Record<string, number>): string;
}

export interface TaskOptions {
  readonly store: Store;
  /** The clock, the stop signal, and where progress and notices go. */
  readonly context: JobContext;
  readonly args: readonly string[];
  readonly concurrency: number;
  readonly maxRuntimeMs: number | null;
  readonly forceLease: boolean;
  /** A dry run writes nothing: no ledger row, no lease. */
  readonly dryRun: boolean;
  /** The run being resumed, if any. */
  readonly resume: RunRecord | null;
}

export type { UserFailure } from './failure-sample.js';

export type TaskResult<T> =
  | { readonly kind: 'lease-held'; readonly heldBy: Lease; readonly leaseName: string }
  | {
      readonly kind: 'ran';
      readonly runId: string | null;
      readonly status: RunStatus;
      readonly stoppedBy: StopReason | null;
      readonly fatal: Error | null;
      readonly users: number;
      readonly counts: Record<string, number>;
      /** Users that failed in this run (or this part of a resumed one). */
      readonly failedCount: number;
      /** The first of them in run order, at most FAILED_SAMPLE_SIZE, with their errors. */
      readonly failures: UserFailure[];
      readonly ms: number;
      readonly target: string;
      /** The ledger's final write succeeded, so the run can be resumed from here (false for a dry run). */
      readonly ledgerSaved: boolean;
    };

const RUN_ID_PREFIXES = { backfill: 'bf', validate: 'va', cleanup: 'cl', 'delete-user': 'du', import: 'im', archive: 'ar' } as const;

export function newRunId(command: keyof typeof RUN_ID_PREFIXES, now: number): string {
  const stamp = formatIsoInstant(now).replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${RUN_ID_PREFIXES[command]}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Runs a task over its users: lease, ledger, checkpoints, progress, interruption and summary counts. */
export async function runTask<T>(task: Task<T>, options: TaskOptions): Promise<TaskResult<T>> {
  const { store, context: io } = options;
  const started = io.now();
  const target = describeSelection(task.selection, task.shard);
  const runId = options.resume?.runId ?? newRunId(task.command, started);
  const leaseName = `${task.command}:${target}`;
  const control: { reason: StopReason | null } = { reason: null };
  const stored = options.resume ? readProgress(options.resume) : EMPTY_CHECKPOINT;

  // The lease and the user list in one round trip; the list is dropped if the lease is held.
  const [acquired, firstCollected] = await Promise.all([
    options.dryRun
      ? null
      : LeaseHolder.acquire(store, {
          name: leaseName,
          runId,
          now: io.now,
          force: options.forceLease,
          onLost: () => {
            control.reason ??= 'lease-lost';
          },
        }),
    task.collect(),
  ]);
  if (acquired && 'heldBy' in acquired) return { kind: 'lease-held', heldBy: acquired.heldBy, leaseName };
  const lease = acquired?.lease ?? null;
  if (acquired?.tookOver) io.emit({ kind: 'notice', message: describeTakeover(leaseName, acquired.tookOver) });

  try {
    let collected = firstCollected;
    let preparedCounts: Record<string, number> = {};
    if (task.prepare) {
      const prepared = await task.prepare();
      const users = [...new Set([...collected.users, ...prepared.users])].sort(compareUserIds);
      collected = { ...collected, users };
      preparedCounts = prepared.counts;
    }
    // Users start while the ledger row is written; each user's checkpoint waits for the row.
    const ledgerReady: Promise<RunLedger | null> = options.dryRun
      ? Promise.resolve(null)
      : options.resume
        ? RunLedger.resume(store, options.resume, io.now)
        : RunLedger.start(store, { runId, command: task.command, args: options.args, target, spec: task.spec, progress: EMPTY_CHECKPOINT }, io.now);
    ledgerReady.catch(() => undefined);
    const plan = planResume(collected.users, stored);
    const users = plan.users;
    const tracker = new CheckpointTracker(users, plan.base);
    // Users done before and done again now (failed ones retried, redone ones) count once.
    const doneBefore = Math.max(0, (options.resume?.counts.usersDone ?? 0) - plan.redone);
    const counts: Record<string, number> = { ...(options.resume?.counts ?? {}), usersDone: doneBefore, usersTotal: doneBefore + users.length };
    for (const [key, value] of Object.entries(preparedCounts)) counts[key] = (counts[key] ?? 0) + value;
    counts.usersFailed = 0;
    const failures = new FailureSample();
    io.emit({ kind: 'started', label: `${task.command} ${target}` });
    const baseDone = counts.usersDone;

    // Ledger writes settle in order, so the last one settled means all have (one promise, not one per user).
    let lastCheckpoint: Promise<void> = Promise.resolve();
    let ledgerFailure: Error | null = null;
    // Said at once: a heavy user may take a moment to reach the end of its current write.
    const onStop = (): void => io.emit({ kind: 'notice', message: 'stopping: work in progress ends after its current write, then progress is saved (a second Ctrl-C exits at once)' });
    io.signal?.addEventListener('abort', onStop, { once: true });
    const job: JobOutcome = await runJob<T>(
      {
        users,
        concurrency: options.concurrency,
        ...(io.signal ? { signal: io.signal } : {}),
        deadline: options.maxRuntimeMs === null ? null : started + options.maxRuntimeMs,
        now: io.now,
        process: (userId) => task.process(userId, collected, runId, io),
        settled: async (userId, settlement: Settlement<T>) => {
          if (settlement.ok) {
            task.tally(counts, settlement.value);
          } else {
            failures.add({ userId, error: settlement.error.message.split('\n')[0]! });
            counts.usersFailed! += 1;
          }
          counts.usersDone! += 1;
          counts.storeCalls = store.stats.calls;
          tracker.settle(userId, settlement.ok);
          // The user counts as done only once the ledger says so: a crash now redoes nothing finished.
          // The write is not awaited here, so that the run's final write can stand in for the last
          // checkpoints instead of queueing behind them; a failed write stops the run like a fatal error.
          const saved = ledgerReady.then(async (ledger) => {
            if (ledger) await ledger.update(counts, tracker.snapshot());
            io.emit({
              kind: 'progress',
              done: counts.usersDone! - baseDone,
              total: users.length,
              unit: 'users',
              ...(task.detail ? { detail: task.detail(counts) } : {}),
            });
          });
          lastCheckpoint = saved.catch((error: unknown) => {
            ledgerFailure ??= error as Error;
            control.reason ??= 'fatal';
          });
        },
      },
      control,
    ).finally(() => io.signal?.removeEventListener('abort', onStop));
    const outcome: JobOutcome = job.fatal === null && ledgerFailure !== null ? { ...job, stoppedBy: 'fatal', fatal: ledgerFailure } : job;

    const status: RunStatus =
      outcome.stoppedBy === 'interrupted'
        ? 'interrupted'
        : outcome.stoppedBy === 'fatal'
          ? 'failed'
          : outcome.stoppedBy !== null
            ? 'partial'
            : failures.count > 0
              ? 'failed'
              : 'succeeded';
    counts.storeCalls = store.stats.calls;
    const ledger = await ledgerReady.catch((error: unknown) => {
      if (!outcome.fatal) throw error;
      return null;
    });
    // The last ledger write and the lease release are independent: one round trip.
    const released = lease?.release();
    let ledgerSaved = false;
    if (ledger) {
      await ledger.finish(status, counts, tracker.snapshot()).then(
        () => {
          ledgerSaved = true;
        },
        (error: unknown) => {
          if (!outcome.fatal) throw error;
        },
      );
    }
    // A checkpoint that failed after the last user settled is superseded by the final write above.
    await lastCheckpoint;
    io.emit({ kind: 'finished' });
    await released;
    return {
      kind: 'ran',
      runId: options.dryRun ? null : runId,
      status,
      stoppedBy: outcome.stoppedBy,
      fatal: outcome.fatal,
      users: users.length,
      counts,
      failedCount: failures.count,
      failures: failures.failures,
      ms: io.now() - started,
      target,
      ledgerSaved,
    };
  } finally {
    await lease?.release();
  }
}

/** The resumed run's stored progress, checked: this checkpoint format or the one before it. */
function readProgress(run: RunRecord): StoredCheckpoint {
  try {
    return parseCheckpoint((run.checkpoint as { progress?: unknown } | null)?.progress);
  } catch (error) {
    if (error instanceof CheckpointFormatError) throw new UsageError(`run ${run.runId} cannot be resumed: ${error.message}`);
    throw error;
  }
}

/** Finds the run to resume: an id, or `last` (the newest run of the command). */
export async function findRunToResume(store: Store, command: string, reference: string): Promise<RunRecord | null> {
  if (reference === 'last') return (await store.listRuns(1, command))[0] ?? null;
  return store.getRun(reference);
}
