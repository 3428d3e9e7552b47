/**
 * The health report as the status bar item and the quick pick word it: pure text, no
 * 'vscode', shared by the item and the Check Service Health command.
 */
import type { HealthCheck, HealthReport } from '../core/health';

export const HEALTH_ICONS = { ok: 'pass', slow: 'warning', down: 'error' } as const;

/** A service's state in one line: level, round trip, breaker; the reason and fix when it is not ok. */
export function healthStateText(c: HealthCheck): string {
  const parts: string[] = [c.level];
  if (c.latencyMs !== undefined) parts.push(`${c.latencyMs} ms (target ${c.targetMs} ms)`);
  if (c.breaker && c.breaker !== 'closed') parts.push(`breaker ${c.breaker}`);
  const head = parts.join(' · ');
  return c.level === 'ok' ? head : `${head}: ${c.message}${c.fix ? ` ${c.fix}` : ''}`;
}

/** One line of the item: the worst service's state, e.g. "Memory copy target down". */
export function healthText(report: HealthReport): string {
  if (report.unconfigured) return '$(pulse) Services not configured';
  if (report.level === 'none') return '$(pulse) Orchestra: nothing to check';
  if (report.level === 'ok') return `$(pulse) Services ok`;
  const worst = report.checks.filter((c) => c.level === report.level);
  const more = worst.length > 1 ? ` (+${worst.length - 1})` : '';
  return `$(${HEALTH_ICONS[report.level]}) ${worst[0].label} ${report.level}${more}`;
}

/** The report in a word or two: "all ok", "down", "not configured". */
export function healthSummary(report: HealthReport): string {
  if (report.unconfigured) return 'not configured';
  if (report.level === 'ok') return 'all ok';
  if (report.level === 'none') return 'nothing to check';
  return report.level;
}

/**
 * What a screen reader says of the item: what its text says, in words. The services that
 * are not ok, "all ok", or (no service checked) the summary the text shows.
 */
export function healthAccessibilityLabel(report: HealthReport): string {
  if (report.unconfigured || report.level === 'none') return `Orchestra services: ${healthSummary(report)}`;
  const down = report.checks.filter((c) => c.level !== 'ok').map((c) => `${c.label} ${c.level}`);
  return `Orchestra services: ${down.length ? down.join(', ') : 'all ok'}`;
}

/** The spoken label of the item while no report is shown: its text without the icon, in lower case. */
export function unCheckedLabel(text: string): string {
  const words = text.replace(/^\$\([^)]*\)\s*/, '').replace(/^Services /, '');
  return `Orchestra services: ${words.charAt(0).toLowerCase()}${words.slice(1)}`;
}
