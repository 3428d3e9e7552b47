/**
 * The vocabulary of phases: what a phase is to users (id, title, description, order)
 * and the statuses it goes through. Which phases exist is the registry's business
 * (registry.ts): each phase file carries its own PhaseInfo.
 */
/** A registered phase's id: kebab-case, stable (it keys the state file). */
export type PhaseId = string;

export interface PhaseInfo {
  readonly id: PhaseId;
  /** Key of the phase's settings under `phases` in the configuration, when it has any. */
  readonly configKey?: string;
  readonly title: string;
  readonly description: string;
  readonly order: number;
}

export type PhaseStatus = 'not-started' | 'in-progress' | 'completed' | 'failed' | 'cancelled' | 'skipped';

export const PHASE_STATUS_LABELS: Readonly<Record<PhaseStatus, string>> = {
  'not-started': 'not started',
  'in-progress': 'in progress',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
};
