import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { parseDuration } from '../core/duration.js';
import { formatBasisPoints } from '../core/rollout.js';
import { REGISTRY } from '../core/registry.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { StatusThresholds } from '../config/config.js';
import { LEASE_TTL_MS, holderState } from '../jobs/lease.js';
import { readStatus } from '../rollout/report.js';
import type { RunRecord, RunStatus } from '../store/types.js';
import type { Store } from '../store/store.js';
import { VALIDATION_STATUSES } from '../store/types.js';
import { paginate } from '../store/paginate.js';
import { counted } from '../text/plural.js';

// The figures behind `agg status`, read with paged calls (never everything at once) from any store.

export interface FreshnessCounts {
  total: number;
  fresh: number;
  /** Unexpired but expiring within the refresh threshold. */
  expiring: number;
  expired: number;
  bytes: number;
  olderVersion: number;
}

export interface RunSummary {
  readonly command: string;
  readonly runId: string;
  readonly status: RunStatus;
  readonly target: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly counts: Readonly<Record<string, number>>;
}

export interface LeaseSummary {
  readonly name: string;
  readonly runId: string | null;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  readonly ageMs: number;
  /** The holding run's --max-runtime, when it set one. */
  readonly maxRuntimeMs: number | null;
}

export interface Alert {
  readonly name: 'backlog-age' | 'expired-share' | 'served-expired' | 'consistency' | 'validate-age' | 'stuck-lease';
  readonly message: string;
}

export interface StatusReport {
  readonly generatedAt: string;
  readonly store: string;
  readonly refreshThresholdMs: number;
  readonly aggregations: FreshnessCounts & {
    readonly oldestComputedAt: string | null;
    readonly byType: Record<AggregationType, FreshnessCounts>;
  };
  readonly users: {
    readonly total: number;
    readonly withRecords: number;
    readonly withPendingChanges: number;
    readonly oldestPendingChangeAt: string | null;
    readonly oldestPendingAgeMs: number | null;
  };
  readonly rollout: {
    readonly flag: string;
    readonly percent: number;
    readonly rolledBack: boolean;
    readonly usersIn: number;
    readonly usersServed: number;
    readonly heldBack: number;
    readonly allowOverrides: number;
    readonly denyOverrides: number;
    readonly lastChangeAt: string;
    readonly lastChangeBy: string;
  }[];
  readonly runs: { readonly last: RunSummary[]; readonly leases: LeaseSummary[] };
  readonly consistency: {
    readonly runId: string;
    readonly at: string;
    readonly ageMs: number;
    /** After the run's own repairs, when it repaired (a repaired row matches once rewritten). */
    readonly matchShare: number | null;
    readonly checked: number;
    readonly repaired: number;
    /** Its scope: users it validated, of the users known now. */
    readonly usersValidated: number;
    readonly usersKnown: number;
    readonly scope: string;
  } | null;
  /** Results of users the app is served from pre-computed results, and how many of those are expired. */
  readonly served: { readonly users: number; readonly results: number; readonly expired: number; readonly usersWithExpired: number };
  readonly archives: { readonly count: number; readonly rows: number; readonly bytes: number; readonly lastVerifiedAt: string | null };
  readonly alerts: Alert[];
}

const emptyCounts = (): FreshnessCounts => ({ total: 0, fresh: 0, expiring: 0, expired: 0, bytes: 0, olderVersion: 0 });

function summarizeRun(run: RunRecord): RunSummary {
  return {
    command: run.command,
    runId: run.runId,
    status: run.status,
    target: run.target,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.finishedAt === null ? null : Date.parse(run.finishedAt) - Date.parse(run.startedAt),
    counts: run.counts,
  };
}

/** The --max-runtime a run was started with, from its recorded arguments. */
export function maxRuntimeOf(run: RunRecord | null): number | null {
  if (!run) return null;
  const i = run.args.indexOf('--max-runtime');
  const text = i >= 0 ? run.args[i + 1] : run.args.find((arg) => arg.startsWith('--max-runtime='))?.slice('--max-runtime='.length);
  return text === undefined ? null : parseDuration(text);
}

