import { describe, expect, it } from 'vitest';
import { MAX_BARS, MAX_POINTS, instantLabels, rolloutCharts, validateCharts } from '../../src/cli/report-charts.js';
import { VALIDATION_STATUSES, type RolloutEvent, type ValidationStatus } from '../../src/store/types.js';
import { type PieChart, type XyChart, mermaidCharts } from '../support/mermaid-grammar.js';

const counts = (values: Partial<Record<ValidationStatus, number>>) => Object.fromEntries(VALIDATION_STATUSES.map((status) => [status, values[status] ?? 0])) as Record<ValidationStatus, number>;
const event = (at: string, to: number | null, from: number | null = null): RolloutEvent => ({ eventId: at, flag: 'f', at, actor: 'ci', action: 'x', fromBasisPoints: from, toBasisPoints: to, reason: null, details: null });

describe('the charts of the Markdown reports (src/cli/report-charts.ts)', () => {
  it('labels instants by day, by day and time when two share a day, with the year when they span years', () => {
    expect(instantLabels(['2025-07-01T10:00:00.000Z', '2025-07-02T09:30:00.000Z'])).toEqual(['07-01', '07-02']);
    expect(instantLabels(['2025-07-01T10:00:00.000Z', '2025-07-01T11:30:00.000Z', '2025-07-02T09:30:00.000Z'])).toEqual(['07-01 10:00', '07-01 11:30', '07-02 09:30']);
    expect(instantLabels(['2024-12-31T23:00:00.000Z', '2025-01-01T01:00:00.000Z'])).toEqual(['2024-12-31', '2025-01-01']);
  });

  it('draws the percent oldest first, carrying the last one over events without a percent, and only the latest changes', () => {
    const [chart] = mermaidCharts(rolloutCharts('f', [event('2025-07-03T00:00:00.000Z', 0), event('2025-07-02T00:00:00.000Z', null), event('2025-07-01T00:00:00.000Z', 1234)]).join('\n')) as XyChart[];
    expect(chart!.series).toEqual([{ kind: 'line', values: [12.34, 12.34, 0] }]);
    expect(rolloutCharts('f', [])).toEqual([]);
    const many = Array.from({ length: 30 }, (_, i) => event(`2025-07-${String(30 - i).padStart(2, '0')}T00:00:00.000Z`, (30 - i) * 100));
    const [latest] = mermaidCharts(rolloutCharts('f', many).join('\n')) as XyChart[];
    expect(latest!.categories).toHaveLength(MAX_POINTS);
    expect(latest!.categories.at(-1)).toBe('07-30');
    expect(latest!.series[0]!.values.at(-1)).toBe(30);
  });

  it('folds users beyond the largest into one bar and counts findings not listed apart', () => {
    const findings = Array.from({ length: 12 }, (_, i) => Array.from({ length: i + 1 }, () => ({ userId: `u${String(i).padStart(2, '0')}`, status: 'drift' as const }))).flat();
    const md = validateCharts({ totals: counts({ match: 10, drift: findings.length + 5 }), byType: { kpi: counts({ match: 10, drift: findings.length + 5 }) }, findings, findingsOmitted: 5 }).join('\n\n');
    const [pie, bars] = mermaidCharts(md) as [PieChart, XyChart];
    expect(pie.slices).toEqual([{ label: 'kpi', value: 83 }]);
    expect(bars.categories).toHaveLength(MAX_BARS);
    expect(bars.categories).toEqual(['u11', 'u10', 'u09', 'u08', 'u07', 'u06', '6 other users', 'not listed']);
    expect(bars.series[0]!.values).toEqual([12, 11, 10, 9, 8, 7, 21, 5]);
  });

  it('draws no user chart for one user, and says in words when nothing was in scope', () => {
    const one = validateCharts({ totals: counts({ stale: 2, orphan: 1 }), byType: {}, findings: [{ userId: 'a', status: 'stale' }, { userId: 'a', status: 'orphan' }], findingsOmitted: 0 });
    const [pie, ...more] = mermaidCharts(one.join('\n\n')) as PieChart[];
    expect(more).toEqual([]);
    expect(pie!.slices).toEqual([{ label: 'stale', value: 2 }, { label: 'orphan', value: 1 }]);
    expect(validateCharts({ totals: counts({}), byType: {}, findings: [], findingsOmitted: 0 })).toEqual(['No aggregations were in scope, so there is nothing to chart.']);
  });
});
