/**
 * AlloyDB Admin API v1: https://cloud.google.com/alloydb/docs/reference/rest/v1/projects.locations.clusters
 * and .instances. Creates and deletes are long-running operations. A primary
 * instance gets a real PostgreSQL with pgvector (see alloydb-runtime.ts); its
 * operation finishes only once that database answers, as Google's does once the
 * instance serves. `ipAddress` is the loopback address it listens on; the port,
 * which AlloyDB fixes at 5432, is read from the emulator-only route
 * `GET /emulator/alloydb/{instance name}` (docs/emulator.md). Operations are read
 * on the shared '/v1/projects/p/locations/l/operations/o' route (operations.ts).
 */
import { ApiFault, alreadyExists, invalid, notFound } from '../faults';
import { commonMetadata, locationOperationName, startOperation } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import type { ResourceEntry } from '../store';
import { mustGet, nowIso, page, projectId, quotedEtag, requireId, str, uid } from './common';
import { clusterDatabase, hashPassword, removeClusterData, stopClusterDatabase } from './alloydb-runtime';

const API = 'alloydb' as const;
const TYPE = 'type.googleapis.com/google.cloud.alloydb.v1';
const CLUSTER = 'alloydb.cluster';
const INSTANCE = 'alloydb.instance';
const VERSIONS = ['POSTGRES_14', 'POSTGRES_15', 'POSTGRES_16', 'POSTGRES_17'];
const DEFAULT_VERSION = 'POSTGRES_16';
const CPU_COUNTS = [1, 2, 4, 8, 16, 32, 48, 64, 72, 96, 128];
const NETWORK = /^projects\/([^/]+)\/global\/networks\/([a-z]([-a-z0-9]{0,61}[a-z0-9])?)$/;
/** Operations stay pending until the database is up; the emulator then finishes them. */
const PENDING = Number.MAX_SAFE_INTEGER;

const locationOf = (ctx: EmuContext, req: EmuRequest) =>
  `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}`;
const clusterNameOf = (ctx: EmuContext, req: EmuRequest) => `${locationOf(ctx, req)}/clusters/${req.params.cluster}`;

function clusterView(_name: string, entry: ResourceEntry): Record<string, unknown> {
  // initialUser is input only; the users' password hashes are the emulator's own.
  const { emulatorUsers: _users, initialUser: _initial, ...body } = entry.body;
  return body;
}

function instanceView(_name: string, entry: ResourceEntry): Record<string, unknown> {
  return { ...entry.body, reconciling: entry.body.state !== 'READY' && entry.body.state !== 'FAILED' };
}

function networkOf(ctx: EmuContext, req: EmuRequest): string {
  const config = req.body.networkConfig as { network?: unknown } | undefined;
  const network = str(config?.network) ?? str(req.body.network);
  if (!network) {
    throw invalid(
      'cluster.network_config.network is required: the VPC network the cluster is reachable from, as projects/{project}/global/networks/{network}.',
      'cluster.network_config.network',
    );
  }
  const m = NETWORK.exec(network);
  if (!m) {
    throw invalid(
      `Invalid network '${network}': expected projects/{project_number}/global/networks/{network_id}.`,
      'cluster.network_config.network',
    );
  }
  const project = ctx.store.project(req.params.project);
  if (m[1] !== project.projectId && m[1] !== project.number) {
    throw invalid(`Network ${network} must belong to the cluster's project ${project.projectId}.`, 'cluster.network');
  }
  return network;
}

function initialUser(req: EmuRequest): { user: string; password: string } {
  const given = req.body.initialUser as { user?: unknown; password?: unknown } | undefined;
  const password = str(given?.password);
  if (!password) {
    throw invalid('cluster.initial_user.password is required.', 'cluster.initial_user.password');
  }
  return { user: str(given?.user) || 'postgres', password };
}

function operation(
  ctx: EmuContext,
  req: EmuRequest,
  target: string,
  verb: string,
  responseRef?: string,
  type?: string,
) {
  return startOperation(ctx, {
    name: locationOperationName(projectId(ctx, req.params.project), req.params.location),
    api: API,
    metadata: commonMetadata(`${TYPE}.OperationMetadata`, target, verb),
    ...(responseRef ? { responseRef, responseType: `${TYPE}.${type}` } : { response: {} }),
  });
}