export async function collectStatus(store: Store, thresholds: StatusThresholds, nowMs: number): Promise<StatusReport> {
  const now = formatIsoInstant(nowMs);
  const soon = formatIsoInstant(nowMs + thresholds.refreshThresholdMs);

  const byType = Object.fromEntries(AGGREGATION_TYPES.map((type) => [type, emptyCounts()])) as Record<AggregationType, FreshnessCounts>;
  const totals = emptyCounts();
  let oldestComputedAt: string | null = null;
  const owners = new Set<string>();
  /** Per user: results and expired results (for the share of served users' results that are expired). */
  const perUser = new Map<string, { results: number; expired: number }>();
  for await (const digest of paginate((page) => store.pageAllDigests(page))) {
    owners.add(digest.userId);
    const mine = perUser.get(digest.userId) ?? { results: 0, expired: 0 };
    mine.results++;
    if (digest.expiresAt < now) mine.expired++;
    perUser.set(digest.userId, mine);
    for (const counts of [totals, byType[digest.aggregationType]]) {
      counts.total++;
      // Each result's own data bytes, as if stored alone: data results share (content-addressed) counts once per result.
      counts.bytes += digest.metadata.bytes;
      if (digest.expiresAt < now) counts.expired++;
      else if (digest.expiresAt < soon) counts.expiring++;
      else counts.fresh++;
      if (digest.version < REGISTRY[digest.aggregationType].version) counts.olderVersion++;
    }
    if (oldestComputedAt === null || digest.computedAt < oldestComputedAt) oldestComputedAt = digest.computedAt;
  }

  const known = new Set(owners);
  let withRecords = 0;
  for await (const user of paginate((page) => store.listUsers(page))) {
    known.add(user.userId);
    if (user.recordCount > 0) withRecords++;
  }
  let withPendingChanges = 0;
  let oldestPendingChangeAt: string | null = null;
  for await (const pending of store.pendingUsers()) {
    known.add(pending.userId);
    withPendingChanges++;
    if (oldestPendingChangeAt === null || pending.oldestChangedAt < oldestPendingChangeAt) oldestPendingChangeAt = pending.oldestChangedAt;
  }

  const rollout = [];
  const served = { users: 0, results: 0, expired: 0, usersWithExpired: 0 };
  const servedUsers = new Set<string>();
  for (const flag of await store.listFlags()) {
    const status = await readStatus(store, flag.flag, 1, now, (userId) => servedUsers.add(userId));
    rollout.push({
      flag: flag.flag,
      percent: Number(formatBasisPoints(flag.rolledBack ? 0 : flag.basisPoints).replace('%', '')),
      rolledBack: flag.rolledBack,
      usersIn: status.usersIn,
      usersServed: status.usersServed,
      heldBack: status.heldBack,
      allowOverrides: status.allow.length,
      denyOverrides: status.deny.length,
      lastChangeAt: flag.updatedAt,
      lastChangeBy: flag.updatedBy,
    });
  }

  for (const userId of servedUsers) {
    const mine = perUser.get(userId) ?? { results: 0, expired: 0 };
    served.users++;
    served.results += mine.results;
    served.expired += mine.expired;
    if (mine.expired > 0) served.usersWithExpired++;
  }

  const last: RunSummary[] = [];
  // The cron jobs' newest runs (import and delete-user run by hand: agg runs lists them).
  for (const command of ['backfill', 'validate', 'cleanup', 'archive']) {
    const [run] = await store.listRuns(1, command);
    if (run) last.push(summarizeRun(run));
  }
  const leases: LeaseSummary[] = [];
  for (const lease of await store.listLeases()) {
    // Expired, or its holder's process gone on this host: not a live lease.
    if (holderState(lease, nowMs).dead) continue;
    const run = lease.runId === null ? null : await store.getRun(lease.runId);
    leases.push({ name: lease.name, runId: lease.runId, acquiredAt: lease.acquiredAt, expiresAt: lease.expiresAt, ageMs: nowMs - Date.parse(lease.acquiredAt), maxRuntimeMs: maxRuntimeOf(run) });
  }

  const validateRun = (await store.listRuns(5, 'validate')).find((run) => run.finishedAt !== null) ?? null;
  let consistency: StatusReport['consistency'] = null;
  if (validateRun) {
    const checked = VALIDATION_STATUSES.reduce((n, status) => n + (validateRun.counts[`status:${status}`] ?? 0), 0);
    const repaired = validateRun.counts.repaired ?? 0;
    const usersValidated = validateRun.counts.usersDone ?? 0;
    consistency = {
      runId: validateRun.runId,
      at: validateRun.finishedAt!,
      ageMs: nowMs - Date.parse(validateRun.finishedAt!),
      matchShare: checked === 0 ? null : Math.min(1, ((validateRun.counts['status:match'] ?? 0) + repaired) / checked),
      checked,
      repaired,
      usersValidated,
      usersKnown: known.size,
      scope: validateRun.target,
    };
  }

  const manifests = await store.maintenance.listArchiveManifests();
  const archives = {
    count: manifests.length,
    rows: manifests.reduce((n, m) => n + m.rowCount, 0),
    bytes: manifests.reduce((n, m) => n + m.bytes, 0),
    lastVerifiedAt: manifests.reduce<string | null>((latest, m) => (m.verifiedAt !== null && (latest === null || m.verifiedAt > latest) ? m.verifiedAt : latest), null),
  };

  const users = {
    total: known.size,
    withRecords,
    withPendingChanges,
    oldestPendingChangeAt,
    oldestPendingAgeMs: oldestPendingChangeAt === null ? null : nowMs - Date.parse(oldestPendingChangeAt),
  };
  const report: Omit<StatusReport, 'alerts'> = {
    generatedAt: now,
    store: store.description,
    refreshThresholdMs: thresholds.refreshThresholdMs,
    aggregations: { ...totals, oldestComputedAt, byType },
    users,
    rollout,
    runs: { last, leases },
    consistency,
    served,
    archives,
  };
  return { ...report, alerts: alertsOf(report, thresholds) };
}

