/**
 * Cutover, planned: what `cutover` would do now, and the checks that refuse it while
 * there is nothing to cut over to (no execute, no finished copy, no deployed API, no
 * config secret). Read-only: nothing here writes a file, the state or a server.
 * cutover-run.ts carries it out, and rolls it back.
 */
import * as path from 'node:path';
import { memorySides, type MemorySide } from '../config/memory-sides';
import { missingParent, readSetting } from '../config/setting-files';
import { ENVIRONMENT_KINDS } from '../config/types';
import { errorMessage, InputError } from '../errors';
import type { MemoryClient } from '../memory/types';
import type { PhaseId } from './catalog';
import type { EngineDeps } from './context';
import { cutoverOverrides, type CutoverOverride, type AboveFilesLookup } from './cutover-overrides';
import type { CopyCheckpoint } from './memory-copy';
import { pendingDelta, type Delta } from './memory-sync';
import { MEMORY } from './phases/memory-system';
import { HYBRID, secretName } from './phases/hybrid-config';
import type { CutoverRecord, EndpointSwitch, MigrationState } from './state';
import type { Action, StepContext } from './types';

export const CUTOVER_STEP = 'memory-system/cutover';
const API_PHASE = 'api-deployment';
const HYBRID_PHASE = 'hybrid-config';
const MEMORY_PHASE = 'memory-system';

/** The cutover's own steps' context names this (it is no registered step: nothing is recorded under it). */
export const CUTOVER_ACTION: Action = {
  kind: 'action',
  id: CUTOVER_STEP,
  phase: MEMORY_PHASE,
  title: 'Cutover',
  dependsOn: [],
  permissions: [],
  plan: async () => ({ action: 'ok', reason: 'run by the cutover command' }),
  run: async () => undefined,
};

export interface CutoverInput {
  readonly deps: EngineDeps;
  readonly state: MigrationState;
  /** Where config/<env>.json live. */
  readonly configDir: string;
  readonly workspaceDir: string;
  /** A phase that is enabled and not skipped. */
  readonly active: (phase: PhaseId) => boolean;
  /** A step context for the cutover's own calls (the copy's helpers, the secret version). */
  readonly context: () => StepContext;
  /** The settings and variables above the files that set a value: they outlive the switch. */
  readonly aboveFiles?: AboveFilesLookup;
}

export interface CutoverPlan {
  readonly projectId: string;
  /** 'ready': cutover would run; 'resume': one stopped and a rerun finishes it; 'done': already cut over. */
  readonly state: 'ready' | 'resume' | 'done';
  readonly source: {
    readonly endpoint: string;
    /** Whether the source server can refuse writes; 'unknown' when it could not be asked. */
    readonly readOnly: 'supported' | 'unsupported' | 'unknown';
    readonly note: string;
  };
  readonly target: { readonly endpoint: string };
  /** What the final delta would move now (undefined when it could not be counted). */
  readonly delta?: Delta;
  /** The settings switched to the cloud, file by file (from: the value now; absent: unset). */
  readonly switches: readonly EndpointSwitch[];
  /** The Secret Manager secret that gets a version naming the cloud endpoints. */
  readonly secret?: string;
  /** Editor settings and ORCHESTRA_* variables that would keep an old endpoint live: cutover refuses while any remains. */
  readonly overrides: readonly CutoverOverride[];
  readonly notes: readonly string[];
  /** The recorded cutover, once one started. */
  readonly recorded?: CutoverRecord;
}

/** Both stores of the copy as the config resolves them (the engine's config holds this environment's memory endpoint). */
export function cutoverSides(input: Pick<CutoverInput, 'deps'>): { source: MemorySide; target: MemorySide } {
  const config = input.deps.config;
  return memorySides(config, config.memory.endpoint);
}