function createCluster(req: EmuRequest, ctx: EmuContext) {
  const id = requireId(req, 'clusterId');
  const name = `${locationOf(ctx, req)}/clusters/${id}`;
  if (ctx.store.get(name)) throw alreadyExists(name);
  const network = networkOf(ctx, req);
  const user = initialUser(req);
  const databaseVersion = str(req.body.databaseVersion) ?? DEFAULT_VERSION;
  if (!VERSIONS.includes(databaseVersion)) {
    throw invalid(
      `Unsupported database_version '${databaseVersion}': one of ${VERSIONS.join(', ')}.`,
      'cluster.database_version',
    );
  }
  const now = nowIso(ctx);
  const networkConfig = { ...((req.body.networkConfig as object) ?? {}), network };
  const body: Record<string, unknown> = {
    name,
    ...(str(req.body.displayName) ? { displayName: req.body.displayName } : {}),
    ...(req.body.labels ? { labels: req.body.labels } : {}),
    uid: uid(),
    createTime: now,
    updateTime: now,
    state: 'READY',
    clusterType: 'PRIMARY',
    databaseVersion,
    networkConfig,
    network,
    etag: quotedEtag(),
    reconciling: false,
    sslConfig: { sslMode: 'ENCRYPTED_ONLY', caSource: 'CA_SOURCE_MANAGED' },
    encryptionInfo: { encryptionType: 'GOOGLE_DEFAULT_ENCRYPTION' },
    satisfiesPzs: false,
    subscriptionType: 'STANDARD',
    emulatorUsers: { [user.user]: hashPassword(user.password) },
  };
  ctx.store.put(name, { kind: CLUSTER, body });
  return ok(operation(ctx, req, name, 'create', name, 'Cluster'));
}

function instancesOf(ctx: EmuContext, cluster: string): Array<[string, ResourceEntry]> {
  return ctx.store.list(INSTANCE, `${cluster}/instances/`);
}

function createInstance(req: EmuRequest, ctx: EmuContext) {
  const cluster = clusterNameOf(ctx, req);
  mustGet(ctx, cluster);
  const id = requireId(req, 'instanceId');
  const name = `${cluster}/instances/${id}`;
  if (ctx.store.get(name)) throw alreadyExists(name);
  const instanceType = str(req.body.instanceType);
  if (instanceType !== 'PRIMARY' && instanceType !== 'READ_POOL') {
    throw invalid('instance.instance_type must be PRIMARY or READ_POOL.', 'instance.instance_type');
  }
  const primary = instancesOf(ctx, cluster).find(([, e]) => e.body.instanceType === 'PRIMARY');
  if (instanceType === 'PRIMARY' && primary) {
    throw new ApiFault('ALREADY_EXISTS', `Cluster ${cluster} already has a primary instance: ${primary[0]}.`);
  }
  if (instanceType === 'READ_POOL' && !primary) {
    throw new ApiFault(
      'FAILED_PRECONDITION',
      `Cluster ${cluster} has no primary instance: create it before a read pool.`,
    );
  }
  const machine = (req.body.machineConfig ?? {}) as { cpuCount?: unknown };
  const cpuCount = machine.cpuCount === undefined ? 2 : Number(machine.cpuCount);
  if (!CPU_COUNTS.includes(cpuCount)) {
    throw invalid(
      `Invalid machine_config.cpu_count ${String(machine.cpuCount)}: one of ${CPU_COUNTS.join(', ')}.`,
      'instance.machine_config.cpu_count',
    );
  }
  const now = nowIso(ctx);
  const body: Record<string, unknown> = {
    name,
    ...(str(req.body.displayName) ? { displayName: req.body.displayName } : {}),
    ...(req.body.labels ? { labels: req.body.labels } : {}),
    uid: uid(),
    createTime: now,
    updateTime: now,
    state: 'CREATING',
    instanceType,
    machineConfig: { cpuCount },
    availabilityType: str(req.body.availabilityType) ?? 'REGIONAL',
    databaseFlags: (req.body.databaseFlags as object) ?? {},
    ...(instanceType === 'READ_POOL' ? { readPoolConfig: req.body.readPoolConfig ?? { nodeCount: 1 } } : {}),
    ipAddress: '127.0.0.1',
    etag: quotedEtag(),
    satisfiesPzs: false,
    clientConnectionConfig: { requireConnectors: false, sslConfig: { sslMode: 'ENCRYPTED_ONLY' } },
  };
  ctx.store.put(name, { kind: INSTANCE, body });
  const op = operation(ctx, req, name, 'create', name, 'Instance');
  const entry = ctx.store.operation(String(op.name))!;
  const failed = entry.error !== undefined;
  entry.readyAt = PENDING;
  void clusterDatabase(ctx, cluster).then(
    () => settle(ctx, name, entry, failed ? 'FAILED' : 'READY'),
    (error: unknown) => {
      entry.error = { code: 13, message: `The instance's database did not start: ${String(error)}` };
      settle(ctx, name, entry, 'FAILED');
    },
  );
  return ok(op);
}

function settle(ctx: EmuContext, name: string, op: { readyAt: number }, state: string): void {
  const instance = ctx.store.get(name);
  if (instance) instance.body.state = state;
  op.readyAt = ctx.now() + ctx.faults.lroDelayMs;
  ctx.store.touch();
  ctx.store.flush();
}

function deleteInstance(req: EmuRequest, ctx: EmuContext) {
  const cluster = clusterNameOf(ctx, req);
  const name = `${cluster}/instances/${req.params.instance}`;
  const entry = mustGet(ctx, name);
  if (entry.body.instanceType === 'PRIMARY' && instancesOf(ctx, cluster).length > 1) {
    throw new ApiFault(
      'FAILED_PRECONDITION',
      `Delete the read pool instances of ${cluster} before its primary instance.`,
    );
  }
  ctx.store.delete(name);
  if (entry.body.instanceType === 'PRIMARY') void stopClusterDatabase(ctx.store, cluster);
  return ok(operation(ctx, req, name, 'delete'));
}

