/**
 * Phase status transitions. Anything not listed is a bug in the caller, so it throws
 * rather than silently corrupting what the tree, the CLI and the report show.
 */
import { InputError, OrchestraError } from '../errors';
import type { PhaseStatus } from './catalog';

const LEGAL: Readonly<Record<PhaseStatus, readonly PhaseStatus[]>> = {
  'not-started': ['in-progress', 'skipped'],
  // in-progress -> in-progress: a run resumed after a crash picks the phase up again;
  // -> not-started / skipped: reset or skip after a crash left it in progress (the lock proves no run is active).
  'in-progress': ['in-progress', 'completed', 'failed', 'cancelled', 'not-started', 'skipped'],
  completed: ['in-progress', 'not-started', 'skipped'],
  failed: ['in-progress', 'not-started', 'skipped'],
  cancelled: ['in-progress', 'not-started', 'skipped'],
  skipped: ['not-started'],
};

export function canTransition(from: PhaseStatus, to: PhaseStatus): boolean {
  return LEGAL[from].includes(to);
}

export function assertTransition(phase: string, from: PhaseStatus, to: PhaseStatus): void {
  if (!canTransition(from, to)) {
    throw new OrchestraError('ILLEGAL_TRANSITION', `Phase ${phase} cannot go from '${from}' to '${to}'.`, {
      where: `phase ${phase}`,
      fix:
        from === 'skipped'
          ? `Reset the phase first (orchestra-migrate reset ${phase}).`
          : `Legal next statuses from '${from}': ${LEGAL[from].join(', ') || 'none'}.`,
    });
  }
}

/** For skip and reset, which people ask for: a transition the phase cannot make is bad input (exit 2). */
export function assertRequestedTransition(phase: string, from: PhaseStatus, to: PhaseStatus): void {
  try {
    assertTransition(phase, from, to);
  } catch (error) {
    const e = error as OrchestraError;
    throw new InputError(e.message, { where: e.where, fix: e.fix });
  }
}
