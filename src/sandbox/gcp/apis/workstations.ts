/**
 * Cloud Workstations v1: https://cloud.google.com/workstations/docs/reference/rest/v1/projects.locations.workstationClusters
 * (and .workstationConfigs, .workstationConfigs.workstations). A child needs its
 * parent: creating a config in a missing cluster is 404 NOT_FOUND, as on Google.
 */
import { createHash } from 'node:crypto';
import { alreadyExists, ApiFault, invalid, notFound } from '../faults';
import { commonMetadata, locationOperationName, startOperation } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import type { ResourceEntry } from '../store';
import { listOf, nowIso, page, projectId, quotedEtag, requireId, uid, view } from './common';

const API = 'workstations' as const;
const TYPE = 'type.googleapis.com/google.cloud.workstations.v1';

interface Level {
  kind: string;
  collection: string;
  idParam: string;
  type: string;
  listField: string;
  /** Path parameters naming the parent below the location. */
  parentParams: string[];
  permission: string;
  defaults(name: string, body: Record<string, unknown>, ctx: EmuContext): Record<string, unknown>;
}

function clusterHostname(clusterName: string): string {
  return `cluster-${createHash('sha256').update(clusterName).digest('hex').slice(0, 24)}.cloudworkstations.dev`;
}

const LEVELS: Level[] = [
  {
    kind: 'workstations.cluster',
    collection: 'workstationClusters',
    idParam: 'workstationClusterId',
    type: 'WorkstationCluster',
    listField: 'workstationClusters',
    parentParams: [],
    permission: 'workstations.workstationClusters',
    defaults: (name, body) => {
      const project = name.split('/')[1];
      return {
        network: body.network ?? `projects/${project}/global/networks/default`,
        subnetwork: body.subnetwork ?? `projects/${project}/regions/${name.split('/')[3]}/subnetworks/default`,
        controlPlaneIp: '10.128.0.2',
        privateClusterConfig: {
          clusterHostname: clusterHostname(name),
          ...((body.privateClusterConfig as object) ?? {}),
        },
        degraded: false,
      };
    },
  },
  {
    kind: 'workstations.config',
    collection: 'workstationConfigs',
    idParam: 'workstationConfigId',
    type: 'WorkstationConfig',
    listField: 'workstationConfigs',
    parentParams: ['cluster'],
    permission: 'workstations.workstationConfigs',
    defaults: (_name, body) => {
      const host = (body.host as { gceInstance?: Record<string, unknown> } | undefined)?.gceInstance ?? {};
      return {
        idleTimeout: body.idleTimeout ?? '1200s',
        runningTimeout: body.runningTimeout ?? '43200s',
        host: { gceInstance: { machineType: 'e2-standard-4', poolSize: 0, bootDiskSizeGb: 50, ...host } },
        container: (body.container as object) ?? {
          image: 'us-central1-docker.pkg.dev/cloud-workstations-images/predefined/code-oss:latest',
        },
        persistentDirectories: body.persistentDirectories ?? [
          {
            mountPath: '/home',
            gcePd: { sizeGb: 200, fsType: 'ext4', diskType: 'pd-standard', reclaimPolicy: 'DELETE' },
          },
        ],
        degraded: false,
      };
    },
  },
  {
    kind: 'workstations.workstation',
    collection: 'workstations',
    idParam: 'workstationId',
    type: 'Workstation',
    listField: 'workstations',
    parentParams: ['cluster', 'config'],
    permission: 'workstations.workstations',
    defaults: (name) => {
      const clusterName = name.split('/').slice(0, 6).join('/');
      return { state: 'STATE_STOPPED', host: `${name.split('/').pop()}.${clusterHostname(clusterName)}` };
    },
  },
];

function parentName(ctx: EmuContext, req: EmuRequest, level: Level): string {
  let name = `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}`;
  level.parentParams.forEach((param, i) => (name += `/${LEVELS[i].collection}/${req.params[param]}`));
  return name;
}

function template(level: Level): string {
  let path = '/v1/projects/{project}/locations/{location}';
  level.parentParams.forEach((param, i) => (path += `/${LEVELS[i].collection}/{${param}}`));
  return `${path}/${level.collection}`;
}

/**
 * `reconciling` while the operation runs; after a failed one, clusters and configs show
 * Google's failed state: `degraded: true` and the error in `conditions` (google.rpc.Status).
 */
function reconcilingView(name: string, entry: ResourceEntry, ctx: EmuContext): Record<string, unknown> {
  const reconciling = entry.readyAt !== undefined && ctx.now() < entry.readyAt;
  const failed = !reconciling && entry.failure && entry.kind !== 'workstations.workstation';
  return {
    ...entry.body,
    reconciling,
    ...(failed ? { degraded: true, conditions: [{ code: entry.failure!.code, message: entry.failure!.message }] } : {}),
  };
}

