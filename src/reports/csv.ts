/**
 * RFC 4180 CSV, one line per row, CRLF. A cell a spreadsheet would run as a formula (`=`, `+`,
 * `-`, `@` first) is prefixed with `'`: audit details come from many hands and are opened in Excel.
 */
export function csvCell(value: unknown): string {
  let s =
    value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
