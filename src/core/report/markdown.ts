/**
 * The migration report: Markdown from the state file alone, so the command line and
 * the editor give the same document for the same state. Sections: the last run, a
 * summary, one row per phase, the metrics steps recorded, the outputs (URLs, the
 * memory copy's checksum, latency samples) and a timeline of the recorded events.
 * Text that comes from servers or users (errors, output values) is escaped, so it
 * reads as written and never becomes a link, a heading or a table column.
 */
import { PHASE_STATUS_LABELS, type PhaseInfo } from '../migration/catalog';
import { VERDICT_MARKS, type LatencyResult, type LatencyVerdict } from '../migration/latency';
import { phaseRecord, type MigrationState, type PhaseMetrics } from '../migration/state';

export interface ReportOptions {
  /** When the report is made (default now). */
  generatedAt?: Date;
  /**
   * Say when the state last changed instead of when the report was made: a view that
   * follows the state then draws the same page for the same state.
   */
  asOfState?: boolean;
  /** A file beside the report holding the last run's Gantt chart (SVG), shown under Timeline. */
  timelineImage?: string;
  /** Timeline rows kept, newest last (default 100; the state keeps up to 500 events). */
  timelineLimit?: number;
}

const DEFAULT_TIMELINE = 100;

/** The report's file name under report.dir (the CLI's `report`, the editor's export). */
export function reportFileName(projectId: string): string {
  return `migration-report-${projectId}.md`;
}

