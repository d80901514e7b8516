import Table from 'cli-table3';
import type { Filters } from '../core/filters.js';

export function describeFilters(filters: Filters): string {
  const parts = [`${filters.timeframe}/${filters.product}`];
  if (filters.topics.length > 0) parts.push(`topics=${filters.topics.join('|')}`);
  if (filters.channels.length > 0) parts.push(`channels=${filters.channels.join('|')}`);
  return parts.join(' ');
}

export { formatBytes, formatDuration } from '../text/quantities.js';

/** "3 failed (first: a, b, c)", and "… and N more" for those not named. */
export function describeFailures(count: number, named: readonly string[]): string {
  const more = count - named.length;
  return `${count.toLocaleString('en-US')} failed${named.length > 0 ? ` (first: ${named.join(', ')})` : ''}${more > 0 ? ` … and ${more.toLocaleString('en-US')} more` : ''}`;
}

/** A compact table: a rule under the header, none between rows. */
export function makeTable(head: string[], options: { colAligns?: Array<'left' | 'right' | 'center'> } = {}): Table.Table {
  return new Table({
    // A table of label/value rows has no header at all.
    head: head.every((cell) => cell === '') ? [] : head,
    style: { head: [], border: [], compact: true },
    ...(options.colAligns ? { colAligns: options.colAligns } : {}),
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
}
