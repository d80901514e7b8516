import type { Command } from 'commander';
import { withStore } from '../cli/context.js';
import { describeFailures, formatDuration, makeTable } from '../cli/format.js';
import type { CommandIo } from '../cli/io.js';
import { parseInteger } from '../cli/numbers.js';
import { parseCheckpoint } from '../jobs/checkpoint.js';
import { LEASE_TTL_MS } from '../jobs/lease.js';
import type { RunRecord } from '../store/types.js';

interface RunsOptions {
  json?: boolean;
  limit: string;
  command?: string;
}

/** A run still marked running whose heartbeat is older than a lease has probably died (kill -9). */
export function describeStatus(run: RunRecord, now: number): string {
  if (run.status !== 'running') return run.status;
  const silentMs = now - Date.parse(run.heartbeatAt);
  return silentMs > LEASE_TTL_MS ? `running? (no heartbeat for ${formatDuration(silentMs)}: resumable)` : 'running';
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

export async function runRuns(command: Command, options: RunsOptions, io: CommandIo): Promise<number> {
  const limit = parseInteger(options.limit, { option: '--limit', min: 1, max: 1000 });
  return withStore(command, io, async ({ store }) => {
    const runs = await store.listRuns(limit, options.command);
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ runs })}\n`);
      return 0;
    }
    if (runs.length === 0) {
      io.stdout.write('no runs recorded yet\n');
      return 0;
    }
    const table = makeTable(['run', 'command', 'target', 'status', 'started', 'took', 'users', 'outcome', 'failed'], {
      colAligns: ['left', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'right'],
    });
    const now = io.now();
    const failures: string[] = [];
    for (const run of runs) {
      const took = run.finishedAt ? formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : '-';
      const perUser = run.command === 'backfill' || run.command === 'validate';
      const users = perUser ? `${run.counts.usersDone ?? 0}/${run.counts.usersTotal ?? '?'}` : '-';
      const failed = perUser ? failedUsersOf(run) : null;
      table.push([run.runId, run.command, run.target, describeStatus(run, now), run.startedAt, took, users, outcomeOf(run), failed ? failed.count.toLocaleString('en-US') : '-']);
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
    .option('--command <name>', 'only runs of this command (backfill, validate or cleanup)')
    .action(async (options: RunsOptions, command: Command) => setExit(await runRuns(command, options, io)));
}
