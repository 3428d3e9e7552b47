/**
 * Phase 3: the Firestore database (native mode) the cloud memory server stores in,
 * then the copy of every memory record from the source server to the target; with
 * `vectorStore.enabled`, the AlloyDB vector store too (vector-store.ts).
 */
import { phaseInfo } from '../catalog';
import { copyMemory, type CopyCheckpoint } from '../memory-copy';
import { getResource, requestAndWait } from '../ops';
import type { Action, FieldDiff, PhaseDefinition, Resource, StepContext } from '../types';
import { CORE } from './core-infrastructure';
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
  dependsOn: [CORE.services],
  permissions: ['datastore.databases.get', 'datastore.databases.create'],
  describe: (ctx) => `Firestore database ${databaseName(ctx)}`,
  read: (ctx) => getResource(ctx, 'firestore', `/v1/${databaseName(ctx)}`),
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
  once: true,
  async plan(_ctx, recorded) {
    if (recorded?.status === 'done') return { action: 'ok', reason: 'copied and verified' };
    const checkpoint = recorded?.checkpoint as CopyCheckpoint | undefined;
    if (checkpoint?.copied)
      return { action: 'run', reason: `resume after ${checkpoint.copied} records (page ${checkpoint.pages})` };
    return { action: 'run', reason: 'copy every record from the source memory server, then compare checksums' };
  },
  async run(ctx) {
    const { source, target } = await ctx.memory();
    const report = await copyMemory(ctx, source, target, { batchSize: ctx.config.phases.memorySystem.batchSize });
    await ctx.setOutput('memoryCopy', {
      records: report.sourceRecords,
      checksum: report.checksum,
      resumedFrom: report.resumedFrom ?? null,
    });
  },
};

export const memorySystemPhase: PhaseDefinition = {
  info: phaseInfo(phase)!,
  steps: (config) => [database, copy, ...vectorStoreSteps(config.phases.memorySystem.vectorStore?.enabled ?? false)],
};