/** Why there is nothing to cut over to yet: an InputError naming what is missing and how to make it. */
export function checkCutoverReady(input: CutoverInput): { source: MemorySide; target: MemorySide; apiUrl?: string } {
  const { state, deps } = input;
  const project = deps.config.projectId;
  if (!state.run) {
    throw new InputError(`No migration has run for project ${project}: there is nothing to cut over to.`, {
      where: 'state',
      fix: 'Run orchestra-migrate execute first (it builds the cloud side and copies the memory); then cutover.',
    });
  }
  if (!input.active(MEMORY_PHASE)) {
    throw new InputError('The Memory System phase is skipped or disabled: cutover moves the memory to the cloud.', {
      where: 'phases.memorySystem',
      fix: 'Enable the phase (or reset it if skipped), run execute, then cutover.',
    });
  }
  const checkpoint = state.steps[MEMORY.copy]?.checkpoint as CopyCheckpoint | undefined;
  if (!checkpoint?.complete) {
    throw new InputError('The memory copy has not finished: cutover moves only the final delta after a full copy.', {
      where: MEMORY.copy,
      fix: 'Run orchestra-migrate execute (it makes the full copy, resumably); cutover after it.',
    });
  }
  const sides = cutoverSides(input);
  if (sides.target.transport === 'mcp-stdio' || !sides.target.endpoint) {
    throw new InputError('The memory target is not reached at a URL, so there is no cloud endpoint to switch to.', {
      where: sides.target.setting,
      fix: 'Set memory.target.endpoint to the cloud memory server URL.',
    });
  }
  if (sides.source.transport === 'mcp-stdio' || !sides.source.endpoint) {
    throw new InputError(
      'The memory source is not reached at a URL: cutover cannot make it read-only or name it again.',
      {
        where: sides.source.setting,
        fix: 'Cut over by hand: stop writers, run sync, then set memory.endpoint in each config/<env>.json.',
      },
    );
  }
  const apiUrl = typeof state.outputs.apiUrl === 'string' ? state.outputs.apiUrl : undefined;
  if (!apiUrl && input.active(API_PHASE)) {
    throw new InputError(
      'API Deployment has not recorded the deployed API URL: cutover switches the API endpoint to it.',
      {
        where: API_PHASE,
        fix: 'Run orchestra-migrate execute until API Deployment completes (or skip that phase to cut over the memory only).',
      },
    );
  }
  if (input.active(HYBRID_PHASE) && state.steps[HYBRID.secret]?.status !== 'done') {
    throw new InputError('Hybrid Config has not created its secret: cutover writes the switched endpoints there too.', {
      where: HYBRID.secret,
      fix: 'Run orchestra-migrate execute until Hybrid Config completes (or skip that phase).',
    });
  }
  return { ...sides, apiUrl };
}

/** The file name as people read it: relative to the workspace folder, with forward slashes. */
export function displayFile(input: Pick<CutoverInput, 'workspaceDir'>, file: string): string {
  return path.relative(input.workspaceDir, file).split(path.sep).join('/');
}

export function absoluteFile(input: Pick<CutoverInput, 'workspaceDir'>, file: string): string {
  return path.resolve(input.workspaceDir, file);
}

/**
 * Every environment's memory and API endpoint set to the cloud in its own file (the
 * environment layer wins over common.json). A source named only by memory.endpoint is
 * pinned as memory.source.endpoint first: after the switch memory.endpoint names the
 * cloud, and the copy's source, a rollback and later syncs must still reach the old server.
 */
export async function plannedSwitches(
  input: CutoverInput,
  sides: { source: MemorySide; target: MemorySide; apiUrl?: string },
): Promise<EndpointSwitch[]> {
  const wanted: { file: string; setting: string; to: string }[] = [];
  if (sides.source.setting === 'memory.endpoint') {
    wanted.push({
      file: path.join(input.configDir, 'common.json'),
      setting: 'memory.source.endpoint',
      to: sides.source.endpoint!,
    });
  }
  for (const kind of ENVIRONMENT_KINDS) {
    const file = path.join(input.configDir, `${kind}.json`);
    wanted.push({ file, setting: 'memory.endpoint', to: sides.target.endpoint! });
    if (sides.apiUrl) wanted.push({ file, setting: 'endpoints.api', to: sides.apiUrl });
  }
  const switches: EndpointSwitch[] = [];
  for (const w of wanted) {
    const from = await readSetting(w.file, w.setting);
    const entry: EndpointSwitch = { file: displayFile(input, w.file), setting: w.setting, to: w.to };
    if (from !== undefined) entry.from = from;
    else {
      const created = await missingParent(w.file, w.setting);
      if (created !== undefined) entry.created = created;
    }
    switches.push(entry);
  }
  return switches;
}

