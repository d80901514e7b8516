import { AGGREGATION_TYPES } from '../core/aggregations/definition.js';
import type { StatusReport } from '../status/collect.js';
import { type RolloutEvent, VALIDATION_STATUSES, type ValidationStatus } from '../store/types.js';
import { formatDuration } from './format.js';
import { type Category, largestCategories, mermaidBlock, pieChart, xyChart } from './mermaid.js';

// The picture each Markdown report shows under its verdict (validate, status, rollout --history):
// small, at most a handful of categories or the latest changes, the same bytes for the same report.
// Each returns Markdown paragraphs: a ```mermaid block, or a sentence where a chart would be empty.

const n = (value: number): string => value.toLocaleString('en-US');

/** Slices in a pie, bars in a chart, points on a line: more would not read at a glance. */
export const MAX_SLICES = 6;
export const MAX_BARS = 8;
export const MAX_POINTS = 12;

/** What the validate charts need of its report. */
export interface ValidateChartInput {
  readonly totals: Readonly<Record<ValidationStatus, number>>;
  readonly byType: Readonly<Record<string, Readonly<Record<ValidationStatus, number>>>>;
  readonly findings: readonly { readonly userId: string; readonly status: ValidationStatus }[];
  readonly findingsOmitted: number;
}

/**
 * Drift by type (what the app serves wrong, where), or when nothing drifted what else was found, by
 * status; and when two or more users have findings, findings by user (one user's data, or everyone's?).
 */
export function validateCharts(report: ValidateChartInput): string[] {
  const total = VALIDATION_STATUSES.reduce((sum, status) => sum + report.totals[status], 0);
  const notMatching = total - report.totals.match;
  if (total === 0) return ['No aggregations were in scope, so there is nothing to chart.'];
  if (notMatching === 0) return [`All ${n(total)} aggregations match: nothing to chart.`];
  const drift = report.totals.drift;
  const pie =
    drift > 0
      ? pieChart(
          `Drifted aggregations by type (${n(drift)} of ${n(total)})`,
          largestCategories(
            AGGREGATION_TYPES.map((type) => ({ label: type, value: report.byType[type]?.drift ?? 0 })),
            MAX_SLICES,
            (count) => `${count} other types`,
          ),
        )
      : pieChart(
          `Aggregations that do not match, by status (${n(notMatching)} of ${n(total)})`,
          largestCategories(
            VALIDATION_STATUSES.filter((status) => status !== 'match').map((status) => ({ label: status, value: report.totals[status] })),
            MAX_SLICES,
            (count) => `${count} other statuses`,
          ),
        );
  const charts = [mermaidBlock(pie)];
  const byUser = new Map<string, number>();
  for (const finding of report.findings) if (finding.status !== 'match') byUser.set(finding.userId, (byUser.get(finding.userId) ?? 0) + 1);
  if (byUser.size >= 2) {
    const unlisted = report.findingsOmitted > 0 ? [{ label: 'not listed', value: report.findingsOmitted }] : [];
    const users = largestCategories([...byUser].map(([label, value]) => ({ label, value })), MAX_BARS - unlisted.length, (count) => `${count} other users`);
    charts.push(mermaidBlock(barChart('Aggregations that do not match, by user', 'user', [...users, ...unlisted], 'aggregations')));
  }
  return charts;
}

function barChart(title: string, xTitle: string, bars: readonly Category[], yTitle: string): string {
  return xyChart({ title, xTitle, categories: bars.map((bar) => bar.label), yTitle, yMax: Math.max(...bars.map((bar) => bar.value)), series: 'bar', values: bars.map((bar) => bar.value) });
}

/** The stored results by freshness: fresh, expiring within the refresh threshold, expired. */
export function statusCharts(report: Pick<StatusReport, 'aggregations' | 'refreshThresholdMs'>): string[] {
  const a = report.aggregations;
  if (a.total === 0) return ['No aggregations are stored yet, so there is nothing to chart.'];
  return [
    mermaidBlock(
      pieChart(`Stored results by freshness (${n(a.total)})`, [
        { label: 'fresh', value: a.fresh },
        { label: `expiring within ${formatDuration(report.refreshThresholdMs)}`, value: a.expiring },
        { label: 'expired', value: a.expired },
      ]),
    ),
  ];
}

/**
 * Short x-axis labels for instants (UTC): the day (07-01, or 2025-07-01 when they span years), with
 * the time too when two fall on one day.
 */
export function instantLabels(instants: readonly string[]): string[] {
  const spansYears = new Set(instants.map((instant) => instant.slice(0, 4))).size > 1;
  const day = (instant: string) => (spansYears ? instant.slice(0, 10) : instant.slice(5, 10));
  const days = instants.map(day);
  if (new Set(days).size === days.length) return days;
  return instants.map((instant) => `${day(instant)} ${instant.slice(11, 16)}`);
}

/** The percent after each of the latest changes (newest first in, oldest first on the line); 0 while rolled back. */
export function rolloutCharts(flag: string, events: readonly RolloutEvent[]): string[] {
  if (events.length === 0) return [];
  const shown = events.slice(0, MAX_POINTS).reverse();
  const basisPoints: number[] = [];
  for (const event of shown) basisPoints.push(event.toBasisPoints ?? basisPoints.at(-1) ?? event.fromBasisPoints ?? 0);
  const values = basisPoints.map((points) => points / 100);
  const title = `Rollout percent of ${flag}${events.length > MAX_POINTS ? `, the latest ${MAX_POINTS} changes` : ''}`;
  return [mermaidBlock(xyChart({ title, xTitle: 'change (UTC)', categories: instantLabels(shown.map((event) => event.at)), yTitle: 'percent', yMax: 100, series: 'line', values }))];
}
