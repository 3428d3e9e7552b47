/**
 * The last run as a Gantt chart (SVG): one row a phase, its steps under it, each bar
 * from the step's start to its end on a shared time axis, coloured by what the step
 * came to (created, updated, unchanged, ran, failed...), with the legend under the
 * chart. Presentation attributes only (no <style>, no style="..."), so the chart shows
 * under the report's Content Security Policy; text takes the page's colour
 * (currentColor). Every label is escaped.
 */
import type { PhaseInfo } from '../migration/catalog';
import { phaseRecord, type MigrationState } from '../migration/state';
import { namesOf } from './events';
import { duration } from './markdown-text';
import { lastOutcome, OUTCOME_FILL, OUTCOME_WORDS, OUTCOMES, type Outcome, type StepInfo } from './outcomes';

const LABEL_WIDTH = 300;
const CHART_WIDTH = 600;
const ROW = 20;
const AXIS = 28;
const PAD = 8;

/** A phase's bar spans its steps; their colours say what happened. */
const PHASE_FILL = '#6e7781';
const LEGEND_ROW = 22;
const LEGEND_ITEM = 110;

interface Bar {
  label: string;
  start: number;
  end: number;
  fill: string;
  phase: boolean;
  tip: string;
  outcome?: Outcome;
}

function xml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function time(iso: string | undefined): number | undefined {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** Clock-friendly tick steps (ms): the smallest that gives about six ticks over the span. */
const TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5];

function tickStep(spanMs: number): number {
  const rough = spanMs / 6;
  return TICKS.find((t) => t >= rough) ?? Math.ceil(rough / 36e5) * 36e5;
}

function tickLabel(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  return `${+(ms / 60_000).toFixed(1)} min`;
}

/** The bars of the last run: the phases it ran and the steps that started in it, in the registry's order. */
function bars(
  state: MigrationState,
  phases: readonly PhaseInfo[],
  steps: readonly StepInfo[],
  runStart: number,
  runEnd: number,
): Bar[] {
  const names = namesOf(phases, steps);
  const out: Bar[] = [];
  for (const info of phases) {
    const ran = Object.values(state.steps)
      .filter((s) => s.phase === info.id)
      .map((s) => ({ s, start: time(s.startedAt) }))
      .filter((x): x is { s: (typeof x)['s']; start: number } => x.start !== undefined && x.start >= runStart);
    const record = phaseRecord(state, info.id);
    const phaseStart = time(record.startedAt);
    if (!ran.length && (phaseStart === undefined || phaseStart < runStart)) continue;
    const starts = ran.map((x) => x.start);
    const ends = ran.map((x) => time(x.s.finishedAt) ?? runEnd);
    const start = Math.min(phaseStart ?? Infinity, ...starts);
    const end = Math.max(time(record.finishedAt) ?? (record.status === 'in-progress' ? runEnd : start), ...ends);
    out.push({
      label: `${info.order}. ${info.title}`,
      start,
      end,
      fill: PHASE_FILL,
      phase: true,
      tip: `${info.title}: ${record.status.replace(/-/g, ' ')}`,
    });
    ran.sort((a, b) => a.start - b.start || a.s.id.localeCompare(b.s.id));
    for (const { s, start: stepStart } of ran) {
      const stepEnd = time(s.finishedAt) ?? runEnd;
      const outcome = lastOutcome(s) ?? 'running';
      out.push({
        label: names.step(s.id) === s.id ? s.id.slice(s.phase.length + 1) || s.id : names.step(s.id),
        start: stepStart,
        end: stepEnd,
        fill: OUTCOME_FILL[outcome],
        phase: false,
        outcome,
        tip: `${names.step(s.id)}: ${OUTCOME_WORDS[outcome]}, ${duration(Math.max(0, stepEnd - stepStart))}`,
      });
    }
  }
  return out;
}

