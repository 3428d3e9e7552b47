/**
 * Phase 3: the Firestore database (native mode) the cloud memory server stores in,
 * then the copy of every memory record from the source server to the target (each
 * execute after the first syncs what changed on the source since); with
 * `vectorStore.enabled`, the AlloyDB vector store too (vector-store.ts).
 */
import { describeSide, memorySides, SAME_STORE_FIX, sameStoreReason, type MemorySide } from '../../config/memory-sides';
import type { OrchestraConfig } from '../../config/types';
import { errorMessage, InputError } from '../../errors';
import type { MemoryClient } from '../../memory/types';
import { copyMemory, type CopyCheckpoint } from '../memory-copy';
import { deltaSize, describeDelta, pendingDelta, type Delta } from '../memory-sync';
import { deleteResource, getResource, requestAndWait, SERVICES } from '../ops';
import type { Action, ActionPlan, FieldDiff, PhaseDefinition, Resource, StepContext } from '../types';
import { vectorStoreSteps } from './vector-store';

const phase = 'memory-system' as const;

export const MEMORY = {
  database: 'memory-system/firestore-database',
  copy: 'memory-system/copy',
} as const;

const databaseName = (ctx: StepContext) =>
  `projects/${ctx.config.projectId}/databases/${ctx.config.phases.memorySystem.databaseId}`;

interface Database {
  name: string;
  type?: string;
  locationId?: string;
}

const database: Resource<Database> = {
  kind: 'resource',
  id: MEMORY.database,
  phase,
  title: 'Firestore database',
  dependsOn: [],
  apis: [SERVICES.firestore],
  permissions: ['datastore.databases.get', 'datastore.databases.create'],
  describe: (ctx) => `Firestore database ${databaseName(ctx)}`,
  read: (ctx) => getResource(ctx, 'firestore', `/v1/${databaseName(ctx)}`),
  destroy: (ctx) => deleteResource(ctx, 'firestore', `/v1/${databaseName(ctx)}`),
  holdsData: () => true,
  create: (ctx) =>
    requestAndWait<Database>(ctx, {
      api: 'firestore',
      method: 'POST',
      path: `/v1/projects/${ctx.config.projectId}/databases`,
      query: { databaseId: ctx.config.phases.memorySystem.databaseId },
      body: { type: 'FIRESTORE_NATIVE', locationId: ctx.config.location },
      createWithId: { readBackPath: `/v1/${databaseName(ctx)}`, lro: true },
    }),
  // The type cannot be changed in place: the diff tells the user, execute does not touch it.
  diff: (_ctx, live): FieldDiff[] =>
    live.type && live.type !== 'FIRESTORE_NATIVE'
      ? [{ field: 'type', live: live.type, desired: 'FIRESTORE_NATIVE' }]
      : [],
};

const copy: Action = {
  kind: 'action',
  id: MEMORY.copy,
  phase,
  title: 'Copy memory records',
  dependsOn: [MEMORY.database],
  permissions: [],
  refusal: (config, workspaceDir) => {
    const same = sameStoreReason(...sidesOf(config), workspaceDir);
    return same ? sameStoreError(same) : undefined;
  },
  // Two addresses of one store, which the config cannot show: asked of the stores before the
  // run, so it is bad input (exit 2) with no step run, not a copy failing after other phases
  // changed the cloud. A store that does not answer within the bound is left to the copy.
  async refusalBeforeRun(ctx) {
    const pair = await ctx.memory().catch(() => undefined);
    if (!pair) return undefined;
    const bounded = AbortSignal.any([ctx.signal, AbortSignal.timeout(ONE_STORE_CHECK_MS)]);
    const one = await oneStoreReason(ctx.config, pair.source, pair.target, bounded);
    return one ? sameStoreError(one) : undefined;
  },
  async plan(ctx, recorded) {
    const same = sameStore(ctx);
    if (same) return { action: 'blocked', reason: `${same}. ${SAME_STORE_FIX}` };
    const checkpoint = recorded?.checkpoint as CopyCheckpoint | undefined;
    if (!checkpoint?.complete) {
      if (checkpoint?.copied)
        return { action: 'run', reason: `resume after ${checkpoint.copied} records (page ${checkpoint.pages})` };
      return { action: 'run', reason: 'copy every record from the source memory server, then compare checksums' };
    }
    return planSync(ctx, checkpoint);
  },
  async run(ctx) {
    const same = sameStore(ctx);
    if (same) throw sameStoreError(same);
    const { source, target } = await ctx.memory();
    // Again before writing: the check before the run leaves a store it could not reach to here.
    const one = await oneStoreReason(ctx.config, source, target, ctx.signal);
    if (one) throw sameStoreError(one);
    const report = await copyMemory(ctx, source, target, { batchSize: ctx.config.phases.memorySystem.batchSize });
    const synced = deltaSize(report.synced);
    await ctx.setOutput('memoryCopy', {
      records: report.sourceRecords,
      checksum: report.checksum,
      checksumVerdict: 'match',
      resumedFrom: report.resumedFrom ?? null,
      copiedThisRun: report.copied,
      copyMs: report.copyMs,
      recordsPerSecond: report.recordsPerSecond,
      lastSync: { ...report.synced, at: new Date().toISOString() },
    });
    return report.copied === 0 && synced === 0 ? 'none' : undefined;
  },
};

