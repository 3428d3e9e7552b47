/**
 * The last run as a Gantt chart (SVG): one row a phase, its steps under it, each bar
 * from the step's start to its end on a shared time axis. Presentation attributes only
 * (no <style>, no style="..."), so the chart shows under the report's Content Security
 * Policy; text takes the page's colour (currentColor). Every label is escaped.
 */
import type { PhaseInfo, PhaseStatus } from '../migration/catalog';
import { phaseRecord, type MigrationState } from '../migration/state';
import type { StepStatus } from '../migration/types';

const LABEL_WIDTH = 280;
const CHART_WIDTH = 600;
const ROW = 20;
const AXIS = 28;
const PAD = 8;

const PHASE_FILL: Readonly<Record<PhaseStatus, string>> = {
  'not-started': '#8c959f',
  'in-progress': '#0969da',
  completed: '#1a7f37',
  failed: '#cf222e',
  cancelled: '#bf8700',
  skipped: '#8c959f',
};

const STEP_FILL: Readonly<Record<StepStatus, string>> = {
  pending: '#8c959f',
  running: '#0969da',
  done: '#2da44e',
  failed: '#cf222e',
  blocked: '#bf8700',
  cancelled: '#8c959f',
};

interface Bar {
  label: string;
  start: number;
  end: number;
  fill: string;
  phase: boolean;
  tip: string;
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
function bars(state: MigrationState, phases: readonly PhaseInfo[], runStart: number, runEnd: number): Bar[] {
  const out: Bar[] = [];
  for (const info of phases) {
    const steps = Object.values(state.steps)
      .filter((s) => s.phase === info.id)
      .map((s) => ({ s, start: time(s.startedAt) }))
      .filter((x): x is { s: (typeof x)['s']; start: number } => x.start !== undefined && x.start >= runStart);
    const record = phaseRecord(state, info.id);
    const phaseStart = time(record.startedAt);
    if (!steps.length && (phaseStart === undefined || phaseStart < runStart)) continue;
    const starts = steps.map((x) => x.start);
    const ends = steps.map((x) => time(x.s.finishedAt) ?? runEnd);
    const start = Math.min(phaseStart ?? Infinity, ...starts);
    const end = Math.max(time(record.finishedAt) ?? (record.status === 'in-progress' ? runEnd : start), ...ends);
    out.push({
      label: `${info.order}. ${info.title}`,
      start,
      end,
      fill: PHASE_FILL[record.status],
      phase: true,
      tip: `${info.title}: ${record.status}`,
    });
    steps.sort((a, b) => a.start - b.start || a.s.id.localeCompare(b.s.id));
    for (const { s, start: stepStart } of steps) {
      const stepEnd = time(s.finishedAt) ?? runEnd;
      out.push({
        label: s.id.slice(s.phase.length + 1) || s.id,
        start: stepStart,
        end: stepEnd,
        fill: STEP_FILL[s.status],
        phase: false,
        tip: `${s.id}: ${s.status}${s.action ? ` (${s.action})` : ''}, ${Math.max(0, stepEnd - stepStart)} ms`,
      });
    }
  }
  return out;
}

/** The chart of the last run, or undefined when no run has started a step. */
export function timelineSvg(state: MigrationState, phases: readonly PhaseInfo[]): string | undefined {
  const run = state.run;
  const runStart = time(run?.startedAt);
  if (!run || runStart === undefined) return undefined;
  const lastEnd = Math.max(
    runStart,
    ...Object.values(state.steps).map((s) => time(s.finishedAt) ?? time(s.startedAt) ?? runStart),
  );
  const runEnd = time(run.finishedAt) ?? lastEnd;
  const rows = bars(state, phases, runStart, runEnd);
  if (!rows.length) return undefined;
  const span = Math.max(runEnd - runStart, ...rows.map((r) => r.end - runStart), 1);
  const x = (t: number) => LABEL_WIDTH + ((t - runStart) / span) * CHART_WIDTH;
  const width = LABEL_WIDTH + CHART_WIDTH + PAD * 2;
  const height = AXIS + rows.length * ROW + PAD;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Timeline of run ${xml(run.id)}" font-family="sans-serif" font-size="12">`,
    `<title>Timeline of run ${xml(run.id)}</title>`,
  ];
  const step = tickStep(span);
  for (let t = 0; t <= span; t += step) {
    const at = x(runStart + t).toFixed(1);
    parts.push(
      `<line x1="${at}" y1="${AXIS - 6}" x2="${at}" y2="${height - PAD}" stroke="currentColor" stroke-opacity="0.15"/>`,
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
  parts.push('</svg>');
  return parts.join('\n');
}
