/**
 * How the migration reaches the vector store: the AlloyDB instance's private
 * address and port 5432 on Google Cloud; `vectorStore.connect` when the user set
 * one (an AlloyDB Auth Proxy); the emulator's port lookup in a rehearsal. The
 * password comes from Secret Manager at the moment of connecting and lives only
 * in the connection pool's memory.
 */
import type { VectorStoreConfig } from '../../config/types';
import { OrchestraError } from '../../errors';
import type * as VectorStoreModule from '../../vector/store';
import type { VectorStore } from '../../vector/store';
import { getResource } from '../ops';
import type { StepContext } from '../types';

export const ALLOYDB_PORT = 5432;

export const vectorConfig = (ctx: StepContext): VectorStoreConfig => ctx.config.phases.memorySystem.vectorStore;

export const clusterName = (ctx: StepContext) =>
  `projects/${ctx.config.projectId}/locations/${ctx.config.location}/clusters/${vectorConfig(ctx).clusterId}`;
export const instanceName = (ctx: StepContext) => `${clusterName(ctx)}/instances/${vectorConfig(ctx).instanceId}`;
export const passwordSecretName = (ctx: StepContext) =>
  `projects/${ctx.config.projectId}/secrets/${vectorConfig(ctx).passwordSecretId}`;

export interface InstanceLive {
  name: string;
  state?: string;
  ipAddress?: string;
  instanceType?: string;
}

/** The password, or undefined while its secret has no version. Never logged, never stored. */
export async function readPassword(ctx: StepContext): Promise<string | undefined> {
  try {
    const latest = await getResource<{ payload?: { data?: string } }>(
      ctx,
      'secretmanager',
      `/v1/${passwordSecretName(ctx)}/versions/latest:access`,
    );
    return latest?.payload?.data ? Buffer.from(latest.payload.data, 'base64').toString('utf8') : undefined;
  } catch (error) {
    // A secret whose versions are all disabled answers FAILED_PRECONDITION: no usable password.
    if ((error as { status?: string }).status === 'FAILED_PRECONDITION') return undefined;
    throw error;
  }
}

async function endpointOf(ctx: StepContext, instance: InstanceLive): Promise<{ host: string; port: number }> {
  const connect = vectorConfig(ctx).connect;
  if (connect) {
    const at = connect.lastIndexOf(':');
    return { host: connect.slice(0, at), port: Number(connect.slice(at + 1)) };
  }
  if (ctx.config.gcp.emulator) {
    // The emulator cannot listen on 5432 for every instance: it says where it listens (docs/emulator.md).
    return ctx.gcp.request<{ host: string; port: number }>({
      api: 'alloydb',
      method: 'GET',
      path: `/emulator/alloydb/${instance.name}`,
      signal: ctx.signal,
    });
  }
  if (!instance.ipAddress) {
    throw new OrchestraError('NO_ADDRESS', `${instance.name} has no private IP address yet.`, {
      where: 'memory-system/alloydb-instance',
      fix: 'Wait until the instance is READY, then run execute again.',
    });
  }
  return { host: instance.ipAddress, port: ALLOYDB_PORT };
}

/**
 * The vector store of this migration, or undefined while the instance or the
 * password does not exist yet (verify then plans the schema as a create).
 */
export async function connectVectorStore(ctx: StepContext): Promise<VectorStore | undefined> {
  const instance = await getResource<InstanceLive>(ctx, 'alloydb', `/v1/${instanceName(ctx)}`);
  if (!instance || instance.state !== 'READY') return undefined;
  const password = await readPassword(ctx);
  if (password === undefined) return undefined;
  const { host, port } = await endpointOf(ctx, instance);
  const config = vectorConfig(ctx);
  // Imported on first connection: listing the phases (status, the tree) must not load the pg bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require() keeps the chunk unloaded until here
  const { openVectorStore } = require('../../vector/store') as typeof VectorStoreModule;
  return openVectorStore({ host, port, database: config.database, user: config.user, password });
}

export async function requireVectorStore(ctx: StepContext, where: string): Promise<VectorStore> {
  const store = await connectVectorStore(ctx);
  if (!store) {
    throw new OrchestraError('NO_VECTOR_STORE', `${instanceName(ctx)} is not ready or its password is missing.`, {
      where,
      fix: 'Run the Memory System phase (its AlloyDB steps) first.',
    });
  }
  return store;
}
