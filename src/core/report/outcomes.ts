/**
 * What a step came to, in the words and colours the whole report uses: the chart's bars,
 * its legend, the marks in the events table and the per-phase counts. One table of
 * colours, so the legend cannot disagree with what it explains.
 */
import type { StepRecord } from '../migration/types';

export type Outcome = 'created' | 'updated' | 'unchanged' | 'ran' | 'failed' | 'blocked' | 'cancelled' | 'running';

export const OUTCOMES: readonly Outcome[] = [
  'created',
  'updated',
  'unchanged',
  'ran',
  'failed',
  'blocked',
  'cancelled',
  'running',
];

/** Bar colours (GitHub's Primer scale: readable on light and dark pages). */
export const OUTCOME_FILL: Readonly<Record<Outcome, string>> = {
  created: '#2da44e',
  updated: '#0969da',
  unchanged: '#8c959f',
  ran: '#8250df',
  failed: '#cf222e',
  blocked: '#bf8700',
  cancelled: '#bc4c00',
  running: '#54aeff',
};

/** The same colours as text, for Markdown viewers that show no chart (and for the events table). */
export const OUTCOME_MARKS: Readonly<Record<Outcome, string>> = {
  created: '🟩',
  updated: '🟦',
  unchanged: '⬜',
  ran: '🟪',
  failed: '🟥',
  blocked: '🟨',
  cancelled: '🟧',
  running: '🔵',
};

export const OUTCOME_WORDS: Readonly<Record<Outcome, string>> = {
  created: 'created',
  updated: 'updated',
  unchanged: 'unchanged',
  ran: 'ran',
  failed: 'failed',
  blocked: 'blocked',
  cancelled: 'cancelled',
  running: 'running',
};

export type StepKind = 'resource' | 'action';

/** A step's name for people and its kind, from the phase registry (absent: the id is shown). */
export interface StepInfo {
  readonly id: string;
  readonly title: string;
  readonly kind: StepKind;
}

/** What the step did in the run that last touched it; undefined when no run has. */
export function lastOutcome(step: StepRecord): Outcome | undefined {
  switch (step.status) {
    case 'done':
      return step.action === 'create'
        ? 'created'
        : step.action === 'update'
          ? 'updated'
          : step.action === 'run'
            ? 'ran'
            : 'unchanged';
    case 'pending':
      return undefined;
    default:
      return step.status;
  }
}

/**
 * What the migration has done to the step over every run, so a rerun that finds
 * everything in place leaves the count as it was: a resource it created stays created,
 * one it changed in place stays updated, an action that ran stays ran.
 */
export function migrationOutcome(step: StepRecord, kind?: StepKind): Outcome | undefined {
  if (step.status !== 'done') return lastOutcome(step);
  if (step.origin === 'created' || step.action === 'create') return 'created';
  if (step.updatedAt || step.action === 'update') return 'updated';
  // Resources get an origin when they first converge; a step without one is an action.
  if (kind === 'action' || (kind === undefined && step.origin === undefined)) return 'ran';
  return 'unchanged';
}

/** The legend as one line of text: every outcome given, with its mark. */
export function legendText(outcomes: readonly Outcome[]): string {
  return outcomes.map((o) => `${OUTCOME_MARKS[o]} ${OUTCOME_WORDS[o]}`).join(' · ');
}
