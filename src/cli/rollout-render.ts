import { makeTable } from './format.js';
import { describeDecision, formatBasisPoints } from '../core/rollout.js';
import type { OverrideOutcome, PercentOutcome, PercentSummary, RollbackOutcome } from '../rollout/change.js';
import type { RolloutStatus, UserCheck } from '../rollout/report.js';
import type { RolloutEvent, RolloutFlag } from '../store/types.js';
import { escapeCell } from './markdown-cell.js';
import { rolloutCharts } from './report-charts.js';
import { plainTable, utcMinute } from './plain-table.js';
import { wrapWords } from './wrap.js';
import { counted } from '../text/plural.js';

// What `agg rollout` prints: the status, --check, --history and the outcome of each change, as text
// and as the JSON documents of --json; --history also as Markdown.

const n = (value: number): string => value.toLocaleString('en-US');
const table = (head: string[]) => makeTable(head, { colAligns: head.map(() => 'left' as const) });
const SAMPLE = 10;

function stateLine(basisPoints: number, rolledBack: boolean): string {
  return rolledBack ? `ROLLED BACK (0.00%)` : formatBasisPoints(basisPoints);
}

export function statusJson(status: RolloutStatus) {
  return {
    flag: status.flag,
    exists: status.state !== null,
    percent: status.state ? Number(((status.state.rolledBack ? 0 : status.state.basisPoints) / 100).toFixed(2)) : 0,
    basisPoints: status.state?.basisPoints ?? 0,
    rolledBack: status.state?.rolledBack ?? false,
    salt: status.state?.salt ?? null,
    updatedAt: status.state?.updatedAt ?? null,
    updatedBy: status.state?.updatedBy ?? null,
    overrides: { allow: status.allow, deny: status.deny },
    users: {
      known: status.knownUsers,
      in: status.usersIn,
      inByBucket: status.inByBucket,
      inByOverride: status.inByOverride,
      outByOverride: status.outByOverride,
      heldBack: status.heldBack,
      served: status.usersServed,
    },
    eligibility: status.state ? { minRecords: status.state.minRecords, requireFreshGrid: status.state.requireFreshGrid } : null,
    events: status.events,
  };
}

export function renderStatus(status: RolloutStatus): string {
  const { state } = status;
  if (state === null) {
    return `${[...wrapWords(`flag ${status.flag} does not exist yet: nobody is in (the app computes client-side).`), `create it with agg rollout --flag ${status.flag} --percent P`].join('\n')}\n`;
  }
  const lines = [
    `flag ${status.flag}: ${stateLine(state.basisPoints, state.rolledBack)}${state.rolledBack ? '' : ` (users with bucket < ${state.basisPoints} of 10,000 are in)`}`,
    `salt ${state.salt}; last changed ${state.updatedAt} by ${state.updatedBy}`,
  ];
  if (state.rolledBack) lines.push('the kill switch is on: nobody is in, overrides are kept but ignored until agg rollout --percent P re-enables the flag');
  const ids = (list: string[]) => (list.length === 0 ? 'none' : `${n(list.length)} (${list.slice(0, SAMPLE).join(', ')}${list.length > SAMPLE ? ', …' : ''})`);
  lines.push(`allow list: ${ids(status.allow)}`, `deny list: ${ids(status.deny)}`);
  const share = status.knownUsers === 0 ? '' : ` (${((status.usersIn / status.knownUsers) * 100).toFixed(2)}%)`;
  lines.push(
    `known users in: ${n(status.usersIn)} of ${n(status.knownUsers)}${share}: ${n(status.inByBucket)} by bucket, ${n(status.inByOverride)} by allow override; ${n(status.outByOverride)} kept out by deny override`,
  );
  const policy = [state.minRecords > 0 ? `at least ${n(state.minRecords)} records` : '', state.requireFreshGrid ? 'fresh default-grid aggregations' : ''].filter(Boolean);
  lines.push(
    policy.length === 0
      ? `eligibility: none required; ${status.usersIn === 1 ? 'the 1 user in is' : `all ${n(status.usersIn)} users in are`} served pre-computed results`
      : `eligibility: ${policy.join(' and ')}; ${counted(status.usersServed, 'user')} served, ${n(status.heldBack)} in but not eligible (the app computes for them)`,
  );
  // Sentences wrap at 80 columns (continuations indented); the audit table below fits already.
  const wrapped = lines.flatMap((line) => wrapWords(line));
  if (status.events.length > 0) wrapped.push('last changes:', historyTable(status.events));
  return `${wrapped.join('\n')}\n`;
}

function fromTo(event: RolloutEvent): string {
  const from = event.fromBasisPoints === null ? '—' : formatBasisPoints(event.fromBasisPoints);
  const to = event.toBasisPoints === null ? '—' : formatBasisPoints(event.toBasisPoints);
  return `${from} → ${to}`;
}

