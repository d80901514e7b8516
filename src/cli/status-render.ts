import { AGGREGATION_TYPES } from '../core/aggregations/definition.js';
import { formatBytes, formatDuration } from './format.js';
import type { StatusReport } from '../status/collect.js';
import { type Paint, PLAIN } from './colour.js';
import { compactSpan, plainTable } from './plain-table.js';
import { wrapWords } from './wrap.js';
import { statusCharts } from './report-charts.js';
import { counted } from '../text/plural.js';

const n = (value: number): string => value.toLocaleString('en-US');

/** An archive run's one figure: rows archived, or for a restore (its target says so) rows restored. */
function archiveOutcome(run: StatusReport['runs']['last'][number]): string {
  return run.target.startsWith('restore:') ? `${n(run.counts.inserted ?? 0)} restored` : `${n(run.counts.archived ?? 0)} archived`;
}
const pct = (part: number, whole: number): string => (whole === 0 ? '-' : `${((part / whole) * 100).toFixed(1)}%`);
const age = (ms: number | null): string => (ms === null ? '-' : formatDuration(ms));

function overall(report: StatusReport, paint: Paint): string {
  return report.alerts.length === 0 ? paint.good('OK') : paint.bad(`${report.alerts.length} alert${report.alerts.length === 1 ? '' : 's'}`);
}

export function renderStatusTable(report: StatusReport, paint: Paint = PLAIN, now: number = Date.parse(report.generatedAt)): string {
  const a = report.aggregations;
  const ago = (instant: string | null) => (instant === null ? '-' : `${compactSpan(now - Date.parse(instant))} ago`);
  const lines = [`agg status at ${report.generatedAt}: ${overall(report, paint)}`, ...wrapWords(`  ${report.store}`)];
  for (const alert of report.alerts) lines.push(...wrapWords(`ALERT ${alert.name}: ${alert.message}`).map((line) => paint.bad(line)));

  lines.push('', ...wrapWords(`aggregations: ${n(a.total)} stored, ${formatBytes(a.bytes)}; ${n(a.fresh)} fresh, ${n(a.expiring)} expiring within ${formatDuration(report.refreshThresholdMs)}, ${n(a.expired)} expired (${pct(a.expired, a.total)}); ${n(a.olderVersion)} at an older algorithm version; oldest computed ${ago(a.oldestComputedAt)}`));
  const typeRows: string[][] = [];
  for (const type of AGGREGATION_TYPES) {
    const t = a.byType[type];
    if (t.total === 0) continue;
    typeRows.push([type, n(t.total), n(t.fresh), n(t.expiring), n(t.expired), n(t.olderVersion), formatBytes(t.bytes)]);
  }
  if (a.total > 0) {
    const right = 'right' as const;
    lines.push(plainTable([{ head: 'type' }, { head: 'stored', align: right }, { head: 'fresh', align: right }, { head: 'expiring', align: right }, { head: 'expired', align: right }, { head: 'old', align: right }, { head: 'bytes', align: right }], typeRows));
  }

  const u = report.users;
  lines.push('', ...wrapWords(`users: ${n(u.total)} known, ${n(u.withRecords)} with records, ${n(u.withPendingChanges)} with unprocessed changes (backlog)${u.oldestPendingChangeAt ? `, oldest ${age(u.oldestPendingAgeMs)} old` : ''}`));

  lines.push('', report.rollout.length === 0 ? 'rollout: no flags' : 'rollout:');
  if (report.rollout.length > 0) {
    const right = 'right' as const;
    lines.push(
      plainTable(
        [{ head: 'flag', max: 24 }, { head: 'percent', align: right }, { head: 'in', align: right }, { head: 'served', align: right }, { head: 'held', align: right }, { head: 'overrides' }, { head: 'changed', max: 18 }],
        report.rollout.map((f) => [f.flag, f.rolledBack ? 'off' : `${f.percent.toFixed(2)}%`, n(f.usersIn), n(f.usersServed), n(f.heldBack), `+${f.allowOverrides} −${f.denyOverrides}`, `${ago(f.lastChangeAt)} ${f.lastChangeBy}`]),
      ),
    );
  }

  lines.push('', report.runs.last.length === 0 ? 'runs: none yet' : 'last runs:');
  if (report.runs.last.length > 0) {
    const right = 'right' as const;
    lines.push(
      plainTable(
        [{ head: 'run' }, { head: 'status', max: 11 }, { head: 'age', align: right }, { head: 'took', align: right }, { head: 'done', align: right }, { head: 'failed', align: right }],
        report.runs.last.map((r) => [r.runId, r.status, compactSpan(now - Date.parse(r.startedAt)), age(r.durationMs), ...(r.command === 'cleanup' ? [`${n(r.counts.deleted ?? 0)} deleted`, '-'] : r.command === 'archive' ? [archiveOutcome(r), '-'] : [n(r.counts.usersDone ?? 0), n(r.counts.usersFailed ?? 0)])]),
      ),
    );
  }
  for (const lease of report.runs.leases) {
    lines.push(...wrapWords(`lease ${lease.name} held by run ${lease.runId ?? '?'} for ${age(lease.ageMs)} (until ${lease.expiresAt}${lease.maxRuntimeMs === null ? '' : `, --max-runtime ${formatDuration(lease.maxRuntimeMs)}`})`));
  }

  const c = report.consistency;
  lines.push(
    '',
    ...wrapWords(
      c === null
        ? 'consistency: no finished validate run yet'
        : `consistency: ${c.matchShare === null ? 'nothing checked' : `${(c.matchShare * 100).toFixed(2)}% match`}${c.repaired > 0 ? ` (after ${n(c.repaired)} repaired)` : ''} of ${n(c.checked)} in validate run ${c.runId} (${c.scope}: ${n(c.usersValidated)} of ${counted(c.usersKnown, 'user')}), ${age(c.ageMs)} ago`,
    ),
  );
  if (report.served.users > 0) {
    lines.push(...wrapWords(`served: ${counted(report.served.users, 'user')}, ${n(report.served.expired)} of ${n(report.served.results)} of their results expired (${counted(report.served.usersWithExpired, 'user')})`));
  }
  const ar = report.archives;
  lines.push(...wrapWords(`archives: ${n(ar.count)}, ${n(ar.rows)} rows, ${formatBytes(ar.bytes)}; last verified ${ago(ar.lastVerifiedAt)}`));
  return `${lines.join('\n')}\n`;
}