const sidesOf = (config: OrchestraConfig) => {
  const { source, target } = memorySides(config);
  return [source, target] as const;
};

/** Why source and target are one store, from the config alone (no client opened, no child started). */
function sameStore(ctx: StepContext): string | undefined {
  return sameStoreReason(...sidesOf(ctx.config), ctx.workspaceDir);
}

/**
 * Why two differently named stores are one all the same (a host's two names, a proxy in
 * front of the source): both report the same change sequence, whose epoch names one store's
 * numbering (docs/memory-api.md). Only stores with the changes feed can say; one that cannot
 * be asked now is left to the copy, which reports its outage itself.
 */
async function oneStoreReason(
  config: OrchestraConfig,
  source: MemoryClient,
  target: MemoryClient,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const mark = async (client: MemoryClient) => client.changeMark?.({ signal }).catch(() => undefined);
  const [a, b] = await Promise.all([mark(source), mark(target)]);
  if (!a || !b || a.epoch !== b.epoch) return undefined;
  // The config's own names where it has them (the source may come from the environment's
  // memory endpoint, which this step does not resolve): never a made-up address.
  const [from, to] = sidesOf(config);
  const named = (side: MemorySide, role: string) =>
    side.transport === 'mcp-stdio' || side.endpoint ? `${side.setting} (${describeSide(side)})` : `the ${role}`;
  return `the source and target are one store: ${named(from, 'source')} and ${named(to, 'target')} report one change sequence (epoch ${a.epoch}), so they reach one server under two addresses; a copy onto itself would verify while moving nothing`;
}

/** How long the check before a run waits for the stores' change marks. */
const ONE_STORE_CHECK_MS = 3000;

/** Bad input (exit 2): the config names one store twice; the fix is in the config. */
function sameStoreError(reason: string): InputError {
  return new SameStoreError(`The memory copy is refused: ${reason}.`, { where: MEMORY.copy, fix: SAME_STORE_FIX });
}

class SameStoreError extends InputError {
  override readonly code = 'MEMORY_SAME_STORE';
}

/** After the first full copy: what has changed on the source since the last sync, in counts. */
async function planSync(ctx: StepContext, checkpoint: CopyCheckpoint): Promise<ActionPlan> {
  let delta: Delta;
  try {
    const { source, target } = await ctx.memory();
    const one = await oneStoreReason(ctx.config, source, target, ctx.signal);
    if (one) return { action: 'blocked', reason: `${one}. ${SAME_STORE_FIX}` };
    delta = await pendingDelta(ctx, source, target, checkpoint.mark);
  } catch (error) {
    return { action: 'run', reason: `cannot tell what changed on the source: ${errorMessage(error)}` };
  }
  if (deltaSize(delta) === 0)
    return { action: 'ok', reason: `in sync: no change on the source since the last sync (${describeDelta(delta)})` };
  return { action: 'run', reason: `sync ${deltaSize(delta)} changed records: ${describeDelta(delta)}`, delta };
}

export const memorySystemPhase: PhaseDefinition = {
  info: {
    id: phase,
    configKey: 'memorySystem',
    title: 'Memory System',
    description:
      'Create the Firestore database, then copy every memory record from the source memory server to the target with checkpoints and checksums.',
    order: 3,
  },
  steps: (config) => [database, copy, ...vectorStoreSteps(config.phases.memorySystem.vectorStore?.enabled ?? false)],
};