function detailText(event: RolloutEvent): string {
  const details = event.details;
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return '';
  const d = details as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.entering === 'number') parts.push(`+${n(d.entering)} / -${n(d.leaving as number)} users`);
  for (const key of ['allow', 'deny', 'clear'] as const) {
    const list = d[key];
    if (Array.isArray(list) && list.length > 0) parts.push(`${key} ${list.slice(0, 3).join(', ')}${list.length > 3 ? ` +${list.length - 3}` : ''}`);
  }
  if (typeof d.overridesKept === 'number') parts.push(`${d.overridesKept} overrides kept`);
  if (d.requireValidated === true) parts.push('validated');
  return parts.join('; ');
}

function historyTable(events: readonly RolloutEvent[]): string {
  // 80 columns: no borders, the instant to the minute (UTC), the reason and details on a line of their
  // own; --json has everything whole.
  const lines = plainTable(
    [{ head: 'when (UTC)' }, { head: 'who', max: 16 }, { head: 'action', max: 16 }, { head: 'from → to' }],
    events.map((event) => [utcMinute(event.at), event.actor, event.action, fromTo(event)]),
  ).split('\n');
  const out = [lines[0]!];
  events.forEach((event, i) => {
    out.push(lines[i + 1]!);
    const more = [event.reason ? `reason: ${event.reason}` : '', detailText(event)].filter(Boolean).join('; ');
    if (more) out.push(`  ${more.length > 76 ? `${more.slice(0, 75)}…` : more}`);
  });
  return out.join('\n');
}

export function renderHistory(flag: string, events: readonly RolloutEvent[]): string {
  if (events.length === 0) return `flag ${flag} has no recorded changes\n`;
  return `audit log of flag ${flag}, newest first:\n${historyTable(events)}\n`;
}

