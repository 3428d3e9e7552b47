/**
 * The Memory System's vector store, as the origin project had it: AlloyDB for
 * PostgreSQL (cluster, primary instance) with pgvector, its database password
 * generated once and kept in Secret Manager, and the schema applied over `pg`.
 * Planned by verify like every other resource; the schema is read from the
 * database's catalog, and a dimension change is a blocked plan, never a drop.
 */
import { randomBytes } from 'node:crypto';
import {
  applySchema,
  blockedReason,
  indexChoice,
  readSchema,
  schemaChanges,
  type SchemaLive,
} from '../../vector/schema';
import { OrchestraError } from '../../errors';
import { isServiceDisabled } from '../gcp-errors';
import { deleteResource, getResource, requestAndWait, servicesResource } from '../ops';
import type { Action, FieldDiff, Resource, Step, StepContext } from '../types';
import { copyVectors, VECTOR_COPY_STEP, type VectorCopyCheckpoint } from '../vector/copy-vectors';
import {
  clusterName,
  connectVectorStore,
  instanceName,
  passwordSecretName,
  readPassword,
  requireVectorStore,
  vectorConfig,
  type InstanceLive,
} from '../vector/connection';

const phase = 'memory-system' as const;

export const VECTOR = {
  apis: 'memory-system/vector-apis',
  password: 'memory-system/alloydb-password',
  cluster: 'memory-system/alloydb-cluster',
  instance: 'memory-system/alloydb-instance',
  schema: 'memory-system/vector-schema',
  copy: VECTOR_COPY_STEP,
} as const;

const apis = servicesResource({
  id: VECTOR.apis,
  phase,
  title: 'AlloyDB and Vertex AI APIs',
  services: (ctx) => [
    'alloydb.googleapis.com',
    'secretmanager.googleapis.com',
    ...(vectorConfig(ctx).embeddingModel ? ['aiplatform.googleapis.com'] : []),
  ],
});

interface PasswordLive {
  name: string;
  /** Whether a version holds a password (its value is never part of the live state). */
  hasVersion: boolean;
}

/** 32 random bytes: AlloyDB accepts any printable password; base64url needs no quoting anywhere. */
const newPassword = () => randomBytes(32).toString('base64url');

async function addPasswordVersion(ctx: StepContext): Promise<PasswordLive> {
  await ctx.gcp.request({
    api: 'secretmanager',
    method: 'POST',
    path: `/v1/${passwordSecretName(ctx)}:addVersion`,
    body: { payload: { data: Buffer.from(newPassword(), 'utf8').toString('base64') } },
    signal: ctx.signal,
  });
  return { name: passwordSecretName(ctx), hasVersion: true };
}

const password: Resource<PasswordLive> = {
  kind: 'resource',
  id: VECTOR.password,
  phase,
  title: 'AlloyDB password (Secret Manager)',
  dependsOn: [VECTOR.apis],
  permissions: ['secretmanager.secrets.get', 'secretmanager.secrets.create', 'secretmanager.versions.add'],
  describe: (ctx) => `secret ${passwordSecretName(ctx)} (the database password, generated once)`,
  // Deleted after the cluster it opens (which depends on it); kept while the cluster stays.
  destroy: (ctx) => deleteResource(ctx, 'secretmanager', `/v1/${passwordSecretName(ctx)}`),
  async read(ctx) {
    const secret = await getResource<{ name: string }>(ctx, 'secretmanager', `/v1/${passwordSecretName(ctx)}`);
    if (!secret) return undefined;
    return { name: secret.name, hasVersion: (await readPassword(ctx)) !== undefined };
  },
  async create(ctx) {
    await ctx.gcp.request({
      api: 'secretmanager',
      method: 'POST',
      path: `/v1/projects/${ctx.config.projectId}/secrets`,
      query: { secretId: vectorConfig(ctx).passwordSecretId },
      body: { replication: { automatic: {} }, labels: { 'managed-by': 'orchestra-migrate' } },
      createWithId: { readBackPath: `/v1/${passwordSecretName(ctx)}` },
      signal: ctx.signal,
    });
    return addPasswordVersion(ctx);
  },
  // A secret without a usable version (a run stopped between the two calls) gets one; an existing one is kept.
  diff: (_ctx, live): FieldDiff[] =>
    live.hasVersion ? [] : [{ field: 'password version', live: 'none', desired: 'generated' }],
  update: (ctx) => addPasswordVersion(ctx),
};

function networkPath(ctx: StepContext): string {
  const network = vectorConfig(ctx).network;
  return network.startsWith('projects/') ? network : `projects/${ctx.config.projectId}/global/networks/${network}`;
}

interface ClusterLive {
  name: string;
  state?: string;
  networkConfig?: { network?: string };
}

const cluster: Resource<ClusterLive> = {
  kind: 'resource',
  id: VECTOR.cluster,
  phase,
  title: 'AlloyDB cluster',
  dependsOn: [VECTOR.password],
  permissions: ['alloydb.clusters.get', 'alloydb.clusters.create'],
  describe: (ctx) => `AlloyDB cluster ${clusterName(ctx)} on network ${networkPath(ctx)}`,
  read: (ctx) => getResource(ctx, 'alloydb', `/v1/${clusterName(ctx)}`),
  // Its databases hold the vectors: deleted only with --include-data, after its instance.
  destroy: (ctx) => deleteResource(ctx, 'alloydb', `/v1/${clusterName(ctx)}`),
  holdsData: () => true,
  async create(ctx) {
    const secret = await readPassword(ctx);
    return requestAndWait<ClusterLive>(ctx, {
      api: 'alloydb',
      method: 'POST',
      path: `/v1/projects/${ctx.config.projectId}/locations/${ctx.config.location}/clusters`,
      query: { clusterId: vectorConfig(ctx).clusterId },
      body: {
        networkConfig: { network: networkPath(ctx) },
        initialUser: { user: vectorConfig(ctx).user, password: secret },
        labels: { 'managed-by': 'orchestra-migrate' },
      },
      createWithId: { readBackPath: `/v1/${clusterName(ctx)}`, lro: true },
    });
  },
  // The network of a cluster cannot change: the diff tells the user, execute leaves it.
  diff: (ctx, live): FieldDiff[] => {
    const network = live.networkConfig?.network;
    const wanted = networkPath(ctx);
    const same = !network || network === wanted || network.split('/').pop() === wanted.split('/').pop();
    return same ? [] : [{ field: 'networkConfig.network', live: network, desired: wanted }];
  },
  ready: (live) => live.state === undefined || live.state === 'READY',
};

