/**
 * The cutover's state in words, where people look for it: the Memory System row and its
 * tooltip in the editor, and `status` in the terminal. Type imports only: the editor's
 * start-up bundle carries it.
 */
import type { CutoverRecord } from './state';

export const CUTOVER_LABELS: Readonly<Record<CutoverRecord['status'], string>> = {
  'in-progress': 'cutover in progress',
  failed: 'cutover failed',
  done: 'cut over',
  'rolled-back': 'cutover rolled back',
};

/** How the commands are named where the sentence is read: the palette's titles, or the CLI's. */
export interface CutoverCommandNames {
  readonly cutover: string;
  readonly rollback: string;
}

/** The cutover in a sentence: when, what it switched, what comes next. */
export function describeCutover(record: CutoverRecord, names: CutoverCommandNames): string {
  const settings = `${record.switched.length} setting${record.switched.length === 1 ? '' : 's'}`;
  switch (record.status) {
    case 'done':
      return `Cut over at ${record.finishedAt ?? record.startedAt}: the memory and API endpoints name the cloud (${settings} switched${record.secretVersion ? ', and the secret' : ''}). ${names.rollback} undoes it.`;
    case 'in-progress':
      return `A cutover started at ${record.startedAt} has not finished (stage ${record.stage}): run ${names.cutover} again to finish it.`;
    case 'failed':
      return `The cutover of ${record.startedAt} failed at stage ${record.stage}: ${record.error ?? 'see the log'}.`;
    case 'rolled-back':
      return `The cutover of ${record.startedAt} was rolled back${record.rollback?.finishedAt ? ` at ${record.rollback.finishedAt}` : ''}: the endpoints name the source again.`;
  }
}