function alertsOf(report: Omit<StatusReport, 'alerts'>, thresholds: StatusThresholds): Alert[] {
  const alerts: Alert[] = [];
  const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
  if (thresholds.maxBacklogAgeMs !== null && report.users.oldestPendingAgeMs !== null && report.users.oldestPendingAgeMs > thresholds.maxBacklogAgeMs) {
    alerts.push({ name: 'backlog-age', message: `the oldest unprocessed change is ${minutes(report.users.oldestPendingAgeMs)} old (max ${minutes(thresholds.maxBacklogAgeMs)}): is backfill --changed running?` });
  }
  const { total, expired } = report.aggregations;
  // What the app serves is what matters: an expired result of a served user is computed in the app.
  // Before anyone is served, every stored result is one the app may come to serve.
  if (thresholds.maxExpiredShare !== null && report.served.users > 0) {
    if (report.served.results > 0 && report.served.expired / report.served.results > thresholds.maxExpiredShare) {
      alerts.push({
        name: 'served-expired',
        message: `${((report.served.expired / report.served.results) * 100).toFixed(1)}% of served users' results are expired (${report.served.usersWithExpired} of ${counted(report.served.users, 'user')}; max ${(thresholds.maxExpiredShare * 100).toFixed(1)}%): run agg backfill --changed more often`,
      });
    }
  } else if (thresholds.maxExpiredShare !== null && total > 0 && expired / total > thresholds.maxExpiredShare) {
    alerts.push({ name: 'expired-share', message: `${((expired / total) * 100).toFixed(1)}% of stored aggregations are expired (max ${(thresholds.maxExpiredShare * 100).toFixed(1)}%)` });
  }
  if (thresholds.minConsistency !== null) {
    const share = report.consistency?.matchShare ?? null;
    if (report.consistency === null) alerts.push({ name: 'consistency', message: 'no finished validate run yet: consistency unknown' });
    else if (share !== null && share < thresholds.minConsistency) {
      alerts.push({ name: 'consistency', message: `validate run ${report.consistency.runId} matched ${(share * 100).toFixed(2)}% (floor ${(thresholds.minConsistency * 100).toFixed(2)}%)` });
    }
  }
  if (thresholds.maxValidateAgeMs !== null && report.consistency !== null && report.consistency.ageMs > thresholds.maxValidateAgeMs) {
    alerts.push({ name: 'validate-age', message: `the latest validate run finished ${minutes(report.consistency.ageMs)} ago (max ${minutes(thresholds.maxValidateAgeMs)})` });
  }
  for (const lease of report.runs.leases) {
    // A holder renews its lease while it works: a lease older than its run's --max-runtime (plus one
    // lease period to stop at a checkpoint) means the run is stuck.
    if (lease.maxRuntimeMs !== null && lease.ageMs > lease.maxRuntimeMs + LEASE_TTL_MS) {
      alerts.push({ name: 'stuck-lease', message: `lease ${lease.name} (run ${lease.runId}) held for ${minutes(lease.ageMs)}, past its --max-runtime of ${minutes(lease.maxRuntimeMs)}` });
    }
  }
  return alerts;
}
