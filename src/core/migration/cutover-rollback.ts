/**
 * rollback-cutover: back to the source as the truth. Writes the team made on the cloud
 * since the cutover are copied back to the source first (the target held read-only
 * meanwhile, where it can, so none arrives in between), then the config files get their
 * values from before the cutover, Hybrid Config's secret a version of them, and the
 * source takes writes again. Refused (bad input, nothing changed) when there is no
 * cutover to undo. Resumable: each stage is recorded, and each is safe to redo.
 */
import { restoreFile, writeSettings } from '../config/setting-files';
import { errorMessage, InputError, OrchestraError } from '../errors';
import type { MemoryClient } from '../memory/types';
import { absoluteFile, cutoverSides, type CutoverInput } from './cutover';
import type { CutoverRunInput } from './cutover-run';
import { syncChanges, type Delta } from './memory-sync';
import { verifyCopy } from './memory-verify';
import { refreshSecretVersion } from './phases/hybrid-config';
import { pushHistory, type CutoverRecord, type EndpointSwitch } from './state';

export interface RollbackPlan {
  readonly projectId: string;
  readonly cutover: CutoverRecord;
  /** Settings put back, file by file: `to` is the value they get (absent: removed). */
  readonly restores: readonly { file: string; setting: string; from: string; to?: string }[];
  /** Whether writes made on the cloud since the cutover are copied back to the source. */
  readonly copyBack: boolean;
  readonly sourceWritable: boolean;
  readonly secret: boolean;
  readonly notes: readonly string[];
}

/** The cutover to undo; an InputError naming why there is none. */
export function rollbackTarget(input: Pick<CutoverInput, 'state' | 'deps'>): CutoverRecord {
  const record = input.state.cutover;
  const project = input.deps.config.projectId;
  if (!record) {
    throw new InputError(`No cutover has run for project ${project}: there is nothing to roll back.`, {
      where: 'state (cutover)',
      fix: 'Nothing to do: the endpoints still name the source. orchestra-migrate cutover switches them to the cloud.',
    });
  }
  if (record.status === 'rolled-back') {
    throw new InputError(
      `The cutover of ${record.startedAt} was already rolled back at ${record.rollback?.finishedAt ?? '?'}: there is nothing to roll back.`,
      { where: 'state (cutover)', fix: 'Nothing to do: the endpoints name the source again.' },
    );
  }
  if (!switchedAnything(record) && !record.source.readOnly) {
    throw new InputError(
      `The cutover of ${record.startedAt} stopped before switching anything (${record.error ?? record.stage}) and the source is writable: there is nothing to roll back.`,
      {
        where: 'state (cutover)',
        fix: 'Run orchestra-migrate cutover again to finish it, or leave things as they are.',
      },
    );
  }
  return record;
}

function switchedAnything(record: CutoverRecord): boolean {
  return record.stage === 'switching' || record.stage === 'switched';
}

export function planRollback(input: CutoverInput): RollbackPlan {
  const record = rollbackTarget(input);
  // The plan's first line says the copy back; a note saying it again read as a second step.
  const notes: string[] = [];
  const copyBack = switchedAnything(record);
  return {
    projectId: input.deps.config.projectId,
    cutover: record,
    restores: copyBack ? record.switched.map(restore) : [],
    copyBack,
    sourceWritable: record.source.readOnly,
    secret: copyBack && input.active('hybrid-config'),
    notes,
  };
}

function restore(s: EndpointSwitch): { file: string; setting: string; from: string; to?: string } {
  return { file: s.file, setting: s.setting, from: s.to, ...(s.from !== undefined ? { to: s.from } : {}) };
}

async function save(input: CutoverRunInput, record: CutoverRecord, history?: string): Promise<void> {
  await input.store.update((s) => {
    s.cutover = structuredClone(record);
    if (history)
      pushHistory(s, { at: new Date().toISOString(), type: 'cutover', phase: 'memory-system', message: history });
  });
}