/** The report of `state`, one row per phase of `phases` (the registry's, in its order). */
export function migrationReport(
  state: MigrationState,
  phases: readonly PhaseInfo[],
  options: ReportOptions = {},
): string {
  const generatedAt = options.generatedAt ?? new Date();
  const out: string[] = [];
  out.push(`# Migration report: ${text(state.projectId || '(no project)')}`, '');
  out.push(
    options.asOfState
      ? `The migration state as of ${text(state.updatedAt)}, read by Orchestra Migrate from the state file.`
      : `Generated ${generatedAt.toISOString()} by Orchestra Migrate from the state file.`,
    '',
  );
  const title = (id: string) => phases.find((p) => p.id === id)?.title ?? id;
  out.push(...runSection(state, title), ...summarySection(state, phases), ...phaseSection(state, phases));
  out.push(...memoryCopySection(state), ...validationSection(state));
  out.push(...metricsSection(state, phases), ...outputsSection(state));
  out.push(...timelineSection(state, title, options.timelineLimit ?? DEFAULT_TIMELINE, options.timelineImage));
  return (
    out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}

function runSection(state: MigrationState, title: (id: string) => string): string[] {
  const run = state.run;
  if (!run) return ['No run is recorded yet: run `orchestra-migrate verify`, then `execute`.', ''];
  const took = run.finishedAt ? ` (${duration(Date.parse(run.finishedAt) - Date.parse(run.startedAt))})` : '';
  const lines = [
    '## Last run',
    '',
    `- Run \`${code(run.id)}\`: **${text(run.status)}**`,
    `- Started ${text(run.startedAt)}${run.finishedAt ? `, finished ${text(run.finishedAt)}${took}` : ''}`,
    `- Phases: ${run.phases.map((p) => text(title(p))).join(', ')}`,
    `- Host ${text(run.host)}, process ${count(run.pid)}`,
    // A path, not a file: link: markdown-it (and so the report tab) refuses file: URLs.
    ...(run.log ? [`- Log: \`${code(run.log)}\``] : []),
  ];
  if (run.status === 'running') {
    lines.push('- Recorded as running: if no process runs it any more, run `execute` again to resume.');
  }
  if (run.error) lines.push(`- Error: ${text(run.error)}`);
  return [...lines, ''];
}

function summarySection(state: MigrationState, phases: readonly PhaseInfo[]): string[] {
  const m = state.metrics;
  const statuses = phases.map((p) => phaseRecord(state, p.id).status);
  const inStatus = (status: string) => statuses.filter((s) => s === status).length;
  const rows: [string, string][] = [
    ['Phases completed', `${inStatus('completed')} of ${phases.length}`],
    ['Phases failed', String(inStatus('failed'))],
    ['Phases cancelled', String(inStatus('cancelled'))],
    ['Phases skipped', String(inStatus('skipped'))],
    ['Runs', count(m.runs)],
    [
      'Steps',
      `${count(m.steps)} (${count(m.created)} created, ${count(m.updated)} updated, ${count(m.unchanged)} unchanged, ${count(m.failed)} failed, ${count(m.blocked)} blocked)`,
    ],
    ['Requests to Google Cloud', count(m.requests)],
    ['Retries', count(m.retries)],
    ['Last run wall time', duration(m.lastRunMs)],
  ];
  return ['## Summary', '', '| Figure | Value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''];
}

function phaseSection(state: MigrationState, phases: readonly PhaseInfo[]): string[] {
  const header = [
    '| # | Phase | Status | Steps | Created | Updated | Unchanged | Failed | Blocked | Retries | Duration | Note |',
    // No column alignment: markdown-it writes it as style attributes, which the webview's
    // policy (no inline styles) would refuse.
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const rows = phases.map((info) => {
    const record = phaseRecord(state, info.id);
    const m: PhaseMetrics = record.metrics;
    const note = record.stale
      ? `stale: ${record.stale}`
      : record.blockedBy
        ? `blocked by ${record.blockedBy}`
        : (record.error ?? '');
    const status = PHASE_STATUS_LABELS[record.status] ?? text(record.status);
    const cells = [
      String(info.order),
      text(info.title),
      record.stale ? `${status} (stale)` : status,
      count(m.steps),
      count(m.created),
      count(m.updated),
      count(m.unchanged),
      count(m.failed),
      count(m.blocked),
      count(m.retries),
      m.durationMs ? duration(m.durationMs) : '',
      text(note),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [
    '## Phases',
    '',
    "Counts are from each phase's last run; the summary adds up every run.",
    '',
    ...header,
    ...rows,
    '',
  ];
}

/** What the memory copy did: records, rate, and the checksum comparison's verdict. */
function memoryCopySection(state: MigrationState): string[] {
  const copy = state.outputs.memoryCopy as Record<string, unknown> | undefined;
  if (!copy || typeof copy !== 'object' || typeof copy.records !== 'number') return [];
  const num = (v: unknown) => (typeof v === 'number' ? number(v) : '?');
  const lines = ['## Memory copy', ''];
  lines.push(`- Records: ${num(copy.records)} in the source, copied to the target`);
  if (typeof copy.copiedThisRun === 'number' && copy.copiedThisRun > 0 && typeof copy.copyMs === 'number') {
    lines.push(
      `- Last run: ${num(copy.copiedThisRun)} records in ${duration(copy.copyMs)} (${num(copy.recordsPerSecond)} records/s)`,
    );
  }
  const verdict = copy.checksumVerdict === 'match' ? '✅ source and target checksums match' : '';
  if (typeof copy.checksum === 'string')
    lines.push(`- Checksum: ${verdict ? `${verdict}, ` : ''}sha256 \`${code(copy.checksum)}\``);
  return [...lines, ''];
}

const CHECKS: readonly [key: string, label: string][] = [
  ['api', 'API'],
  ['memory', 'Memory read'],
  ['vector', 'Vector search'],
];

/** The latency checks graded as the origin project prints them: ✅ at or under target, ⚠️ within 1.5x, ❌ above. */
function validationSection(state: MigrationState): string[] {
  const recorded = state.outputs.validation;
  if (!recorded || typeof recorded !== 'object' || Array.isArray(recorded)) return [];
  const rows: string[] = [];
  let local = false;
  for (const [key, label] of CHECKS) {
    const r = (recorded as Record<string, unknown>)[key] as Partial<LatencyResult> | undefined;
    if (!r || typeof r.p95 !== 'number') continue;
    local ||= r.where === 'local';
    const mark = VERDICT_MARKS[r.verdict as LatencyVerdict] ?? '';
    rows.push(
      `| ${label} | ${mark} ${text(String(r.verdict ?? ''))} | ${r.p50} ms | ${r.p95} ms | ${r.targetMs} ms | ${r.samples} (after ${r.warmup ?? 0} warm-up) |`,
    );
  }
  if (!rows.length) return [];
  const lines = ['## Validation', ''];
  if (local) {
    lines.push(
      'Measured on this machine against local servers (the emulator): these are latencies of this machine, not of Google Cloud.',
      '',
    );
  }
  return [
    ...lines,
    '| Check | Verdict | p50 | p95 | Target | Samples |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    ...recallLines(recorded as Record<string, unknown>),
  ];
}

/** The vector index's recall@10 against exact search, beside its latency. */
function recallLines(recorded: Record<string, unknown>): string[] {
  const v = recorded.vector as
    { recallAt10?: number; recallGoal?: number; recallVerdict?: LatencyVerdict; queries?: number } | undefined;
  if (!v || typeof v.recallAt10 !== 'number') return [];
  const mark = VERDICT_MARKS[v.recallVerdict ?? 'fail'];
  return [
    `Vector index recall@10: ${mark} ${v.recallAt10} on ${number(v.queries ?? 0)} held-out queries against exact search (goal ${v.recallGoal ?? ''}).`,
    '',
  ];
}

function metricsSection(state: MigrationState, phases: readonly PhaseInfo[]): string[] {
  const rows: string[] = [];
  for (const info of phases) {
    const custom = phaseRecord(state, info.id).metrics.custom;
    for (const name of Object.keys(custom).sort()) {
      rows.push(`| ${text(info.title)} | \`${cellCode(name)}\` | ${number(custom[name])} |`);
    }
  }
  if (!rows.length) return [];
  return ['## Metrics', '', '| Phase | Metric | Value |', '|---|---|---|', ...rows, ''];
}

function outputsSection(state: MigrationState): string[] {
  const keys = Object.keys(state.outputs).sort();
  if (!keys.length) return [];
  const lines = ['## Outputs', ''];
  for (const key of keys) {
    const value = state.outputs[key];
    // Long values (a whole endpoint map) are cut: the state file has them in full.
    const cut = (shown: string) => (shown.length > 300 ? `${shown.slice(0, 300)}…` : shown);
    // A code span keeps markup inert in CommonMark, but not in every viewer the file is
    // shared to: text with markup in it is escaped text instead, and JSON spells <, > and &
    // as \u escapes (the same value).
    const shown =
      typeof value !== 'string'
        ? `\`${code(cut(jsonWithoutMarkup(value)))}\``
        : /[<>&]/.test(value)
          ? text(cut(value))
          : `\`${code(cut(value))}\``;
    lines.push(`- \`${code(key)}\`: ${shown}`);
  }
  return [...lines, ''];
}

function timelineSection(
  state: MigrationState,
  title: (id: string) => string,
  limit: number,
  image?: string,
): string[] {
  const events = state.history;
  if (!events.length && !image) return [];
  const shown = events.slice(-limit);
  const lines = ['## Timeline', ''];
  if (image) lines.push(`![Gantt chart of the last run: phases and steps on one time axis](${encodeURI(image)})`, '');
  if (shown.length < events.length) {
    lines.push(`The last ${shown.length} of ${events.length} recorded events (the log has every one).`, '');
  }
  if (!shown.length) return lines;
  lines.push('| Time (UTC) | Phase | Event |', '|---|---|---|');
  for (const e of shown) {
    lines.push(
      `| ${text(String(e.at).replace('T', ' ').replace('Z', ''))} | ${e.phase ? text(title(e.phase)) : ''} | ${text(e.message)} |`,
    );
  }
  return [...lines, ''];
}

/** JSON text with <, > and & as \u escapes: the same value, and no markup in any viewer. */
function jsonWithoutMarkup(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Plain text in Markdown: no markup, no table break, one line. */
export function text(value: string): string {
  return String(value)
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*_[\]<|~#]/g, (c) => `\\${c}`)
    .replace(/^([-+]|\d+\.)\s/, (m) => `\\${m}`);
}

/** Text inside an inline code span (outside tables): backticks cannot be escaped there, so they are replaced. */
function code(value: string): string {
  return value.replace(/\r?\n/g, ' ').replace(/`/g, "'");
}

/** A code span inside a table cell: a | would end the cell, so it is escaped (GFM reads \| in a code span as |). */
function cellCode(value: string): string {
  return code(value).replace(/\|/g, '\\|');
}

/**
 * Numbers from the state file. The file is checked on load, but the report is also
 * drawn from states held in memory: whatever is not a finite number shows as text.
 */
function number(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return text(String(value));
  return Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(2);
}

function count(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : text(String(value));
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
