/**
 * Cutover, carried out under the run lock the engine holds once for all of it: the
 * source made read-only (where its server can), the final delta moved by the Memory
 * System phase's own copy step (a sync), both stores checked equal, then every
 * environment's endpoints switched to the cloud, in the config files and a new version
 * of Hybrid Config's secret, as one recorded step. Each stage is recorded before and
 * after it runs, so a rerun finishes a stopped cutover. A failure before the switch makes
 * the source writable again (nothing was switched: the team keeps writing where it did);
 * a failure during it leaves the source read-only and says how to finish or go back.
 * Writes are never lost: while the source is read-only it refuses them (HTTP 409).
 */
import { plannedSettings, restoreOf, writeSettings } from '../config/setting-files';
import { errorMessage, OrchestraError } from '../errors';
import type { MemoryClient } from '../memory/types';
import {
  absoluteFile,
  displayFile,
  checkCutoverReady,
  CUTOVER_STEP,
  plannedSwitches,
  unfinished,
  type CutoverInput,
} from './cutover';
import { cutoverOverrides, refuseOverrides } from './cutover-overrides';
import type { EngineEvents } from './events';
import type { ExecuteResult } from './executor';
import { verifyCopy } from './memory-verify';
import { MEMORY } from './phases/memory-system';
import { refreshSecretVersion } from './phases/hybrid-config';
import { pushHistory, type CutoverRecord } from './state';
import type { StateStore } from './store';
import type { Delta } from './memory-sync';

export interface CutoverRunInput extends CutoverInput {
  readonly store: StateStore;
  readonly events: EngineEvents;
  readonly signal: AbortSignal;
  /** Runs the Memory System phase (its copy step syncs the final delta) under the lock already held. */
  readonly finalDelta: () => Promise<ExecuteResult>;
  /** Whether Hybrid Config's secret gets a version. */
  readonly secret: boolean;
}

export interface CutoverOutcome {
  readonly record: CutoverRecord;
  /** It had been cut over before this call: nothing changed. */
  readonly alreadyDone: boolean;
}

const STAGES = 4;

function progress(input: CutoverRunInput, done: number, message: string): void {
  input.events.emit({
    type: 'step-progress',
    step: CUTOVER_STEP,
    phase: 'memory-system',
    done,
    total: STAGES,
    message,
    at: new Date().toISOString(),
  });
}

async function save(input: CutoverRunInput, record: CutoverRecord, history?: string): Promise<void> {
  await input.store.update((s) => {
    s.cutover = structuredClone(record);
    if (history)
      pushHistory(s, { at: new Date().toISOString(), type: 'cutover', phase: 'memory-system', message: history });
  });
}

export async function runCutover(input: CutoverRunInput): Promise<CutoverOutcome> {
  const previous = input.state.cutover;
  const sides = checkCutoverReady(input);
  if (previous?.status === 'done') return { record: previous, alreadyDone: true };
  const resume = unfinished(previous);
  // Before anything is touched: a switch the settings or variables above the files undo is no cutover.
  refuseOverrides(
    cutoverOverrides(input.aboveFiles, resume?.switched.length ? resume.switched : await plannedSwitches(input, sides)),
  );
  const pair = await input.deps.memory!();
  const record: CutoverRecord = {
    status: 'in-progress',
    stage: 'read-only',
    startedAt: new Date().toISOString(),
    source: { endpoint: sides.source.endpoint!, readOnlySupported: false, readOnly: resume?.source.readOnly ?? false },
    target: { endpoint: sides.target.endpoint! },
    switched: resume?.switched ?? [],
  };
  await save(input, record, `cutover started: ${record.source.endpoint} -> ${record.target.endpoint}`);
  try {
    await freezeAndCheck(input, pair, record);
  } catch (error) {
    throw await stoppedBeforeSwitch(input, pair.source, record, error);
  }
  try {
    await switchEndpoints(input, record, sides);
  } catch (error) {
    record.status = 'failed';
    record.error = errorMessage(error);
    await save(input, record, `cutover stopped while switching endpoints: ${record.error}`);
    throw new OrchestraError('CUTOVER_SWITCH_FAILED', `Cutover stopped while switching endpoints: ${record.error}`, {
      where: 'cutover (switching endpoints)',
      fix:
        `The target holds every record (checked) and the source ${record.source.endpoint} stays read-only, so no write is lost; ` +
        'some config files may already name the cloud. Fix the cause, then run orchestra-migrate cutover again to finish, or orchestra-migrate rollback-cutover to go back to the source.',
      cause: error,
    });
  }
  return { record, alreadyDone: false };
}