export function renderStatusMarkdown(report: StatusReport): string {
  const a = report.aggregations;
  const u = report.users;
  const c = report.consistency;
  const lines = [`## agg status: ${overall(report, PLAIN)}`, '', `${report.store}, at ${report.generatedAt}.`];
  if (report.alerts.length > 0) lines.push('', ...report.alerts.map((alert) => `- **${alert.name}**: ${alert.message}`));
  // The picture under the verdict (and its alerts), the figures after it.
  lines.push('', ...statusCharts(report).flatMap((chart, i) => (i === 0 ? [chart] : ['', chart])));
  lines.push(
    '',
    '| | |',
    '| --- | --- |',
    `| aggregations | ${n(a.total)} (${formatBytes(a.bytes)}): ${n(a.fresh)} fresh, ${n(a.expiring)} expiring, ${n(a.expired)} expired, ${n(a.olderVersion)} older version |`,
    `| users | ${n(u.total)} known, ${n(u.withRecords)} with records, ${n(u.withPendingChanges)} in the backlog${u.oldestPendingAgeMs === null ? '' : ` (oldest ${age(u.oldestPendingAgeMs)})`} |`,
    `| consistency | ${c === null ? 'no validate run yet' : `${c.matchShare === null ? '-' : `${(c.matchShare * 100).toFixed(2)}%`} match of ${c.usersValidated} of ${counted(c.usersKnown, 'user')} (${c.scope}), ${age(c.ageMs)} ago (\`${c.runId}\`)`} |`,
    `| served results expired | ${report.served.results === 0 ? '-' : `${report.served.expired} of ${report.served.results} (${report.served.usersWithExpired} of ${counted(report.served.users, 'user')})`} |`,
    `| archives | ${n(report.archives.count)}, ${n(report.archives.rows)} rows, ${formatBytes(report.archives.bytes)} |`,
  );
  for (const f of report.rollout) {
    lines.push(`| rollout \`${f.flag}\` | ${f.rolledBack ? 'rolled back' : `${f.percent.toFixed(2)}%`}: ${n(f.usersServed)} served, ${n(f.heldBack)} held back; last change ${f.lastChangeAt} by ${f.lastChangeBy} |`);
  }
  for (const r of report.runs.last) lines.push(`| last ${r.command} | \`${r.runId}\` ${r.status}, ${r.startedAt}, ${age(r.durationMs)} |`);
  for (const lease of report.runs.leases) lines.push(`| lease ${lease.name} | run \`${lease.runId ?? '?'}\`, held ${age(lease.ageMs)} |`);
  return `${lines.join('\n')}\n`;
}