/** --history --format markdown, for a CI job summary: the flag now, the percent over time, the log. */
export function renderHistoryMarkdown(flag: string, state: RolloutFlag | null, events: readonly RolloutEvent[]): string {
  const now = state === null ? 'no such flag' : state.rolledBack ? 'rolled back (0.00%)' : formatBasisPoints(state.basisPoints);
  const lines = [`## agg rollout history of \`${flag}\`: ${now}`, ''];
  if (events.length === 0) return `${[...lines, `Flag \`${flag}\` has no recorded changes.`].join('\n')}\n`;
  const latest = events[0]!;
  lines.push(
    `${n(events.length)} change${events.length === 1 ? '' : 's'} shown, newest first; the latest: ${latest.action} ${fromTo(latest)} by ${escapeCell(latest.actor)} at ${latest.at}.`,
    '',
    ...rolloutCharts(flag, events).flatMap((chart) => [chart, '']),
    '| when (UTC) | who | action | from → to | reason | details |',
    '| --- | --- | --- | --- | --- | --- |',
    ...events.map((event) => `| ${utcMinute(event.at)} | ${escapeCell(event.actor)} | ${event.action} | ${fromTo(event)} | ${escapeCell(event.reason ?? '')} | ${escapeCell(detailText(event))} |`),
  );
  return `${lines.join('\n')}\n`;
}

export function checkJson(check: UserCheck) {
  return {
    flag: check.flag,
    userId: check.userId,
    flagExists: check.exists,
    included: check.decision.included,
    reason: check.decision.reason.kind,
    explanation: check.exists ? describeDecision(check.decision) : `out: flag ${check.flag} does not exist`,
    bucket: check.bucket,
    threshold: check.threshold,
    override: check.override,
    rolledBack: check.rolledBack,
    served: check.served,
    userKnown: check.userKnown,
    results: check.results,
    eligible: check.eligibility.eligible,
    notEligibleBecause: check.eligibility.reasons,
    eligibility: check.policy,
  };
}

export function renderCheck(check: UserCheck): string {
  const unknown = check.userKnown ? '' : `\nuser ${check.userId} is not known to the store (no records, no results): check the id (agg users lists them)`;
  if (!check.exists) return `user ${check.userId}: out: flag ${check.flag} does not exist${unknown}\n`;
  const context = check.decision.reason.kind === 'bucket' ? '' : ` (bucket ${check.bucket}, threshold ${check.threshold}${check.override && check.rolledBack ? `, ${check.override} override ignored` : ''})`;
  const serving = !check.decision.included
    ? ''
    : check.eligibility.eligible
      ? `\nserved pre-computed results (eligible)${describeServedResults(check.results)}`
      : `\nnot served: not eligible: ${check.eligibility.reasons.join('; ')} (the app computes for this user)`;
  return `user ${check.userId} under ${check.flag}: ${describeDecision(check.decision)}${context}${serving}${unknown}\n`;
}

/** What "served" means for this user now: an expired result is not served, the app computes it. */
function describeServedResults(results: UserCheck['results']): string {
  if (results.total === 0) return ', but no results are stored: the app computes everything (run agg backfill --user)';
  if (results.expired === 0) return `: all ${n(results.total)} stored results are fresh`;
  return `, but ${n(results.expired)} of ${n(results.total)} stored results are expired: the app computes those until agg backfill --changed renews them`;
}

export function renderRollback(flag: string, outcome: RollbackOutcome): string {
  if (outcome.kind === 'unchanged') return `flag ${flag} is already rolled back (since ${outcome.flag.updatedAt}, by ${outcome.flag.updatedBy}); nothing changed\n`;
  return [
    `rolled back ${flag}: ${formatBasisPoints(outcome.from)} → 0.00%, effective now: nobody is served pre-computed results.`,
    `${outcome.overridesKept} override${outcome.overridesKept === 1 ? ' is' : 's are'} kept but ignored while rolled back.`,
    `to re-enable, set a percentage explicitly: agg rollout --flag ${flag} --percent P`,
    `audit event ${outcome.event.eventId} by ${outcome.event.actor}`,
  ].join('\n');
}

export function renderOverrides(flag: string, outcome: OverrideOutcome): string {
  const lines: string[] = [];
  const verb = outcome.kind === 'planned' ? 'overrides planned (nothing changed)' : outcome.kind === 'unchanged' ? 'the overrides are already so; nothing changed' : 'overrides changed';
  lines.push(`${flag}: ${verb}${outcome.kind !== 'unchanged' && outcome.created ? ` (creates the flag at 0.00%)` : ''}`);
  const rows = table(['user', 'override', 'served before', 'served after']);
  for (const user of outcome.users) rows.push([user.userId, `${user.from ?? 'none'} → ${user.to ?? 'none'}`, user.before ? 'in' : 'out', user.after ? 'in' : 'out']);
  lines.push(rows.toString());
  if (outcome.rolledBack) lines.push('the flag is rolled back: overrides are kept but ignored until agg rollout --percent P re-enables it');
  if (outcome.kind === 'applied' && outcome.event) lines.push(`audit event ${outcome.event.eventId} by ${outcome.event.actor}`);
  return lines.join('\n');
}

function movement(summary: PercentSummary): string {
  const from = summary.from === null ? 'not created' : stateLine(summary.from.basisPoints, summary.from.rolledBack);
  return `${summary.flag}: ${from} → ${formatBasisPoints(summary.to)} (${summary.change})`;
}

function sampleIds(label: string, ids: string[] | undefined, count: number): string | null {
  if (count === 0 || !ids) return null;
  return `${label}: ${ids.slice(0, SAMPLE).join(', ')}${count > SAMPLE ? `, … (${n(count - SAMPLE)} more; all with --json)` : ''}`;
}

export function renderPercent(outcome: PercentOutcome, requireValidated: boolean): string {
  if (outcome.kind === 'unchanged') return `${outcome.flag.flag} is already at ${formatBasisPoints(outcome.flag.basisPoints)}; nothing changed\n`;
  const { summary } = outcome;
  const counts = `of ${n(summary.knownUsers)} known users ${n(summary.entering)} ${outcome.kind === 'applied' ? 'entered' : 'would enter'}, ${n(summary.leaving)} ${outcome.kind === 'applied' ? 'left' : 'would leave'}; ${n(summary.inAfter)} in afterwards`;
  const lines = [movement(summary), counts];
  for (const line of [sampleIds('entering', summary.enteringIds, summary.entering), sampleIds('leaving', summary.leavingIds, summary.leaving)]) if (line) lines.push(line);
  if (outcome.kind === 'refused') {
    lines.push(`refused by --require-validated: ${n(outcome.refusals.length)} entering user${outcome.refusals.length === 1 ? ' is' : 's are'} not ready; nothing changed`);
    const rows = table(['user', 'why']);
    for (const refusal of outcome.refusals.slice(0, 20)) rows.push([refusal.userId, refusal.reasons.join('; ')]);
    lines.push(rows.toString());
    if (outcome.refusals.length > 20) lines.push(`… and ${n(outcome.refusals.length - 20)} more (all with --json)`);
    return lines.join('\n');
  }
  if (outcome.kind === 'planned') {
    lines.push(`plan only: nothing changed${requireValidated ? '; every entering user passed --require-validated' : ''}`);
    return lines.join('\n');
  }
  if (summary.reenabled) lines.push('re-enabled after a rollback: overrides apply again');
  if (summary.created) lines.push(`created the flag with a new random salt (fixed from now on, so assignments never reshuffle)`);
  lines.push(`audit event ${outcome.event.eventId} by ${outcome.event.actor}`);
  return lines.join('\n');
}
