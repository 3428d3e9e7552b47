/**
 * Text from the state in Markdown: escaped so a server's or a user's words read as
 * written and never become a link, a heading, markup or another table column.
 */

/** Plain text in Markdown: no markup, no table break, one line. */
export function text(value: string): string {
  return String(value)
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*_[\]<|~#]/g, (c) => `\\${c}`)
    .replace(/^([-+]|\d+\.)\s/, (m) => `\\${m}`);
}

/**
 * An inline code span holding the value as spelled (outside tables): its fence is one backtick
 * longer than the longest run inside (CommonMark 6.1), padded when the value starts or ends
 * with a backtick or a space, which the renderer strips. A newline becomes a space.
 */
export function code(value: string): string {
  const v = String(value).replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(v.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(v) ? ' ' : '';
  return `${fence}${pad}${v}${pad}${fence}`;
}

/** A code span inside a table cell: a | would end the cell, so it is escaped (GFM reads \| in a code span as |). */
export function cellCode(value: string): string {
  return code(value).replace(/\|/g, '\\|');
}

/**
 * Numbers from the state file. The file is checked on load, but the report is also
 * drawn from states held in memory: whatever is not a finite number shows as text.
 */
export function number(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return text(String(value));
  return Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(2);
}

export function count(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : text(String(value));
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