function deleteCluster(req: EmuRequest, ctx: EmuContext) {
  const name = clusterNameOf(ctx, req);
  const entry = mustGet(ctx, name);
  const instances = instancesOf(ctx, name);
  if (instances.length && req.query.get('force') !== 'true') {
    throw new ApiFault(
      'FAILED_PRECONDITION',
      `Cluster ${name} still has ${instances.length} instance(s): delete them first, or pass force=true.`,
    );
  }
  for (const [instance] of instances) ctx.store.delete(instance);
  ctx.store.delete(name);
  const uidOf = String(entry.body.uid);
  void stopClusterDatabase(ctx.store, name).then(() => removeClusterData(ctx, uidOf));
  return ok(operation(ctx, req, name, 'delete'));
}

function listReply(ctx: EmuContext, req: EmuRequest, field: string, items: Array<Record<string, unknown>>) {
  const { items: slice, nextPageToken } = page(items, req);
  return ok({ [field]: slice, ...(nextPageToken ? { nextPageToken } : {}), unreachable: [] });
}

/** Where the instance's PostgreSQL listens: the emulator's stand-in for AlloyDB's fixed port 5432. */
async function emulatorEndpoint(req: EmuRequest, ctx: EmuContext) {
  const name = req.params.name;
  const entry = mustGet(ctx, name);
  if (entry.kind !== INSTANCE) throw notFound(name);
  if (entry.body.state !== 'READY') {
    throw new ApiFault('FAILED_PRECONDITION', `Instance ${name} is ${String(entry.body.state)}, not READY.`);
  }
  const cluster = name.split('/instances/')[0];
  const server = await clusterDatabase(ctx, cluster);
  return ok({ instance: name, host: server.host, port: server.port, database: 'postgres' });
}

export function alloydbRoutes(): Route[] {
  const clusters = '/v1/projects/{project}/locations/{location}/clusters';
  const instances = `${clusters}/{cluster}/instances`;
  const get =
    (kind: string, nameOf: (ctx: EmuContext, req: EmuRequest) => string) => (req: EmuRequest, ctx: EmuContext) => {
      const name = nameOf(ctx, req);
      const entry = ctx.store.get(name);
      if (!entry || entry.kind !== kind) throw notFound(name);
      return ok(kind === CLUSTER ? clusterView(name, entry) : instanceView(name, entry));
    };
  return [
    { api: API, method: 'POST', template: clusters, permission: 'alloydb.clusters.create', handle: createCluster },
    {
      api: API,
      method: 'GET',
      template: clusters,
      permission: 'alloydb.clusters.list',
      handle: (req, ctx) =>
        listReply(
          ctx,
          req,
          'clusters',
          ctx.store.list(CLUSTER, `${locationOf(ctx, req)}/clusters/`).map(([n, e]) => clusterView(n, e)),
        ),
    },
    {
      api: API,
      method: 'GET',
      template: `${clusters}/{cluster}`,
      permission: 'alloydb.clusters.get',
      handle: get(CLUSTER, clusterNameOf),
    },
    {
      api: API,
      method: 'DELETE',
      template: `${clusters}/{cluster}`,
      permission: 'alloydb.clusters.delete',
      handle: deleteCluster,
    },
    { api: API, method: 'POST', template: instances, permission: 'alloydb.instances.create', handle: createInstance },
    {
      api: API,
      method: 'GET',
      template: instances,
      permission: 'alloydb.instances.list',
      handle: (req, ctx) => {
        mustGet(ctx, clusterNameOf(ctx, req));
        return listReply(
          ctx,
          req,
          'instances',
          instancesOf(ctx, clusterNameOf(ctx, req)).map(([n, e]) => instanceView(n, e)),
        );
      },
    },
    {
      api: API,
      method: 'GET',
      template: `${instances}/{instance}`,
      permission: 'alloydb.instances.get',
      handle: get(INSTANCE, (ctx, req) => `${clusterNameOf(ctx, req)}/instances/${req.params.instance}`),
    },
    {
      api: API,
      method: 'GET',
      template: `${instances}/{instance}/connectionInfo`,
      permission: 'alloydb.instances.connect',
      handle: (req, ctx) => {
        const name = `${clusterNameOf(ctx, req)}/instances/${req.params.instance}`;
        const entry = mustGet(ctx, name);
        return ok({ name: `${name}/connectionInfo`, ipAddress: entry.body.ipAddress, instanceUid: entry.body.uid });
      },
    },
    {
      api: API,
      method: 'DELETE',
      template: `${instances}/{instance}`,
      permission: 'alloydb.instances.delete',
      handle: deleteInstance,
    },
    { api: API, method: 'GET', template: '/emulator/alloydb/{name=**}', handle: emulatorEndpoint },
  ];
}

export const alloydbViews = { [CLUSTER]: clusterView, [INSTANCE]: instanceView };
