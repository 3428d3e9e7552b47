/**
 * `sync` over the engine: the Memory System phase run again once its first full copy
 * finished, whose copy step then moves only what changed (memory-sync.ts).
 */
import { InputError } from '../errors';
import type { ExecuteResult } from '../migration/executor';
import type { Delta } from '../migration/memory-sync';
import { MEMORY } from '../migration/phases/memory-system';
import type { MigrationState } from '../migration/state';

const NOTHING: Delta = { added: 0, updated: 0, deleted: 0, method: 'changes' };

/** The phase a sync runs; refuses (bad input: nothing changed) before the first full copy. */
export function syncPhase(state: MigrationState): string {
  if (state.cutover?.status === 'done') {
    throw new InputError(
      `The memory was cut over at ${state.cutover.finishedAt}: the cloud is the truth now and the source is not synced from.`,
      {
        where: 'state (cutover)',
        fix: 'Nothing to sync. orchestra-migrate rollback-cutover goes back to the source; sync works again after it.',
      },
    );
  }
  const checkpoint = state.steps[MEMORY.copy]?.checkpoint as { complete?: boolean } | undefined;
  if (!checkpoint?.complete) {
    throw new InputError('sync moves only what changed since the first full copy, and no full copy has finished yet.', {
      where: MEMORY.copy,
      fix: 'Run orchestra-migrate execute (it makes the full copy, resumably); sync after it.',
    });
  }
  return MEMORY.copy.split('/')[0];
}

/** What this run's copy step moved: its recorded last sync, or nothing when the step had nothing to do. */
export function syncedBy(result: ExecuteResult, state: MigrationState): Delta {
  if (!(MEMORY.copy in result.stepDurations)) return NOTHING;
  const copy = state.outputs.memoryCopy as { lastSync?: Delta } | undefined;
  const last = copy?.lastSync;
  return last ? { added: last.added, updated: last.updated, deleted: last.deleted, method: last.method } : NOTHING;
}
