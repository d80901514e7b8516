import type { ValidationStatus } from '../store/types.js';

/** What the listing needs of a finding and of the report (validate-report.ts has the whole shapes). */
interface ListedFinding {
  readonly userId: string;
  readonly type: string;
  readonly filterHash: string;
  readonly status: ValidationStatus;
}

interface VerdictFacts {
  readonly totals: Readonly<Record<ValidationStatus, number>>;
  readonly users: { readonly failed: number };
  readonly options: { readonly failOn: string };
  readonly exitCode: number;
}

// Which of a validate report's findings the table and the Markdown list one by one and which they fold
// into one line per user and status: worst first, at most --max-findings lines of single findings, so
// that one never-backfilled user is one line and not 180.

/** Most severe first: what the app serves wrong, then what it cannot serve, then housekeeping. */
export const SEVERITY: readonly ValidationStatus[] = ['drift', 'outdated', 'stale', 'missing', 'orphan', 'expired'];

export const DEFAULT_MAX_FINDINGS = 20;

export type ListingEntry<F extends ListedFinding> =
  | { readonly kind: 'finding'; readonly finding: F }
  | { readonly kind: 'folded'; readonly userId: string; readonly status: ValidationStatus; readonly findings: readonly F[] };

type Folded = Extract<ListingEntry<ListedFinding>, { kind: 'folded' }>;

/**
 * The findings in listing order. A user's findings of one status are listed one by one when they all
 * fit in what is left of `maxFindings`, else folded into one line (which uses one of it).
 */
export function planListing<F extends ListedFinding>(report: { readonly findings: readonly F[] }, maxFindings: number): ListingEntry<F>[] {
  const entries: ListingEntry<F>[] = [];
  let left = maxFindings;
  for (const status of SEVERITY) {
    const byUser = new Map<string, F[]>();
    for (const finding of report.findings) if (finding.status === status) byUser.set(finding.userId, [...(byUser.get(finding.userId) ?? []), finding]);
    for (const [userId, found] of byUser) {
      if (found.length <= left) {
        for (const finding of found) entries.push({ kind: 'finding', finding });
        left -= found.length;
      } else {
        entries.push({ kind: 'folded', userId, status, findings: found });
        left = Math.max(0, left - 1);
      }
    }
  }
  return entries;
}

/** `user-002: 180 missing (10 types × 18 filter sets)`. */
export function foldedLine(entry: Folded): string {
  const types = new Set(entry.findings.map((finding) => finding.type)).size;
  const sets = new Set(entry.findings.map((finding) => finding.filterHash)).size;
  return `${entry.userId}: ${entry.findings.length} ${entry.status} (${types} type${types === 1 ? '' : 's'} × ${sets} filter set${sets === 1 ? '' : 's'})`;
}

/** What to do about a user's folded findings of one status, said once for all of them. */
export function remedy(entry: Folded): string {
  const { userId, status } = entry;
  switch (status) {
    case 'drift':
      return `differs from a fresh computation: agg validate --user ${userId} --max-findings ${entry.findings.length} lists them; --repair rewrites them`;
    case 'outdated':
      return `older algorithm version: agg backfill --user ${userId}`;
    case 'stale':
      return `records changed since: agg backfill --user ${userId} (or the next tick)`;
    case 'missing':
      return `never stored: agg backfill --user ${userId}`;
    case 'orphan':
      return 'no longer expected: agg cleanup --orphans deletes them';
    case 'expired':
      return 'past expiresAt: the next backfill --changed renews them';
    case 'match':
      return '';
  }
}

/** The last line: what was found, and whether it fails the run. */
export function verdictLine(report: VerdictFacts): string {
  const found = SEVERITY.filter((status) => report.totals[status] > 0).map((status) => `${report.totals[status].toLocaleString('en-US')} ${status}`);
  const failed = report.users.failed > 0 ? [`${report.users.failed.toLocaleString('en-US')} user${report.users.failed === 1 ? '' : 's'} not validated`] : [];
  const what = [...found, ...failed];
  if (what.length === 0) return `verdict: clean: ${report.totals.match.toLocaleString('en-US')} aggregations match; exit ${report.exitCode}`;
  return `verdict: ${what.join(', ')}; ${report.exitCode === 0 ? 'passes' : 'fails'} (--fail-on ${report.options.failOn}); exit ${report.exitCode}`;
}
