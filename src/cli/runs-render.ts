import { AGGREGATION_TYPES } from '../core/aggregations/definition.js';
import { type StoredCheckpoint, parseCheckpoint } from '../jobs/checkpoint.js';
import { LEASE_TTL_MS, type LivenessProbe, describeLeaseTimes, describeProcess, holderState } from '../jobs/lease.js';
import { VALIDATION_STATUSES, type Lease, type RunRecord } from '../store/types.js';
import { describeFailures, formatBytes, formatDuration } from './format.js';
import { readableCounts } from './run-counts.js';
import { jsonText } from './json-schemas/common.js';
import { runDocument } from './json-schemas/runs.js';

// What agg runs and agg runs show say about a run: whether it is alive, what it did, its counts in
// words, its checkpoint and how to continue it; and its JSON document.

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

/** The one figure that says what a run did. */
export function outcomeOf(run: RunRecord): string {
  const n = (key: string): string => (run.counts[key] ?? 0).toLocaleString('en-US');
  switch (run.command) {
    case 'backfill':
      return `${n('written')} written`;
    case 'validate': {
      // What it found, most severe first, and what it repaired: never just a clean-looking "0 drift".
      const found = ['drift', 'outdated', 'stale', 'missing', 'orphan', 'expired'].filter((status) => (run.counts[`status:${status}`] ?? 0) > 0).map((status) => `${n(`status:${status}`)} ${status}`);
      const repaired = (run.counts.repaired ?? 0) > 0 ? [`${n('repaired')} repaired`] : [];
      return found.length === 0 ? `${n('status:match')} match` : [...found, ...repaired].join(', ');
    }
    case 'cleanup':
    case 'delete-user':
      return `${n('deleted')} deleted`;
    case 'archive':
      // An archive run, or a restore (its target says which).
      return run.target.startsWith('restore:') ? `${n('inserted')} restored` : `${n('archived')} archived`;
    case 'import':
      return `${n('inserted')} inserted, ${n('updated')} updated${(run.counts.deleted ?? 0) > 0 ? `, ${n('deleted')} deleted` : ''}`;
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

const n = (value: number): string => value.toLocaleString('en-US');

/** An argument as a POSIX shell reads it back. */
function shellWord(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The run's command line as typed (keys redacted when it was recorded). */
function commandLineOf(run: RunRecord): string {
  return ['agg', ...run.args].map(shellWord).join(' ');
}

/** What continues a run that did not finish: its resume, the same command again, or clearing a dead one. */
export function continuationOf(run: RunRecord, dead: string | null): string | null {
  if (run.status === 'succeeded' || (run.status === 'running' && dead === null)) return null;
  if (run.command === 'backfill' || run.command === 'validate') return `agg ${run.command} --resume ${run.runId}`;
  if (run.status === 'running') return `agg runs --clear ${run.runId}`;
  return run.args.length > 0 ? commandLineOf(run) : null;
}

/** Counts under their own names, for each command (keys not named here are printed as they are). */
const COUNT_LABELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  backfill: {
    records: 'records read',
    results: 'results computed',
    written: 'results written',
    created: 'new results',
    changed: 'changed results',
    unchanged: 'unchanged results',
    bytes: 'bytes written',
  },
  validate: {
    records: 'records read',
    usersClean: 'users clean',
    repaired: 'results repaired',
    'guardrail:served': 'served users validated',
    'guardrail:drift': 'served users with drift',
  },
  cleanup: { matched: 'rows found', deleted: 'rows deleted', kept: 'rows kept (changed since found)', bytes: 'bytes freed' },
  'delete-user': { deleted: 'rows deleted' },
  archive: {
    archived: 'rows archived',
    archives: 'archives',
    chunks: 'chunks',
    bytes: 'bytes archived',
    resumed: 'archives finished for an earlier run',
    discarded: 'half exports discarded',
    inserted: 'rows restored',
    identical: 'rows already there',
    conflicting: 'rows kept (the store has another version)',
    skippedRetained: 'stale copies skipped',
  },
  import: { records: 'records in the file', inserted: 'records inserted', updated: 'records updated', unchanged: 'records unchanged', deleted: 'records deleted (--replace)', storedNotInFile: 'stored records not in the file (kept)' },
};

const STATUS_WORDS: Readonly<Record<string, string>> = { match: 'match', drift: 'drift', stale: 'stale', missing: 'missing', orphan: 'orphan', outdated: 'outdated', expired: 'expired' };

/** A run's counts as lines of words: users, the command's own figures, results by status and by type. */
export function describeCounts(run: RunRecord): string[] {
  const counts = run.counts;
  const seen = new Set<string>();
  const take = (key: string): number | undefined => {
    seen.add(key);
    return counts[key];
  };
  const lines: [string, string][] = [];
  if (counts.usersTotal !== undefined || counts.usersDone !== undefined) {
    const failed = take('usersFailed') ?? 0;
    lines.push(['users', `${n(take('usersDone') ?? 0)} of ${n(take('usersTotal') ?? 0)} done${failed > 0 ? `, ${n(failed)} failed` : ''}`]);
  }
  for (const [key, label] of Object.entries(COUNT_LABELS[run.command] ?? {})) {
    const value = take(key);
    if (value !== undefined) lines.push([label, key === 'bytes' ? `${formatBytes(value)} (${n(value)} bytes)` : n(value)]);
    // Rows deleted by category (cleanup) or table (delete-user), under the total.
    if (key === 'deleted') {
      // In name order: stores keep the keys of a document in different orders.
      for (const part of Object.keys(counts).sort()) {
        const of = /^deleted:(.+)$/.exec(part);
        if (of) lines.push([`  ${of[1]}`, n(take(part)!)]);
      }
    }
  }
  const statuses = VALIDATION_STATUSES.filter((status) => counts[`status:${status}`] !== undefined);
  if (statuses.length > 0) lines.push(['results', statuses.map((status) => `${n(take(`status:${status}`)!)} ${STATUS_WORDS[status]}`).join(', ')]);
  // By type, for the types where something did not match (each a line, in the types' own order).
  const byType = new Map<string, { parts: Array<[string, number]>; findings: boolean }>();
  for (const [key, value] of Object.entries(counts)) {
    const match = /^type:([^:]+):([^:]+)$/.exec(key);
    if (!match) continue;
    seen.add(key);
    const entry = byType.get(match[1]!) ?? { parts: [], findings: false };
    entry.parts.push([match[2]!, value]);
    if (match[2] !== 'match' && value > 0) entry.findings = true;
    byType.set(match[1]!, entry);
  }
  const statusOrder = (status: string): number => {
    const i = (VALIDATION_STATUSES as readonly string[]).indexOf(status);
    return i < 0 ? VALIDATION_STATUSES.length : i;
  };
  const typeOrder = (type: string): number => {
    const i = (AGGREGATION_TYPES as readonly string[]).indexOf(type);
    return i < 0 ? AGGREGATION_TYPES.length : i;
  };
  for (const [type, entry] of [...byType].sort(([a], [b]) => typeOrder(a) - typeOrder(b) || (a < b ? -1 : a > b ? 1 : 0))) if (entry.findings) {
    const parts = [...entry.parts].sort(([a], [b]) => statusOrder(a) - statusOrder(b) || (a < b ? -1 : a > b ? 1 : 0));
    lines.push([`  ${type}`, parts.map(([status, value]) => `${n(value)} ${STATUS_WORDS[status] ?? status}`).join(', ')]);
  }
  const storeCalls = take('storeCalls');
  if (storeCalls !== undefined) lines.push(['store calls', n(storeCalls)]);
  for (const key of Object.keys(counts).sort()) if (!seen.has(key)) lines.push([key, n(counts[key]!)]);
  const width = Math.max(0, ...lines.map(([label]) => label.length)) + 2;
  return lines.map(([label, value]) => `  ${label.padEnd(width)}${value}`);
}

/** Where a per-user run stands, from its checkpoint. */
export function describeCheckpoint(run: RunRecord): string | null {
  if (run.command !== 'backfill' && run.command !== 'validate') return null;
  let progress: StoredCheckpoint;
  try {
    progress = parseCheckpoint((run.checkpoint as { progress?: unknown } | null)?.progress);
  } catch (error) {
    return `unreadable: ${(error as Error).message}`;
  }
  const failed = failedUsersOf(run);
  const failures = failed.count > 0 ? `; ${describeFailures(failed.count, failed.named.slice(0, 5))}` : '';
  if ('version' in progress) {
    if (progress.through === null) return `no user settled yet${failures}`;
    const pending = progress.pending.length > 0 ? `, except ${n(progress.pending.length)} still pending (${progress.pending.slice(0, 5).join(', ')}${progress.pending.length > 5 ? ', …' : ''})` : '';
    const redo = progress.redoAfter === null ? '' : `; a resume redoes every user after ${progress.redoAfter}`;
    return `every user up to ${progress.through} (in id order) settled${pending}${failures}${redo}`;
  }
  if (progress.cursor === null && progress.ahead.length === 0) return `no user settled yet${failures}`;
  return `every user up to ${progress.cursor ?? '(none)'} settled, and ${n(progress.ahead.length)} beyond it${failures} (an older checkpoint format)`;
}

export function runJson(run: RunRecord, now: number, lease: Lease | undefined): string {
  const dead = deadReason(run, lease, now);
  return jsonText(runDocument, {
    schema: 'agg.run/v1',
    ...run,
    counts: readableCounts(run),
    dead,
    durationMs: run.finishedAt === null ? null : Date.parse(run.finishedAt) - Date.parse(run.startedAt),
    lease: lease ?? null,
    resume: continuationOf(run, dead),
  });
}

export function renderRun(run: RunRecord, now: number, lease: Lease | undefined): string {
  const dead = deadReason(run, lease, now);
  const status = run.status === 'running' ? (dead === null ? 'running (alive)' : `running? (dead: ${dead})`) : run.status;
  const rows: [string, string][] = [
    ['command', run.command],
    ['status', status],
    ['target', run.target],
    ['arguments', commandLineOf(run)],
    ['started', run.startedAt],
  ];
  if (run.finishedAt !== null) rows.push(['finished', `${run.finishedAt} (took ${formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt))})`]);
  else rows.push(['finished', `not yet (running for ${formatDuration(Math.max(0, now - Date.parse(run.startedAt)))})`]);
  if (run.status === 'running') rows.push(['heartbeat', `${run.heartbeatAt} (${formatDuration(Math.max(0, now - Date.parse(run.heartbeatAt)))} ago)`]);
  if (lease !== undefined) rows.push(['holder', `${describeProcess(lease)}, lease ${lease.name}; ${describeLeaseTimes(lease, now)}`]);
  const checkpoint = describeCheckpoint(run);
  if (checkpoint !== null) rows.push(['checkpoint', checkpoint]);
  const next = continuationOf(run, dead);
  if (next !== null) rows.push([run.command === 'backfill' || run.command === 'validate' ? 'resume' : run.status === 'running' ? 'clear' : 'finish', next]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const counts = describeCounts(run);
  return [`run ${run.runId}`, ...rows.map(([label, value]) => `${label.padEnd(width)}${value}`), counts.length > 0 ? 'counts:' : 'counts: none yet', ...counts].join('\n');
}
