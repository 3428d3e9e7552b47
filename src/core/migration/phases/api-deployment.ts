/**
 * Phase 6: the Orchestra API on Cloud Run (v2): the image from the phase-1 repository,
 * the runtime service account, the config secret as an environment variable. Waits
 * until the service's terminal condition is Ready, then records its URL.
 */
import type { JsonValue } from '../../memory/types';
import { phaseInfo } from '../catalog';
import { getResource, requestAndWait } from '../ops';
import type { FieldDiff, PhaseDefinition, Resource, StepContext } from '../types';
import { CORE, runtimeServiceAccountEmail } from './core-infrastructure';
import { HYBRID } from './hybrid-config';

const phase = 'api-deployment' as const;

export const API = { service: 'api-deployment/service' } as const;

export const CONFIG_ENV_VAR = 'ORCHESTRA_CONFIG';

const settings = (ctx: StepContext) => ctx.config.phases.apiDeployment;
const parent = (ctx: StepContext) => `projects/${ctx.config.projectId}/locations/${ctx.config.location}`;
export const serviceName = (ctx: StepContext) => `${parent(ctx)}/services/${settings(ctx).serviceName}`;

/** 'orchestra-api:latest' lives in the phase-1 repository; a full path is taken as it is. */
export function imageUri(ctx: StepContext): string {
  const image = settings(ctx).image;
  if (image.includes('/')) return image;
  const { projectId, location } = ctx.config;
  return `${location}-docker.pkg.dev/${projectId}/${ctx.config.phases.coreInfrastructure.repositoryId}/${image}`;
}

interface Container {
  image?: string;
  env?: { name: string; value?: string; valueSource?: { secretKeyRef?: { secret?: string; version?: string } } }[];
  ports?: { containerPort?: number }[];
}

export interface RunService {
  name: string;
  uri?: string;
  reconciling?: boolean;
  terminalCondition?: { type?: string; state?: string; message?: string };
  template?: { serviceAccount?: string; containers?: Container[] };
}

function desiredTemplate(ctx: StepContext) {
  const s = settings(ctx);
  return {
    serviceAccount: runtimeServiceAccountEmail(ctx),
    containers: [
      {
        image: imageUri(ctx),
        ports: [{ containerPort: s.port }],
        resources: { limits: { cpu: s.cpu, memory: s.memory } },
        env: [
          {
            name: CONFIG_ENV_VAR,
            valueSource: { secretKeyRef: { secret: ctx.config.phases.hybridConfig.secretId, version: 'latest' } },
          },
        ],
      },
    ],
  };
}

function serviceDiff(ctx: StepContext, live: RunService): FieldDiff[] {
  const desired = desiredTemplate(ctx);
  const container = live.template?.containers?.[0];
  const diff: FieldDiff[] = [];
  if (container?.image !== desired.containers[0].image) {
    diff.push({ field: 'template.containers[0].image', live: container?.image, desired: desired.containers[0].image });
  }
  if (live.template?.serviceAccount !== desired.serviceAccount) {
    diff.push({
      field: 'template.serviceAccount',
      live: live.template?.serviceAccount,
      desired: desired.serviceAccount,
    });
  }
  const secret = container?.env?.find((e) => e.name === CONFIG_ENV_VAR)?.valueSource?.secretKeyRef?.secret;
  const wanted = ctx.config.phases.hybridConfig.secretId;
  // Cloud Run may answer with the secret's short id or its full name.
  if (!secret || (secret !== wanted && !secret.endsWith(`/secrets/${wanted}`))) {
    diff.push({ field: `template.containers[0].env[${CONFIG_ENV_VAR}]`, live: secret, desired: wanted });
  }
  return diff;
}

function isReady(live: RunService): boolean {
  return live.reconciling !== true && live.terminalCondition?.state === 'CONDITION_SUCCEEDED';
}

const service: Resource<RunService> = {
  kind: 'resource',
  id: API.service,
  phase,
  title: 'Cloud Run service',
  dependsOn: [CORE.serviceAccount, CORE.repository, HYBRID.version],
  permissions: ['run.services.get', 'run.services.create', 'run.services.update', 'iam.serviceAccounts.actAs'],
  describe: (ctx) => `Cloud Run service ${serviceName(ctx)}`,
  read: (ctx) => getResource(ctx, 'run', `/v2/${serviceName(ctx)}`),
  create: (ctx) =>
    requestAndWait<RunService>(ctx, {
      api: 'run',
      method: 'POST',
      path: `/v2/${parent(ctx)}/services`,
      query: { serviceId: settings(ctx).serviceName },
      body: { template: desiredTemplate(ctx), labels: { 'managed-by': 'orchestra-migrate' } },
      createWithId: { readBackPath: `/v2/${serviceName(ctx)}`, lro: true },
    }),
  diff: serviceDiff,
  update: (ctx, live) =>
    requestAndWait<RunService>(ctx, {
      api: 'run',
      method: 'PATCH',
      path: `/v2/${serviceName(ctx)}`,
      body: { ...live, template: { ...live.template, ...desiredTemplate(ctx) } },
    }),
  ready: isReady,
  async record(ctx, live) {
    if (!live.uri) return;
    const endpoints = (ctx.outputs().endpoints ?? {}) as Record<string, JsonValue>;
    await ctx.setOutput('apiUrl', live.uri);
    await ctx.setOutput('endpoints', { ...endpoints, api: live.uri });
    await ctx.recordEndpoint('api', live.uri);
  },
};

export const apiDeploymentPhase: PhaseDefinition = {
  info: phaseInfo(phase)!,
  steps: () => [service],
};