/** Read-only source, final delta, both stores equal. */
async function freezeAndCheck(
  input: CutoverRunInput,
  pair: { source: MemoryClient; target: MemoryClient },
  record: CutoverRecord,
): Promise<void> {
  // Recorded before it is asked: a cutover killed right after still knows the source may be read-only.
  record.source.readOnly = true;
  await save(input, record);
  const supported = (await pair.source.setReadOnly?.(true, { signal: input.signal })) ?? false;
  record.source.readOnlySupported = supported;
  record.source.readOnly = supported;
  await save(input, record, supported ? `source ${record.source.endpoint} is read-only` : undefined);
  progress(input, 1, supported ? 'source read-only: writes are refused' : 'source has no read-only mode');
  record.stage = 'final-delta';
  await save(input, record);
  const result = await input.finalDelta();
  if (result.status !== 'completed') {
    const failure = result.failures[0];
    // Plain: the cutover's own error (stoppedBeforeSwitch) says where and what to do.
    throw new Error(
      `the final delta ${result.status}${failure ? `: ${failure.step}: ${firstLine(failure.error)}` : ''}`,
    );
  }
  record.delta = lastSync(input, result);
  progress(
    input,
    2,
    `final delta moved: ${record.delta.added} new, ${record.delta.updated} updated, ${record.delta.deleted} deleted`,
  );
  const verified = await verifyCopy(input.context(), pair.source, pair.target);
  record.records = verified.sourceRecords;
  record.checksum = verified.checksum;
  const mark = await pair.target.changeMark?.({ signal: input.signal });
  if (mark) record.target.mark = mark;
  record.stage = 'verified';
  await save(input, record, `cutover checked: ${verified.sourceRecords} records on both sides, checksums equal`);
  progress(input, 3, `checked: ${verified.sourceRecords} records, checksums equal`);
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

/** What the copy step moved in this run (nothing when it had nothing to do). */
function lastSync(input: CutoverRunInput, result: ExecuteResult): Delta {
  const copy = input.store.state.outputs.memoryCopy as { lastSync?: Delta } | undefined;
  const last = MEMORY.copy in result.stepDurations ? copy?.lastSync : undefined;
  if (!last) return { added: 0, updated: 0, deleted: 0, method: 'changes' };
  return { added: last.added, updated: last.updated, deleted: last.deleted, method: last.method };
}

/** Nothing was switched: the source takes writes again, and the error says so (or how to get there). */
async function stoppedBeforeSwitch(
  input: CutoverRunInput,
  source: MemoryClient,
  record: CutoverRecord,
  error: unknown,
): Promise<OrchestraError> {
  let restored = 'The source is writable again';
  if (record.source.readOnly) {
    try {
      await source.setReadOnly!(false);
      record.source.readOnly = false;
    } catch (again) {
      restored = `The source ${record.source.endpoint} may STILL BE READ-ONLY (making it writable failed: ${errorMessage(again)}); run orchestra-migrate rollback-cutover to make it writable`;
    }
  } else if (!record.source.readOnlySupported) {
    restored = 'The source was never made read-only';
  }
  record.status = 'failed';
  record.error = errorMessage(error);
  await save(input, record, `cutover stopped at ${record.stage}: ${record.error}`);
  return new OrchestraError('CUTOVER_FAILED', `Cutover stopped at the ${record.stage} stage: ${record.error}`, {
    where: `cutover (${record.stage})`,
    fix: `${restored} and no endpoint was switched: nothing was lost. Fix the cause, then run orchestra-migrate cutover again.`,
    cause: error,
  });
}

async function switchEndpoints(
  input: CutoverRunInput,
  record: CutoverRecord,
  sides: Parameters<typeof plannedSwitches>[1],
): Promise<void> {
  // The values before are recorded before any file is touched: a resume keeps them.
  if (record.switched.length === 0) record.switched = await plannedSwitches(input, sides);
  record.stage = 'switching';
  const edits = record.switched.map((s) => ({ file: absoluteFile(input, s.file), setting: s.setting, value: s.to }));
  // What each file held is recorded before any is written, and a resume keeps the first
  // record (by then a file may hold the switch already): the rollback gives back these bytes.
  record.restore ??= (await plannedSettings(edits)).flatMap((change) => {
    const restore = restoreOf(change);
    return restore ? [{ file: displayFile(input, change.file), ...restore }] : [];
  });
  await save(input, record);
  await writeSettings(edits);
  if (input.secret) {
    const version = await refreshSecretVersion(input.context());
    if (version) record.secretVersion = version;
  }
  record.stage = 'switched';
  record.status = 'done';
  record.finishedAt = new Date().toISOString();
  delete record.error;
  await save(input, record, `cut over: every environment names ${record.target.endpoint}`);
  progress(input, 4, `endpoints switched in ${new Set(record.switched.map((s) => s.file)).size} config files`);
}