/** The chart of the last run, or undefined when no run has started a step. */
export function timelineSvg(
  state: MigrationState,
  phases: readonly PhaseInfo[],
  steps: readonly StepInfo[] = [],
): string | undefined {
  const run = state.run;
  const runStart = time(run?.startedAt);
  if (!run || runStart === undefined) return undefined;
  const lastEnd = Math.max(
    runStart,
    ...Object.values(state.steps).map((s) => time(s.finishedAt) ?? time(s.startedAt) ?? runStart),
  );
  const runEnd = time(run.finishedAt) ?? lastEnd;
  const rows = bars(state, phases, steps, runStart, runEnd);
  if (!rows.length) return undefined;
  const span = Math.max(runEnd - runStart, ...rows.map((r) => r.end - runStart), 1);
  const x = (t: number) => LABEL_WIDTH + ((t - runStart) / span) * CHART_WIDTH;
  const width = LABEL_WIDTH + CHART_WIDTH + PAD * 2;
  const legend = legendItems(rows, width);
  const chartBottom = AXIS + rows.length * ROW;
  const height = chartBottom + PAD + legend.rows * LEGEND_ROW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Timeline of run ${xml(run.id)}" font-family="sans-serif" font-size="12">`,
    `<title>Timeline of run ${xml(run.id)}</title>`,
  ];
  const step = tickStep(span);
  for (let t = 0; t <= span; t += step) {
    const at = x(runStart + t).toFixed(1);
    parts.push(
      `<line x1="${at}" y1="${AXIS - 6}" x2="${at}" y2="${chartBottom}" stroke="currentColor" stroke-opacity="0.15"/>`,
      `<text x="${at}" y="${AXIS - 10}" fill="currentColor" text-anchor="middle">${xml(tickLabel(t))}</text>`,
    );
  }
  rows.forEach((r, i) => {
    const y = AXIS + i * ROW;
    const left = x(r.start);
    const barWidth = Math.max(2, x(r.end) - left);
    parts.push(
      `<text x="${r.phase ? PAD : PAD + 14}" y="${y + 14}" fill="currentColor"${r.phase ? ' font-weight="bold"' : ''}>${xml(r.label)}</text>`,
      `<rect x="${left.toFixed(1)}" y="${y + (r.phase ? 3 : 5)}" width="${barWidth.toFixed(1)}" height="${r.phase ? 14 : 10}" rx="2" fill="${r.fill}"${r.phase ? ' fill-opacity="0.55"' : ''}><title>${xml(r.tip)}</title></rect>`,
    );
  });
  parts.push(...legend.parts);
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * The legend under the chart: a swatch and a word for the phase span and for each
 * outcome the chart shows, wrapped to the chart's width.
 */
function legendItems(rows: readonly Bar[], width: number): { rows: number; parts: string[] } {
  const shown = OUTCOMES.filter((o) => rows.some((r) => r.outcome === o));
  const items: { fill: string; word: string; opacity?: string }[] = [
    { fill: PHASE_FILL, word: 'phase', opacity: '0.55' },
    ...shown.map((o) => ({ fill: OUTCOME_FILL[o], word: OUTCOME_WORDS[o] })),
  ];
  const perRow = Math.max(1, Math.floor((width - PAD * 2) / LEGEND_ITEM));
  const top = AXIS + rows.length * ROW + PAD;
  const parts = [`<g role="list" aria-label="Legend">`];
  items.forEach((item, i) => {
    const x = PAD + (i % perRow) * LEGEND_ITEM;
    const y = top + Math.floor(i / perRow) * LEGEND_ROW;
    parts.push(
      `<g role="listitem"><rect x="${x}" y="${y + 4}" width="14" height="10" rx="2" fill="${item.fill}"${item.opacity ? ` fill-opacity="${item.opacity}"` : ''}/>`,
      `<text x="${x + 20}" y="${y + 13}" fill="currentColor">${xml(item.word)}</text></g>`,
    );
  });
  parts.push('</g>');
  return { rows: Math.ceil(items.length / perRow), parts };
}
