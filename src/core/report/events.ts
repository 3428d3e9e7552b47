/**
 * The state's history in plain words for the report's events table: "Created Runtime
 * service account" for `core-infrastructure/service-account: create`. The engine writes
 * its events for logs (ids, arrows, action names); this reads them back by type. An
 * event of a type it does not know keeps its own message, with step ids named.
 */
import type { PhaseInfo } from '../migration/catalog';
import type { HistoryEvent } from '../migration/state';
import { OUTCOME_MARKS, type Outcome, type StepInfo } from './outcomes';

export interface EventWording {
  /** The colour mark of the outcome it reports, when it reports one. */
  readonly outcome?: Outcome;
  /** Plain text (the report escapes it). */
  readonly text: string;
}

export interface Names {
  phase(id: string): string;
  step(id: string): string;
  kind(id: string): StepInfo['kind'] | undefined;
}

export function namesOf(phases: readonly PhaseInfo[], steps: readonly StepInfo[] = []): Names {
  const phaseTitles = new Map(phases.map((p) => [p.id, p.title]));
  const byId = new Map(steps.map((s) => [s.id, s]));
  return {
    phase: (id) => phaseTitles.get(id) ?? id,
    step: (id) => byId.get(id)?.title ?? id,
    kind: (id) => byId.get(id)?.kind,
  };
}

const PHASE_STATUS_WORDS: Readonly<Record<string, string>> = {
  'in-progress': 'started',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
  'not-started': 'reset to not started',
};

/** The run's phases named by title: "run 7: core-infrastructure, memory-system". */
function runStarted(message: string, names: Names): EventWording | undefined {
  const m = /^run (\S+): (.*)$/.exec(message);
  if (!m) return undefined;
  const phases = m[2]
    .split(', ')
    .filter(Boolean)
    .map((id) => names.phase(id));
  return { text: `Run ${m[1]} started: ${phases.join(', ') || 'no phase'}` };
}

function runFinished(message: string): EventWording | undefined {
  const m = /^run (\S+) (\w+)$/.exec(message);
  if (!m) return undefined;
  const outcome: Outcome | undefined = m[2] === 'failed' ? 'failed' : m[2] === 'cancelled' ? 'cancelled' : undefined;
  return { text: `Run ${m[1]} ${m[2]}`, ...(outcome ? { outcome } : {}) };
}

function phaseStatus(event: HistoryEvent, names: Names): EventWording | undefined {
  const title = names.phase(event.phase ?? '');
  const moved = /^\S+: (\S+) -> (\S+)$/.exec(event.message);
  if (moved) {
    const to = moved[2];
    const outcome: Outcome | undefined = to === 'failed' ? 'failed' : to === 'cancelled' ? 'cancelled' : undefined;
    return { text: `${title} ${PHASE_STATUS_WORDS[to] ?? to.replace(/-/g, ' ')}`, ...(outcome ? { outcome } : {}) };
  }
  const marked = /^\S+ (skipped|reset)$/.exec(event.message);
  if (marked) return { text: `${title} ${marked[1] === 'reset' ? 'reset: its steps will run again' : 'skipped'}` };
  return undefined;
}

/** `<id>: <action>`, the action as the executor records it. */
function stepFinished(event: HistoryEvent, names: Names): EventWording | undefined {
  const step = event.step ?? '';
  const action = event.message.startsWith(`${step}: `) ? event.message.slice(step.length + 2) : undefined;
  const title = names.step(step);
  switch (action) {
    case 'create':
      return { outcome: 'created', text: `Created ${title}` };
    case 'update':
      return { outcome: 'updated', text: `Updated ${title}` };
    case 'run':
      return { outcome: 'ran', text: `Ran ${title}` };
    case 'none':
      return {
        outcome: 'unchanged',
        text: names.kind(step) === 'action' ? `${title}: nothing to do` : `${title}: already as desired`,
      };
    default:
      return undefined;
  }
}

function stepFailed(event: HistoryEvent, names: Names): EventWording | undefined {
  const step = event.step ?? '';
  if (!event.message.startsWith(`${step}: `)) return undefined;
  return { outcome: 'failed', text: `${names.step(step)} failed: ${event.message.slice(step.length + 2)}` };
}

function stepBlocked(event: HistoryEvent, names: Names): EventWording | undefined {
  const m = /^(\S+) blocked by (\S+)$/.exec(event.message);
  if (!m) return undefined;
  return { outcome: 'blocked', text: `${names.step(m[1])} not run: it needs ${names.step(m[2])}, which failed` };
}

/** Step ids in a message of another kind, named by their titles. */
function named(message: string, names: Names): string {
  return message.replace(/\b[a-z][a-z0-9-]*\/[a-z0-9][a-z0-9-]*\b/g, (id) => names.step(id));
}

export function eventWording(event: HistoryEvent, names: Names): EventWording {
  const worded = (() => {
    switch (event.type) {
      case 'run-started':
        return runStarted(event.message, names);
      case 'run-finished':
        return runFinished(event.message);
      case 'phase-status':
        return phaseStatus(event, names);
      case 'phase-stale': {
        const m = /^\S+ stale: (\S+) was reset$/.exec(event.message);
        return m
          ? {
              text: `${names.phase(event.phase ?? '')} may be out of date: ${names.phase(m[1])}, which it builds on, was reset`,
            }
          : undefined;
      }
      case 'step-started':
        return { outcome: 'running' as const, text: `Started ${names.step(event.step ?? '')}` };
      case 'step-finished':
        return stepFinished(event, names);
      case 'step-failed':
        return stepFailed(event, names);
      case 'step-blocked':
        return stepBlocked(event, names);
      default:
        return undefined;
    }
  })();
  return worded ?? { text: named(event.message, names) };
}

/** The event's cell: its outcome's colour mark, then its words. */
export function eventLine(wording: EventWording): string {
  return wording.outcome ? `${OUTCOME_MARKS[wording.outcome]} ${wording.text}` : wording.text;
}