/** A project's networks, as a new project has them: the auto-mode 'default' network and its subnetworks. */
function checkNetwork(project: ProjectRef, location: string, body: Record<string, unknown>): void {
  const tail = (value: unknown) =>
    String(value).replace(/^https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\//, '');
  const ours = (p: string) => p === project.projectId || p === project.number;
  if (body.network !== undefined) {
    const m = /^projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(tail(body.network));
    if (!m || !ours(m[1]) || m[2] !== 'default') {
      throw invalid(
        `Network '${String(body.network)}' does not exist in project ${project.projectId}: give projects/${project.projectId}/global/networks/NETWORK of an existing VPC network.`,
        'workstation_cluster.network',
      );
    }
  }
  if (body.subnetwork !== undefined) {
    const m = /^projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(tail(body.subnetwork));
    if (!m || !ours(m[1]) || m[2] !== location || m[3] !== 'default') {
      throw invalid(
        `Subnetwork '${String(body.subnetwork)}' does not exist in project ${project.projectId} region ${location}: give projects/${project.projectId}/regions/${location}/subnetworks/SUBNET of an existing subnetwork of the cluster's network.`,
        'workstation_cluster.subnetwork',
      );
    }
  }
}

interface ProjectRef {
  projectId: string;
  number: string;
}

function create(level: Level) {
  return (req: EmuRequest, ctx: EmuContext) => {
    const parent = parentName(ctx, req, level);
    // Google checks the parent before the ID: a missing cluster is NOT_FOUND whatever the body.
    if (level.parentParams.length && !ctx.store.get(parent)) throw notFound(parent);
    const id = requireId(req, level.idParam);
    const name = `${parent}/${level.collection}/${id}`;
    if (ctx.store.get(name)) throw alreadyExists(name);
    const now = nowIso(ctx);
    const { name: _ignored, ...given } = req.body;
    if (level.kind === 'workstations.cluster')
      checkNetwork(ctx.store.project(req.params.project), req.params.location, given);
    const body = {
      ...given,
      name,
      uid: uid(),
      createTime: now,
      updateTime: now,
      etag: quotedEtag(),
      ...level.defaults(name, given, ctx),
    };
    ctx.store.put(name, { kind: level.kind, body, readyAt: ctx.now() + ctx.faults.lroDelayMs });
    return ok(
      startOperation(ctx, {
        name: locationOperationName(projectId(ctx, req.params.project), req.params.location),
        api: API,
        metadata: commonMetadata(`${TYPE}.OperationMetadata`, name, 'create'),
        responseRef: name,
        responseType: `${TYPE}.${level.type}`,
      }),
    );
  };
}

function remove(level: Level, idParam: string) {
  return (req: EmuRequest, ctx: EmuContext) => {
    const name = `${parentName(ctx, req, level)}/${level.collection}/${req.params[idParam]}`;
    const entry = ctx.store.get(name);
    if (!entry) throw notFound(name);
    const child = LEVELS[LEVELS.indexOf(level) + 1];
    if (child && req.query.get('force') !== 'true' && ctx.store.list(child.kind, `${name}/`).length > 0) {
      throw new ApiFault(
        'FAILED_PRECONDITION',
        `${name} still has ${child.collection}: delete them first or pass force.`,
      );
    }
    const response = view(ctx, name, entry);
    for (const [inner] of ctx.store.list(child?.kind ?? level.kind, `${name}/`)) ctx.store.delete(inner);
    ctx.store.delete(name);
    return ok(
      startOperation(ctx, {
        name: locationOperationName(projectId(ctx, req.params.project), req.params.location),
        api: API,
        metadata: commonMetadata(`${TYPE}.OperationMetadata`, name, 'delete'),
        response,
        responseType: `${TYPE}.${level.type}`,
      }),
    );
  };
}

export function workstationsRoutes(): Route[] {
  const routes: Route[] = [];
  for (const level of LEVELS) {
    const collection = template(level);
    const idParam = level.collection.replace(/s$/, '');
    routes.push(
      {
        api: API,
        method: 'POST',
        template: collection,
        permission: `${level.permission}.create`,
        handle: create(level),
      },
      {
        api: API,
        method: 'GET',
        template: `${collection}/{${idParam}}`,
        permission: `${level.permission}.get`,
        handle: (req, ctx) => {
          const name = `${parentName(ctx, req, level)}/${level.collection}/${req.params[idParam]}`;
          const entry = ctx.store.get(name);
          if (!entry) throw notFound(name);
          return ok(view(ctx, name, entry));
        },
      },
      {
        api: API,
        method: 'DELETE',
        template: `${collection}/{${idParam}}`,
        permission: `${level.permission}.delete`,
        handle: remove(level, idParam),
      },
      {
        api: API,
        method: 'GET',
        template: collection,
        permission: `${level.permission}.list`,
        handle: (req, ctx) => {
          const { items, nextPageToken } = page(
            listOf(ctx, level.kind, `${parentName(ctx, req, level)}/${level.collection}/`),
            req,
          );
          return ok({
            ...(items.length ? { [level.listField]: items } : {}),
            ...(nextPageToken ? { nextPageToken } : {}),
          });
        },
      },
    );
  }
  return routes;
}

export const workstationsViews = Object.fromEntries(LEVELS.map((l) => [l.kind, reconcilingView]));
