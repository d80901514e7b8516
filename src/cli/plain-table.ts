// A table with no borders, for lists that must fit a terminal of 80 columns: a header row, then one
// row per item, columns two spaces apart, each as wide as its widest cell (cells over a column's
// `max` end in "…"). No trailing spaces.

export interface PlainColumn {
  readonly head: string;
  readonly align?: 'left' | 'right';
  /** Longest cell; longer ones are cut to this length, the last character an ellipsis. */
  readonly max?: number;
}

export const COLUMN_GAP = '  ';

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

export function plainTable(columns: readonly PlainColumn[], rows: readonly (readonly string[])[]): string {
  const cells = [columns.map((column) => column.head), ...rows.map((row) => columns.map((column, i) => (column.max === undefined ? row[i] ?? '' : truncate(row[i] ?? '', column.max))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (columns[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join(COLUMN_GAP)
        .trimEnd(),
    )
    .join('\n');
}

/** A short age or span: 45s, 59m, 47h, 364d, 12y. */
export function compactSpan(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 1000) return `${days}d`;
  return `${Math.floor(days / 365.25)}y`;
}

/** An instant to the minute, UTC, for a column: 2025-07-01 14:05 (--json keeps it whole). */
export function utcMinute(instant: string): string {
  return instant.slice(0, 16).replace('T', ' ');
}
