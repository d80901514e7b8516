import type { Command } from 'commander';
import { withStore } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { formatDuration, makeTable } from '../cli/format.js';
import type { CommandIo } from '../cli/io.js';
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

export async function runRuns(command: Command, options: RunsOptions, io: CommandIo): Promise<number> {
  const limit = Number(options.limit);
  if (!/^\d+$/.test(options.limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit "${options.limit}" must be a whole number from 1 to 1000`);
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
    for (const run of runs) {
      const took = run.finishedAt ? formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : '-';
      const perUser = run.command === 'backfill' || run.command === 'validate';
      const users = perUser ? `${run.counts.usersDone ?? 0}/${run.counts.usersTotal ?? '?'}` : '-';
      table.push([run.runId, run.command, run.target, describeStatus(run, now), run.startedAt, took, users, outcomeOf(run), perUser ? String(run.counts.usersFailed ?? 0) : '-']);
    }
    io.stdout.write(`${table.toString()}\n`);
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
