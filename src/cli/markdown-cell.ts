/** Text for one line or table cell of Markdown: a pipe would end the cell, a line break the row. */
export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n|\r/g, ' ');
}
