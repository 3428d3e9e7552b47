/**
 * The migration report: Markdown from the state file alone, so the command line and
 * the editor give the same document for the same state (the HTML exports are this
 * Markdown rendered). Sections: the last run and what it did, a summary, one row per
 * phase with what the migration did to its steps, the memory copy, validation, the
 * metrics steps recorded, the outputs as tables, and the events in plain words under
 * the timeline, both coloured by outcome with one legend. Text that comes from servers
 * or users (errors, output values, metric names) is escaped, so it reads as written and
 * never becomes a link, a heading or a table column.
 */
import { PHASE_STATUS_LABELS, type PhaseInfo } from '../migration/catalog';
import { VERDICT_MARKS, type LatencyResult, type LatencyVerdict } from '../migration/latency';
import { phaseRecord, type MigrationState, type PhaseMetrics } from '../migration/state';
import { namesOf, type Names } from './events';
import { timelineSection } from './history';
import { cellCode, code, count, duration, number, text } from './markdown-text';
import {
  lastOutcome,
  migrationOutcome,
  OUTCOME_MARKS,
  OUTCOME_WORDS,
  OUTCOMES,
  type Outcome,
  type StepInfo,
} from './outcomes';
import { outputsSection } from './outputs';
import { cutoverSection } from './cutover';

export { duration, text } from './markdown-text';

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
  /** The registry's steps, for their names and kinds (without them, steps show by id). */
  steps?: readonly StepInfo[];
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
  const names = namesOf(phases, options.steps);
  out.push(...runSection(state, names.phase), ...summarySection(state, phases), ...phaseSection(state, phases, names));
  out.push(...memoryCopySection(state), ...cutoverSection(state), ...validationSection(state));
  out.push(...metricsSection(state, phases), ...outputsSection(state.outputs));
  out.push(...timelineSection(state, names, options.timelineLimit ?? DEFAULT_TIMELINE, options.timelineImage));
  return (
    out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}

function runSection(state: MigrationState, title: (id: string) => string): string[] {
  const run = state.run;
  if (!run) return ['No run is recorded yet: run `orchestra-migrate verify`, then `orchestra-migrate execute`.', ''];
  const took = run.finishedAt ? ` (${duration(Date.parse(run.finishedAt) - Date.parse(run.startedAt))})` : '';
  const lines = [
    '## Last run',
    '',
    `- Run ${code(run.id)}: **${text(run.status)}**`,
    `- Started ${text(run.startedAt)}${run.finishedAt ? `, finished ${text(run.finishedAt)}${took}` : ''}`,
    `- Phases: ${run.phases.map((p) => text(title(p))).join(', ')}`,
    `- What it did: ${lastRunDid(state)}`,
    `- Host ${text(run.host)}, process ${count(run.pid)}`,
    // A path, not a file: link: markdown-it (and so the report tab) refuses file: URLs.
    ...(run.log ? [`- Log: ${code(run.log)}`] : []),
  ];
  if (run.status === 'running') {
    lines.push(
      '- Recorded as running: if no process runs it any more, run `orchestra-migrate execute` again to resume.',
    );
  }
  if (run.error) lines.push(`- Error: ${text(run.error)}`);
  return [...lines, ''];
}

/** The last run's steps by outcome, as the executor's summary counts them: "🟩 3 created · ⬜ 27 unchanged". */
function lastRunDid(state: MigrationState): string {
  const run = state.run!;
  const start = Date.parse(run.startedAt);
  const counts = new Map<Outcome, number>();
  for (const step of Object.values(state.steps)) {
    if (!run.phases.includes(step.phase)) continue;
    const started = step.startedAt ? Date.parse(step.startedAt) : NaN;
    // A blocked step keeps the start of the run that last ran it: its status is this run's.
    if (step.status !== 'blocked' && !(started >= start)) continue;
    const outcome = lastOutcome(step);
    if (outcome) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  const said = OUTCOMES.filter((o) => counts.get(o)).map(
    (o) => `${OUTCOME_MARKS[o]} ${counts.get(o)} ${OUTCOME_WORDS[o]}`,
  );
  return said.length ? said.join(' · ') : 'no step ran';
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
      'Steps run, over all runs',
      `${count(m.steps)} (${count(m.created)} created, ${count(m.updated)} updated, ${count(m.unchanged)} unchanged, ${count(m.failed)} failed, ${count(m.blocked)} blocked)`,
    ],
    ['Requests to Google Cloud', count(m.requests)],
    ['Retries', count(m.retries)],
    ['Last run wall time', duration(m.lastRunMs)],
  ];
  return ['## Summary', '', '| Figure | Value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''];
}

/** Each step of the phase counted once, by what the migration has done to it over every run. */
function phaseOutcomes(state: MigrationState, phase: string, names: Names): Record<Outcome, number> {
  const counts = { created: 0, updated: 0, unchanged: 0, ran: 0, failed: 0, blocked: 0, cancelled: 0, running: 0 };
  for (const step of Object.values(state.steps)) {
    if (step.phase !== phase) continue;
    const outcome = migrationOutcome(step, names.kind(step.id));
    if (outcome) counts[outcome]++;
  }
  return counts;
}

function phaseSection(state: MigrationState, phases: readonly PhaseInfo[], names: Names): string[] {
  const header = [
    '| # | Phase | Status | Steps | Created | Updated | Unchanged | Ran | Failed | Blocked | Retries | Duration | Note |',
    // No column alignment: markdown-it writes it as style attributes, which the webview's
    // policy (no inline styles) would refuse.
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const rows = phases.map((info) => {
    const record = phaseRecord(state, info.id);
    const m: PhaseMetrics = record.metrics;
    const c = phaseOutcomes(state, info.id, names);
    const steps = Object.values(c).reduce((a, b) => a + b, 0);
    const note = record.stale
      ? `stale: ${record.stale}`
      : record.blockedBy
        ? `blocked by ${names.step(record.blockedBy)}`
        : (record.error ?? '');
    const status = PHASE_STATUS_LABELS[record.status] ?? text(record.status);
    const cells = [
      String(info.order),
      text(info.title),
      record.stale ? `${status} (stale)` : status,
      String(steps),
      String(c.created),
      String(c.updated),
      String(c.unchanged),
      String(c.ran),
      String(c.failed),
      String(c.blocked),
      count(m.retries),
      m.durationMs ? duration(m.durationMs) : '',
      text(note),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [
    '## Phases',
    '',
    'Each step counts once, by what the migration has done to it over all its runs: a resource it created stays',
    'created, one it changed in place stays updated, and a rerun that finds everything as desired changes no',
    "count. Retries and duration are the phase's last run.",
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
    lines.push(`- Checksum: ${verdict ? `${verdict}, ` : ''}sha256 ${code(copy.checksum)}`);
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
      `| ${label} | ${mark} ${text(String(r.verdict ?? ''))} | ${number(r.p50)} ms | ${number(r.p95)} ms | ${number(r.targetMs)} ms | ${count(r.samples)} (after ${count(r.warmup ?? 0)} warm-up) |`,
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
      rows.push(`| ${text(info.title)} | ${cellCode(name)} | ${number(custom[name])} |`);
    }
  }
  if (!rows.length) return [];
  return ['## Metrics', '', '| Phase | Metric | Value |', '|---|---|---|', ...rows, ''];
}
