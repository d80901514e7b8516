import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import type { Filters } from '../core/filters.js';
import type { Finding } from '../jobs/validate-user.js';
import type { GuardrailOutcome } from '../jobs/drift-guardrail.js';
import { describeValue } from '../jobs/json-diff.js';
import { type RunStatus, VALIDATION_STATUSES, type ValidationStatus } from '../store/types.js';
import { describeFailures, describeFilters, formatDuration, makeTable } from './format.js';
import { type Paint, PLAIN } from './colour.js';
import type { RepairOutcome } from '../jobs/repair.js';
import { escapeCell } from './markdown-cell.js';
import { validateCharts } from './report-charts.js';
import { DEFAULT_MAX_FINDINGS, foldedLine, planListing, remedy, verdictLine } from './findings-listing.js';
import type { DocumentOf } from './json-schemas/common.js';
import type { validateDocument } from './json-schemas/validate.js';
import { counted } from '../text/plural.js';

/**
 * The report of a validate run. Its JSON form is a stable, documented schema ("agg.validate/v1",
 * docs/validate-report.md): findings list every aggregation that did not match, up to a cap.
 */
export interface ValidateReport {
  readonly schema: 'agg.validate/v1';
  readonly runId: string | null;
  readonly status: RunStatus;
  readonly generatedAt: string;
  readonly target: string;
  readonly seed: string | null;
  readonly options: { types: AggregationType[]; tolerance: number; failOn: string; maxDiffs: number };
  readonly users: { total: number; validated: number; failed: number; clean: number };
  readonly totals: Record<ValidationStatus, number>;
  readonly byType: Record<string, Record<ValidationStatus, number>>;
  readonly findings: ReportFinding[];
  readonly findingsOmitted: number;
  /** Users that could not be validated: the first 100 in run order, with the one-line error. */
  readonly failures: { userId: string; error: string }[];
  /** Users that could not be validated and are not listed in `failures`. */
  readonly failuresOmitted: number;
  readonly repair: RepairSummary | null;
  /** With --rollback-on-drift: what the guardrail measured and did. */
  readonly guardrail: GuardrailOutcome | null;
  readonly ms: number;
  readonly exitCode: number;
}

export interface ReportFinding {
  readonly userId: string;
  readonly type: AggregationType;
  readonly filterHash: string;
  readonly filters: Filters | null;
  readonly status: ValidationStatus;
  readonly diffCount: number;
  readonly diffs: { path: string; stored: unknown; fresh: unknown }[];
}

/** What --repair planned and did (src/jobs/repair.ts). */
export type RepairSummary = RepairOutcome;

export function toReportFinding(finding: Finding): ReportFinding {
  return {
    userId: finding.userId,
    type: finding.aggregationType,
    filterHash: finding.filterHash,
    filters: finding.filters,
    status: finding.status,
    diffCount: finding.diffCount,
    diffs: finding.diffs.map((d) => ({ path: d.path, stored: d.stored, fresh: d.fresh })),
  };
}

function findingLine(finding: ReportFinding): string {
  const where = `${finding.userId} · ${finding.type} · ${finding.filters ? describeFilters(finding.filters) : finding.filterHash.slice(0, 12)}`;
  return `${where}: ${finding.status}`;
}

function diffLine(finding: ReportFinding, diff: ReportFinding['diffs'][number]): string {
  return `${finding.type}${diff.path}: stored ${describeValue(diff.stored)}, fresh ${describeValue(diff.fresh)}`;
}

function typesWithData(report: ValidateReport): string[] {
  return AGGREGATION_TYPES.filter((type) => report.byType[type] && VALIDATION_STATUSES.some((status) => report.byType[type]![status] > 0));
}

export function renderTable(report: ValidateReport, paint: Paint = PLAIN, maxFindings = DEFAULT_MAX_FINDINGS): string {
  const lines: string[] = [];
  lines.push(`validate ${report.target}${report.runId ? ` (run ${report.runId})` : ''}: ${report.users.validated} of ${counted(report.users.total, 'user')}, ${report.users.clean} clean, in ${formatDuration(report.ms)}${report.seed ? `; sample seed ${report.seed}` : ''}`);
  // Only the statuses something has: the table fits 80 columns and the eye goes to what was found.
  const shown = VALIDATION_STATUSES.filter((status) => status === 'match' || report.totals[status] > 0);
  const table = makeTable(['type', ...shown], { colAligns: ['left', ...shown.map(() => 'right' as const)] });
  for (const type of typesWithData(report)) table.push([type, ...shown.map((status) => String(report.byType[type]![status]))]);
  table.push(['total', ...shown.map((status) => String(report.totals[status]))]);
  lines.push(table.toString());
  for (const entry of planListing(report, maxFindings)) {
    if (entry.kind === 'folded') {
      lines.push(entry.status === 'drift' ? paint.bad(foldedLine(entry)) : paint.warn(foldedLine(entry)), `  ${remedy(entry)}`);
      continue;
    }
    const { finding } = entry;
    lines.push(finding.status === 'drift' ? paint.bad(findingLine(finding)) : paint.warn(findingLine(finding)));
    for (const diff of finding.diffs) lines.push(`  ${diffLine(finding, diff)}`);
    if (finding.diffCount > finding.diffs.length) lines.push(`  … ${finding.diffCount - finding.diffs.length} more differences (--max-diffs)`);
  }
  if (report.findingsOmitted > 0) lines.push(`… ${report.findingsOmitted} more findings not listed (see --format json)`);
  if (report.failures.length > 0) lines.push(`could not validate: ${failuresLine(report)}`);
  for (const failure of report.failures) lines.push(`could not validate ${failure.userId}: ${failure.error}`);
  if (report.repair) lines.push(renderRepair(report.repair));
  if (report.guardrail) lines.push(`guardrail: ${report.guardrail.message}`);
  const verdict = verdictLine(report);
  lines.push(report.exitCode === 0 ? verdict : paint.bad(verdict));
  return `${lines.join('\n')}\n`;
}