/** Prometheus text exposition: label values escaped as the format requires. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Exposition {
  private readonly lines: string[] = [];

  gauge(name: string, help: string, samples: Array<[Record<string, string>, number]>): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels).map(([key, v]) => `${key}="${label(v)}"`).join(',');
      this.lines.push(`${name}${text ? `{${text}}` : ''} ${Number.isFinite(value) ? value : 'NaN'}`);
    }
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

const seconds = (iso: string | null): number => (iso === null ? NaN : Date.parse(iso) / 1000);

/** Gauges with the agg_ prefix, for a node-exporter textfile collector. */
export function renderStatusPrometheus(report: StatusReport): string {
  const out = new Exposition();
  const a = report.aggregations;
  out.gauge(
    'agg_aggregations',
    'Stored aggregations by type and freshness.',
    AGGREGATION_TYPES.flatMap((type) => (['fresh', 'expiring', 'expired'] as const).map((state): [Record<string, string>, number] => [{ type, state }, a.byType[type][state]])),
  );
  out.gauge('agg_aggregations_older_version', 'Stored aggregations at an older algorithm version, by type.', AGGREGATION_TYPES.map((type) => [{ type }, a.byType[type].olderVersion]));
  out.gauge('agg_aggregation_bytes', 'Bytes of stored aggregation data, by type.', AGGREGATION_TYPES.map((type) => [{ type }, a.byType[type].bytes]));
  out.gauge('agg_aggregation_oldest_computed_timestamp_seconds', 'When the oldest stored aggregation was computed.', [[{}, seconds(a.oldestComputedAt)]]);
  out.gauge('agg_users', 'Users known to the store, with records, and with unprocessed changes.', [
    [{ state: 'known' }, report.users.total],
    [{ state: 'with_records' }, report.users.withRecords],
    [{ state: 'backlog' }, report.users.withPendingChanges],
  ]);
  out.gauge('agg_backlog_oldest_age_seconds', 'Age of the oldest unprocessed change-log entry (0 when none).', [[{}, (report.users.oldestPendingAgeMs ?? 0) / 1000]]);
  out.gauge('agg_rollout_percent', 'Rollout percentage of each flag (0 when rolled back).', report.rollout.map((f) => [{ flag: f.flag }, f.percent]));
  out.gauge('agg_rollout_rolled_back', '1 when the flag\'s kill switch is on.', report.rollout.map((f) => [{ flag: f.flag }, f.rolledBack ? 1 : 0]));
  out.gauge(
    'agg_rollout_users',
    'Known users in each flag\'s rollout, served pre-computed results, and held back by eligibility.',
    report.rollout.flatMap((f): Array<[Record<string, string>, number]> => [
      [{ flag: f.flag, state: 'in' }, f.usersIn],
      [{ flag: f.flag, state: 'served' }, f.usersServed],
      [{ flag: f.flag, state: 'held_back' }, f.heldBack],
    ]),
  );
  out.gauge(
    'agg_rollout_overrides',
    'Per-user overrides of each flag.',
    report.rollout.flatMap((f): Array<[Record<string, string>, number]> => [
      [{ flag: f.flag, mode: 'allow' }, f.allowOverrides],
      [{ flag: f.flag, mode: 'deny' }, f.denyOverrides],
    ]),
  );
  out.gauge('agg_rollout_last_change_timestamp_seconds', 'When each flag last changed.', report.rollout.map((f) => [{ flag: f.flag }, seconds(f.lastChangeAt)]));
  out.gauge('agg_run_last_start_timestamp_seconds', 'When the last run of each command started.', report.runs.last.map((r) => [{ command: r.command, status: r.status }, seconds(r.startedAt)]));
  out.gauge('agg_run_last_duration_seconds', 'How long the last run of each command took (NaN while running).', report.runs.last.map((r) => [{ command: r.command }, r.durationMs === null ? NaN : r.durationMs / 1000]));
  out.gauge('agg_run_last_failed_users', 'Users that failed in the last run of each command.', report.runs.last.map((r) => [{ command: r.command }, r.counts.usersFailed ?? 0]));
  out.gauge('agg_lease_age_seconds', 'How long each live lease has been held.', report.runs.leases.map((l) => [{ name: l.name }, l.ageMs / 1000]));
  out.gauge('agg_consistency_match_ratio', 'Share of aggregations that matched in the latest validate run.', report.consistency?.matchShare != null ? [[{}, report.consistency.matchShare]] : []);
  out.gauge('agg_served_results', 'Results of users served pre-computed results, by state.', [
    [{ state: 'all' }, report.served.results],
    [{ state: 'expired' }, report.served.expired],
  ]);
  out.gauge('agg_consistency_age_seconds', 'Age of the latest finished validate run.', report.consistency ? [[{}, report.consistency.ageMs / 1000]] : []);
  out.gauge('agg_archives', 'Archives, rows and bytes in cold storage.', [
    [{ measure: 'count' }, report.archives.count],
    [{ measure: 'rows' }, report.archives.rows],
    [{ measure: 'bytes' }, report.archives.bytes],
  ]);
  out.gauge('agg_archive_last_verified_timestamp_seconds', 'When an archive was last verified.', report.archives.lastVerifiedAt ? [[{}, seconds(report.archives.lastVerifiedAt)]] : []);
  out.gauge('agg_alerts', 'Thresholds from agg.config.json crossed now (1 each).', report.alerts.map((alert) => [{ name: alert.name }, 1]));
  out.gauge('agg_status_ok', '1 when no threshold is crossed.', [[{}, report.alerts.length === 0 ? 1 : 0]]);
  return out.toString();
}
