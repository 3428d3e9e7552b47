/**
 * The report's Timeline section: the chart of the last run (a file beside the Markdown,
 * or inline in the HTML pages), the legend of its colours, and the recorded events in
 * plain words, each marked with the same colour as its bar.
 */
import type { HistoryEvent, MigrationState } from '../migration/state';
import { eventLine, eventWording, type Names } from './events';
import { text } from './markdown-text';
import { legendText, OUTCOMES } from './outcomes';

const ENDS = new Set(['step-finished', 'step-failed', 'step-blocked']);

/**
 * The events worth a row: a step's start is left out once the step has ended (its
 * end says what it did, and the chart shows when it started); a step still running
 * keeps its start.
 */
export function shownEvents(history: readonly HistoryEvent[]): HistoryEvent[] {
  const ended = new Set<string>();
  const kept: HistoryEvent[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i];
    if (e.step && ENDS.has(e.type)) ended.add(e.step);
    if (e.type === 'step-started' && e.step && ended.has(e.step)) {
      ended.delete(e.step);
      continue;
    }
    kept.push(e);
  }
  return kept.reverse();
}

export function timelineSection(state: MigrationState, names: Names, limit: number, image?: string): string[] {
  const events = shownEvents(state.history);
  if (!events.length && !image) return [];
  const shown = events.slice(-limit);
  const lines = ['## Timeline', ''];
  if (image) lines.push(`![Gantt chart of the last run: phases and steps on one time axis](${encodeURI(image)})`, '');
  lines.push(`Colours by outcome: ${legendText(OUTCOMES)}.`, '');
  if (shown.length < events.length) {
    lines.push(`The last ${shown.length} of ${events.length} recorded events (the log has every one).`, '');
  }
  if (events.length < state.history.length) {
    lines.push("A step's start is left out once it has ended: the chart shows when each step started.", '');
  }
  if (!shown.length) return lines;
  lines.push('| Time (UTC) | Phase | Event |', '|---|---|---|');
  for (const e of shown) {
    const when = text(String(e.at).replace('T', ' ').replace('Z', ''));
    lines.push(
      `| ${when} | ${e.phase ? text(names.phase(e.phase)) : ''} | ${text(eventLine(eventWording(e, names)))} |`,
    );
  }
  return [...lines, ''];
}
