/**
 * Phase 2: a Cloud Workstations cluster, a configuration (machine type and container
 * image from config) and one workstation. All three are long-running creates.
 */
import { deleteResource, getResource, requestAndWait, SERVICES } from '../ops';
import type { FieldDiff, PhaseDefinition, Resource, StepContext } from '../types';

const phase = 'workstation-configuration' as const;

export const WORKSTATION = {
  cluster: 'workstation-configuration/cluster',
  config: 'workstation-configuration/config',
  workstation: 'workstation-configuration/workstation',
} as const;

const settings = (ctx: StepContext) => ctx.config.phases.workstationConfiguration;
const parent = (ctx: StepContext) => `projects/${ctx.config.projectId}/locations/${ctx.config.location}`;
const clusterName = (ctx: StepContext) => `${parent(ctx)}/workstationClusters/${settings(ctx).clusterId}`;
const configName = (ctx: StepContext) => `${clusterName(ctx)}/workstationConfigs/${settings(ctx).configId}`;
const workstationName = (ctx: StepContext) => `${configName(ctx)}/workstations/${settings(ctx).workstationId}`;

interface Reconciling {
  name: string;
  reconciling?: boolean;
}

interface WorkstationConfig extends Reconciling {
  host?: { gceInstance?: { machineType?: string } };
  container?: { image?: string };
}

const notReconciling = (live: Reconciling) => live.reconciling !== true;

/** Workstations reports a failed create as `degraded` with the errors in `conditions` (google.rpc.Status). */
function degradedReason(live: Reconciling & { degraded?: boolean; conditions?: { message?: string }[] }) {
  if (live.reconciling === true || live.degraded !== true) return undefined;
  return live.conditions?.map((c) => c.message).join('; ') || 'the cluster is degraded';
}

const cluster: Resource<Reconciling> = {
  kind: 'resource',
  id: WORKSTATION.cluster,
  phase,
  title: 'Workstation cluster',
  dependsOn: [],
  apis: [SERVICES.workstations],
  permissions: ['workstations.workstationClusters.get', 'workstations.workstationClusters.create'],
  describe: (ctx) => `workstation cluster ${clusterName(ctx)}`,
  read: (ctx) => getResource(ctx, 'workstations', `/v1/${clusterName(ctx)}`),
  destroy: (ctx) => deleteResource(ctx, 'workstations', `/v1/${clusterName(ctx)}`),
  create: (ctx) => {
    const s = settings(ctx);
    const network = s.network ?? `projects/${ctx.config.projectId}/global/networks/default`;
    const subnetwork =
      s.subnetwork ?? `projects/${ctx.config.projectId}/regions/${ctx.config.location}/subnetworks/default`;
    return requestAndWait(ctx, {
      api: 'workstations',
      method: 'POST',
      path: `/v1/${parent(ctx)}/workstationClusters`,
      query: { workstationClusterId: s.clusterId },
      body: { network, subnetwork },
      createWithId: { readBackPath: `/v1/${clusterName(ctx)}`, lro: true },
    });
  },
  ready: notReconciling,
  failed: degradedReason,
};

function configDiff(ctx: StepContext, live: WorkstationConfig): FieldDiff[] {
  const s = settings(ctx);
  const diff: FieldDiff[] = [];
  const machineType = live.host?.gceInstance?.machineType;
  if (machineType !== s.machineType)
    diff.push({ field: 'host.gceInstance.machineType', live: machineType, desired: s.machineType });
  const image = live.container?.image;
  if (image !== s.containerImage) diff.push({ field: 'container.image', live: image, desired: s.containerImage });
  return diff;
}

const configBody = (ctx: StepContext) => ({
  host: { gceInstance: { machineType: settings(ctx).machineType } },
  container: { image: settings(ctx).containerImage },
});

const config: Resource<WorkstationConfig> = {
  kind: 'resource',
  id: WORKSTATION.config,
  phase,
  title: 'Workstation configuration',
  dependsOn: [WORKSTATION.cluster],
  permissions: [
    'workstations.workstationConfigs.get',
    'workstations.workstationConfigs.create',
    'workstations.workstationConfigs.update',
  ],
  describe: (ctx) => `workstation config ${configName(ctx)}`,
  read: (ctx) => getResource(ctx, 'workstations', `/v1/${configName(ctx)}`),
  destroy: (ctx) => deleteResource(ctx, 'workstations', `/v1/${configName(ctx)}`),
  create: (ctx) =>
    requestAndWait(ctx, {
      api: 'workstations',
      method: 'POST',
      path: `/v1/${clusterName(ctx)}/workstationConfigs`,
      query: { workstationConfigId: settings(ctx).configId },
      body: configBody(ctx),
      createWithId: { readBackPath: `/v1/${configName(ctx)}`, lro: true },
    }),
  diff: configDiff,
  update: (ctx, live) =>
    requestAndWait(ctx, {
      api: 'workstations',
      method: 'PATCH',
      path: `/v1/${configName(ctx)}`,
      query: {
        updateMask: configDiff(ctx, live)
          .map((d) => d.field)
          .join(','),
      },
      body: configBody(ctx),
    }),
  ready: notReconciling,
};

const workstation: Resource<Reconciling> = {
  kind: 'resource',
  id: WORKSTATION.workstation,
  phase,
  title: 'Workstation',
  dependsOn: [WORKSTATION.config],
  permissions: ['workstations.workstations.get', 'workstations.workstations.create'],
  describe: (ctx) => `workstation ${workstationName(ctx)}`,
  read: (ctx) => getResource(ctx, 'workstations', `/v1/${workstationName(ctx)}`),
  destroy: (ctx) => deleteResource(ctx, 'workstations', `/v1/${workstationName(ctx)}`),
  // Its home disk holds the user's files.
  holdsData: () => true,
  create: (ctx) =>
    requestAndWait(ctx, {
      api: 'workstations',
      method: 'POST',
      path: `/v1/${configName(ctx)}/workstations`,
      query: { workstationId: settings(ctx).workstationId },
      body: { labels: { 'managed-by': 'orchestra-migrate' } },
      createWithId: { readBackPath: `/v1/${workstationName(ctx)}`, lro: true },
    }),
  ready: notReconciling,
};

export const workstationConfigurationPhase: PhaseDefinition = {
  info: {
    id: phase,
    configKey: 'workstationConfiguration',
    title: 'Workstation Configuration',
    description: 'Create the Cloud Workstations cluster, configuration and workstation.',
    order: 2,
  },
  steps: () => [cluster, config, workstation],
};