const instance: Resource<InstanceLive> = {
  kind: 'resource',
  id: VECTOR.instance,
  phase,
  title: 'AlloyDB primary instance',
  dependsOn: [VECTOR.cluster],
  permissions: ['alloydb.instances.get', 'alloydb.instances.create'],
  describe: (ctx) => `AlloyDB primary instance ${instanceName(ctx)} (${vectorConfig(ctx).cpuCount} vCPU)`,
  async read(ctx) {
    const live = await getResource<InstanceLive>(ctx, 'alloydb', `/v1/${instanceName(ctx)}`);
    // A failed instance never becomes ready: say so now rather than wait out the deadline.
    if (live?.state === 'FAILED') {
      throw new OrchestraError('INSTANCE_FAILED', `${instanceName(ctx)} is FAILED.`, {
        where: VECTOR.instance,
        fix: 'Look at the instance in the Cloud console (or the emulator log); delete it, then run execute again.',
      });
    }
    return live;
  },
  destroy: (ctx) => deleteResource(ctx, 'alloydb', `/v1/${instanceName(ctx)}`),
  // The vector store's database is served by it.
  holdsData: () => true,
  create: (ctx) =>
    requestAndWait<InstanceLive>(ctx, {
      api: 'alloydb',
      method: 'POST',
      path: `/v1/${clusterName(ctx)}/instances`,
      query: { instanceId: vectorConfig(ctx).instanceId },
      body: {
        instanceType: 'PRIMARY',
        machineConfig: { cpuCount: vectorConfig(ctx).cpuCount },
        labels: { 'managed-by': 'orchestra-migrate' },
      },
      createWithId: { readBackPath: `/v1/${instanceName(ctx)}`, lro: true },
    }),
  ready: (live) => live.state === 'READY',
};

const desired = (ctx: StepContext) => ({ dimension: vectorConfig(ctx).dimension, index: vectorConfig(ctx).index });

const schema: Resource<SchemaLive> = {
  kind: 'resource',
  id: VECTOR.schema,
  phase,
  title: 'Vector schema (pgvector)',
  dependsOn: [VECTOR.instance],
  permissions: [],
  kept: 'tables in the AlloyDB database: they go with the cluster (--include-data)',
  describe: (ctx) =>
    `table memory_vectors (embedding vector(${vectorConfig(ctx).dimension})) with a ${indexChoice(desired(ctx))}, a GIN metadata index and vector_search() in ${vectorConfig(ctx).database} on ${instanceName(ctx)}`,
  async read(ctx) {
    let store;
    try {
      store = await connectVectorStore(ctx);
    } catch (error) {
      // Before phase 3's APIs are enabled nothing exists to read: plan a create.
      if (isServiceDisabled(error)) return undefined;
      throw error;
    }
    if (!store) return undefined;
    const live = await readSchema(store);
    // Nothing of ours in the database yet: the schema is to be created, not updated.
    return live.extension || live.embeddingType ? live : undefined;
  },
  async create(ctx) {
    const store = await requireVectorStore(ctx, VECTOR.schema);
    await applySchema(store, desired(ctx));
    return readSchema(store);
  },
  diff: (ctx, live): FieldDiff[] => schemaChanges(live, desired(ctx)),
  blocked: (ctx, live) => blockedReason(live, desired(ctx)),
  async update(ctx) {
    const store = await requireVectorStore(ctx, VECTOR.schema);
    await applySchema(store, desired(ctx));
    return readSchema(store);
  },
};

const copy: Action = {
  kind: 'action',
  id: VECTOR.copy,
  phase,
  title: 'Copy embeddings into memory_vectors',
  dependsOn: [VECTOR.schema],
  permissions: [],
  once: true,
  async plan(ctx, recorded) {
    if (recorded?.status === 'done') return { action: 'ok', reason: 'copied and verified' };
    const checkpoint = recorded?.checkpoint as VectorCopyCheckpoint | undefined;
    if (checkpoint?.pages)
      return { action: 'run', reason: `resume after ${checkpoint.copied} vectors (page ${checkpoint.pages})` };
    const model = vectorConfig(ctx).embeddingModel;
    return {
      action: 'run',
      reason: `copy the records' embeddings byte-exact, ${model ? `embed the others with Vertex AI ${model}` : 'skip records without one (no embeddingModel)'}, then compare checksums`,
    };
  },
  async run(ctx) {
    const report = await copyVectors(ctx);
    await ctx.setOutput('vectorCopy', {
      rows: report.rows,
      copied: report.copied,
      embedded: report.embedded,
      skipped: report.skipped,
      checksum: report.checksum,
    });
  },
};

/** The vector store's steps, when the configuration enables it. */
export function vectorStoreSteps(enabled: boolean): Step[] {
  return enabled ? [apis, password, cluster, instance, schema, copy] : [];
}