/** A cutover that stopped part-way: its switches' recorded `from` values are the ones to keep. */
export function unfinished(record: CutoverRecord | undefined): CutoverRecord | undefined {
  return record && (record.status === 'in-progress' || record.status === 'failed') ? record : undefined;
}

async function readOnlySupport(source: MemoryClient | undefined): Promise<CutoverPlan['source']['readOnly']> {
  if (!source?.readOnlyMode) return 'unsupported';
  try {
    return (await source.readOnlyMode()) === undefined ? 'unsupported' : 'supported';
  } catch {
    return 'unknown';
  }
}

const READ_ONLY_NOTES: Record<CutoverPlan['source']['readOnly'], string> = {
  supported: 'made read-only for the cutover: writes are refused (HTTP 409), none is lost',
  unsupported:
    'this server has no read-only mode: stop every writer yourself before the cutover, or writes made during it stay on the source only',
  unknown: 'could not be asked whether it has a read-only mode (it did not answer); cutover will try',
};

/** Read-only: what cutover would do now; throws an InputError while there is nothing to cut over to. */
export async function planCutover(input: CutoverInput): Promise<CutoverPlan> {
  const recorded = input.state.cutover;
  const projectId = input.deps.config.projectId;
  const sides = checkCutoverReady(input);
  if (recorded?.status === 'done') {
    return {
      projectId,
      state: 'done',
      source: {
        endpoint: recorded.source.endpoint,
        readOnly: recorded.source.readOnlySupported ? 'supported' : 'unsupported',
        note: recorded.source.readOnly ? `read-only since the cutover at ${recorded.finishedAt}` : 'writable',
      },
      target: { endpoint: recorded.target.endpoint },
      switches: recorded.switched,
      overrides: [],
      notes: [
        `Already cut over at ${recorded.finishedAt}: nothing to do (orchestra-migrate rollback-cutover goes back).`,
      ],
      recorded,
    };
  }
  const notes: string[] = [];
  let pair: { source: MemoryClient; target: MemoryClient } | undefined;
  let delta: Delta | undefined;
  try {
    pair = await input.deps.memory?.();
    const checkpoint = input.state.steps[MEMORY.copy]?.checkpoint as CopyCheckpoint | undefined;
    if (pair) delta = await pendingDelta(input.context(), pair.source, pair.target, checkpoint?.mark);
  } catch (error) {
    notes.push(`The final delta could not be counted now: ${errorMessage(error)}`);
  }
  const readOnly = await readOnlySupport(pair?.source);
  const resume = unfinished(recorded);
  const switches = resume?.switched.length ? resume.switched : await plannedSwitches(input, sides);
  const secret = input.active(HYBRID_PHASE) ? secretName(input.context()) : undefined;
  if (!secret) notes.push('Hybrid Config is skipped or disabled: no Secret Manager version is written.');
  if (!sides.apiUrl) notes.push('No deployed API URL is recorded: endpoints.api stays as it is.');
  if (resume)
    notes.push(
      `A cutover started ${resume.startedAt} stopped (${resume.error?.split('\n')[0] ?? resume.stage}): this run finishes it.`,
    );
  return {
    projectId,
    state: resume ? 'resume' : 'ready',
    source: { endpoint: sides.source.endpoint!, readOnly, note: READ_ONLY_NOTES[readOnly] },
    target: { endpoint: sides.target.endpoint! },
    ...(delta ? { delta } : {}),
    switches,
    ...(secret ? { secret } : {}),
    overrides: cutoverOverrides(input.aboveFiles, switches),
    notes,
    ...(recorded ? { recorded } : {}),
  };
}