export async function runRollback(input: CutoverRunInput): Promise<CutoverRecord> {
  const record = structuredClone(rollbackTarget(input));
  checkSameSource(input, record);
  const { source, target } = await input.deps.memory!();
  record.rollback = { startedAt: new Date().toISOString() };
  await save(input, record, `rollback-cutover started: back to ${record.source.endpoint}`);
  let targetFrozen = false;
  try {
    if (switchedAnything(record)) {
      targetFrozen = (await target.setReadOnly?.(true, { signal: input.signal })) ?? false;
      await makeWritable(source, record);
      await save(input, record);
      record.rollback.copiedBack = await copyBack(input, target, source, record);
      await save(input, record, `rollback-cutover copied back ${describe(record.rollback.copiedBack)}`);
      // A file still as the switch wrote it gets its bytes back; one edited since (or a
      // cutover recorded before restores were) gets each setting put back in place.
      const exact = new Set<string>();
      for (const restore of record.restore ?? []) {
        if (await restoreFile(absoluteFile(input, restore.file), restore)) exact.add(restore.file);
      }
      await writeSettings(
        record.switched
          .filter((s) => !exact.has(s.file))
          .map((s) => ({
            file: absoluteFile(input, s.file),
            setting: s.setting,
            value: s.from,
            ...(s.from === undefined && s.created !== undefined ? { prune: s.created } : {}),
          })),
      );
      if (input.secret) {
        const version = await refreshSecretVersion(input.context());
        if (version) record.rollback.secretVersion = version;
      }
    } else {
      await makeWritable(source, record);
    }
    if (targetFrozen) await target.setReadOnly!(false, { signal: input.signal });
  } catch (error) {
    if (targetFrozen) await target.setReadOnly!(false).catch(() => undefined);
    record.rollback.error = errorMessage(error);
    await save(input, record, `rollback-cutover stopped: ${record.rollback.error}`);
    throw new OrchestraError('ROLLBACK_FAILED', `rollback-cutover stopped: ${record.rollback.error}`, {
      where: 'rollback-cutover',
      fix: `Fix the cause, then run orchestra-migrate rollback-cutover again: it resumes. The source ${record.source.endpoint} is ${record.source.readOnly ? 'still read-only' : 'writable'}.`,
      cause: error,
    });
  }
  record.status = 'rolled-back';
  record.rollback.finishedAt = new Date().toISOString();
  delete record.rollback.error;
  await save(input, record, `rolled back: the endpoints name ${record.source.endpoint} again and it takes writes`);
  return record;
}

/** The source a rollback reaches must be the one cut over from (the pin in common.json keeps it so). */
function checkSameSource(input: CutoverRunInput, record: CutoverRecord): void {
  const { source } = cutoverSides(input);
  if (source.endpoint !== record.source.endpoint) {
    throw new InputError(
      `The memory source is now ${source.endpoint ?? '(none)'}, but the cutover was from ${record.source.endpoint}.`,
      {
        where: source.setting,
        fix: `Set memory.source.endpoint to ${record.source.endpoint} (in config/common.json), then run orchestra-migrate rollback-cutover again.`,
      },
    );
  }
}

async function makeWritable(source: MemoryClient, record: CutoverRecord): Promise<void> {
  if (!record.source.readOnly) return;
  await source.setReadOnly!(false);
  record.source.readOnly = false;
}

/** What changed on the cloud after the cutover's check, moved to the source (by the target's feed, else a scan). */
async function copyBack(
  input: CutoverRunInput,
  target: MemoryClient,
  source: MemoryClient,
  record: CutoverRecord,
): Promise<Delta> {
  const ctx = input.context();
  const { delta } = await syncChanges(ctx, target, source, record.target.mark, async () => undefined);
  await verifyCopy(ctx, target, source);
  return delta;
}

function describe(d: Delta): string {
  return `${d.added} new, ${d.updated} updated, ${d.deleted} deleted record(s) from the cloud`;
}