function failuresLine(report: ValidateReport): string {
  return describeFailures(report.failures.length + report.failuresOmitted, report.failures.map((failure) => failure.userId));
}

function renderRepair(repair: RepairSummary): string {
  const rewrite = VALIDATION_STATUSES.filter((status) => repair.rewrite[status]).map((status) => `${repair.rewrite[status]} ${status}`).join(', ') || 'nothing';
  const head = `repair plan: rewrite ${rewrite} (exactly those rows, of ${counted(repair.usersToRewrite, 'user')}), delete ${counted(repair.orphansToDelete, 'orphan')}`;
  if (!repair.applied) return `${head}\nrepair not applied (dry run)`;
  const failed = repair.failed.map((f) => `\nrepair failed for ${f.userId}: ${f.error}`).join('');
  return `${head}\nrepaired: ${repair.written} written, ${repair.refreshed} refreshed (equal data), ${repair.deleted} deleted${failed}`;
}

export function renderMarkdown(report: ValidateReport, maxFindings = DEFAULT_MAX_FINDINGS): string {
  const clean = report.exitCode === 0;
  const lines = [
    `## agg validate: ${clean ? 'clean' : 'findings'} (${report.target})`,
    '',
    `${report.users.validated} of ${counted(report.users.total, 'user')} validated, ${report.users.clean} clean, in ${formatDuration(report.ms)}. Run \`${report.runId ?? 'dry run'}\`${report.seed ? `, sample seed \`${report.seed}\`` : ''}, fail on **${report.options.failOn}**.`,
    '',
    // The picture under the verdict, the figures after it.
    ...validateCharts(report).flatMap((chart) => [chart, '']),
    `| type | ${VALIDATION_STATUSES.join(' | ')} |`,
    `| --- | ${VALIDATION_STATUSES.map(() => '---:').join(' | ')} |`,
    ...typesWithData(report).map((type) => `| ${type} | ${VALIDATION_STATUSES.map((status) => report.byType[type]![status]).join(' | ')} |`),
    `| **total** | ${VALIDATION_STATUSES.map((status) => `**${report.totals[status]}**`).join(' | ')} |`,
  ];
  const listed = planListing(report, maxFindings);
  if (listed.length > 0) {
    lines.push('', '### Findings', '');
    for (const entry of listed) {
      if (entry.kind === 'folded') {
        lines.push(`- ${escapeCell(foldedLine(entry))}: ${escapeCell(remedy(entry))}`);
        continue;
      }
      const { finding } = entry;
      lines.push(`- ${escapeCell(findingLine(finding))}`);
      for (const diff of finding.diffs) lines.push(`  - \`${escapeCell(diffLine(finding, diff))}\``);
      if (finding.diffCount > finding.diffs.length) lines.push(`  - … ${finding.diffCount - finding.diffs.length} more differences`);
    }
    if (report.findingsOmitted > 0) lines.push(`- … ${report.findingsOmitted} more findings not listed`);
  }
  if (report.failures.length > 0) {
    lines.push('', '### Users that could not be validated', '', escapeCell(failuresLine(report)), '');
    for (const failure of report.failures) lines.push(`- ${escapeCell(`${failure.userId}: ${failure.error}`)}`);
  }
  if (report.repair) lines.push('', '### Repair', '', escapeCell(renderRepair(report.repair)).replace(/ repair/g, '\n\nrepair'));
  if (report.guardrail) lines.push('', '### Guardrail', '', `${report.guardrail.rolledBack ? '**Rolled back:** ' : ''}${escapeCell(report.guardrail.message)}`);
  lines.push('', `**${escapeCell(verdictLine(report))}**`);
  return `${lines.join('\n')}\n`;
}

export function renderJson(report: ValidateReport): string {
  // The report is the documented shape (an absent diff side is written as null).
  const document: DocumentOf<typeof validateDocument> = report;
  return `${JSON.stringify(document, (_key, value: unknown) => (value === undefined ? null : value))}\n`;
}
