/**
 * Phase 6: the Orchestra API on Cloud Run (v2), as `gcloud run deploy --source` does it:
 * the API's source folder packed and uploaded to the Core Infrastructure bucket, built
 * and pushed by Cloud Build into the phase-1 repository (tagged with the source's
 * digest, so unchanged source is never rebuilt), then the service deployed by the
 * pushed image's digest, with the runtime service account and the config secret as an
 * environment variable. Waits until the service is Ready, then records its URL.
 * A config that names a full image path deploys that image and builds nothing.
 */
import { OrchestraError } from '../../errors';
import { isLoopbackHost } from '../../gcp/token-guard';
import type { JsonValue } from '../../memory/types';
import { deleteResource, getResource, requestAndWait, SERVICES } from '../ops';
import type { FieldDiff, PhaseDefinition, Resource, StepContext } from '../types';
import { CORE, runtimeServiceAccountEmail } from './core-infrastructure';
import { HYBRID } from './hybrid-config';
import { API_BUILD, BUILT_IMAGE_OUTPUT, builtImage, imageStep, sourceStep } from './api-build';

const phase = 'api-deployment' as const;

export const API = { ...API_BUILD, service: 'api-deployment/service' } as const;

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

/**
 * The image to deploy: the configured full path, or the build's image by digest ('' while
 * not built). In execute the image step, which this step depends on, has just recorded it
 * (found or built) in this run; verify looks it up in the repository.
 */
async function deployImage(ctx: StepContext): Promise<string> {
  if (settings(ctx).image.includes('/')) return settings(ctx).image;
  const recorded = ctx.outputs()[BUILT_IMAGE_OUTPUT];
  if (ctx.mode === 'execute' && typeof recorded === 'string' && recorded) return recorded;
  return (await builtImage(ctx))?.uri ?? '';
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

async function desiredTemplate(ctx: StepContext) {
  const s = settings(ctx);
  const image = await deployImage(ctx);
  if (!image && ctx.mode === 'execute') {
    throw new OrchestraError('NO_IMAGE', `No image was built from ${s.source} yet.`, {
      where: API.image,
      fix: 'Run execute for API Deployment again: the build step comes first.',
    });
  }
  return {
    serviceAccount: runtimeServiceAccountEmail(ctx),
    containers: [
      {
        image,
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

async function serviceDiff(ctx: StepContext, live: RunService): Promise<FieldDiff[]> {
  const desired = await desiredTemplate(ctx);
  const container = live.template?.containers?.[0];
  const diff: FieldDiff[] = [];
  const image = desired.containers[0].image || `(the image Cloud Build makes from ${settings(ctx).source})`;
  if (container?.image !== image) {
    diff.push({ field: 'template.containers[0].image', live: container?.image, desired: image });
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

/** A service whose last deploy failed (CONDITION_FAILED) never becomes ready by waiting: say why at once. */
function failedReason(live: RunService): string | undefined {
  if (live.reconciling === true || live.terminalCondition?.state !== 'CONDITION_FAILED') return undefined;
  return live.terminalCondition.message ?? 'its Ready condition is CONDITION_FAILED';
}

const service: Resource<RunService> = {
  kind: 'resource',
  id: API.service,
  phase,
  title: 'Cloud Run service',
  dependsOn: [CORE.serviceAccount, CORE.repository, HYBRID.version, API_BUILD.image],
  apis: [SERVICES.run],
  permissions: ['run.services.get', 'run.services.create', 'run.services.update', 'iam.serviceAccounts.actAs'],
  describe: (ctx) => `Cloud Run service ${serviceName(ctx)}`,
  read: (ctx) => getResource(ctx, 'run', `/v2/${serviceName(ctx)}`),
  destroy: (ctx) => deleteResource(ctx, 'run', `/v2/${serviceName(ctx)}`),
  create: async (ctx) =>
    requestAndWait<RunService>(ctx, {
      api: 'run',
      method: 'POST',
      path: `/v2/${parent(ctx)}/services`,
      query: { serviceId: settings(ctx).serviceName },
      body: { template: await desiredTemplate(ctx), labels: { 'managed-by': 'orchestra-migrate' } },
      createWithId: { readBackPath: `/v2/${serviceName(ctx)}`, lro: true },
    }),
  diff: serviceDiff,
  update: async (ctx, live) =>
    requestAndWait<RunService>(ctx, {
      api: 'run',
      method: 'PATCH',
      path: `/v2/${serviceName(ctx)}`,
      // The rest of the answer goes back as read (Cloud Run keeps what a PATCH omits), but
      // the name is ours: an answered name is data from the network, never sent back as
      // the resource to change.
      body: { ...live, name: serviceName(ctx), template: { ...live.template, ...(await desiredTemplate(ctx)) } },
    }),
  ready: isReady,
  failed: failedReason,
  async record(ctx, live) {
    if (!live.uri) return;
    serviceUrl(ctx, live.uri);
    const endpoints = (ctx.outputs().endpoints ?? {}) as Record<string, JsonValue>;
    await ctx.setOutput('apiUrl', live.uri);
    await ctx.setOutput('endpoints', { ...endpoints, api: live.uri });
    await ctx.recordEndpoint('api', live.uri);
  },
};

/**
 * The service's URL as Cloud Run answered it, checked before it is recorded: it becomes the
 * API endpoint of every environment at cutover, Validation sends ID tokens to it, and the
 * report shows it. Cloud Run's URLs are https (run.app); the emulator's are http on loopback.
 */
export function serviceUrl(ctx: StepContext, uri: string): string {
  let url: URL | undefined;
  try {
    url = new URL(uri);
  } catch {
    url = undefined;
  }
  const emulated = ctx.config.gcp.emulator && url?.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (!url || (url.protocol !== 'https:' && !emulated)) {
    throw new OrchestraError(
      'BAD_SERVICE_URL',
      `Cloud Run answered ${JSON.stringify(uri)} as the URL of ${serviceName(ctx)}: not an https URL, so it is neither recorded nor called.`,
      {
        where: serviceName(ctx),
        fix: `Read the service with: gcloud run services describe ${ctx.config.phases.apiDeployment.serviceName} --region ${ctx.config.location} --format 'value(status.url)'. A Cloud Run URL is https://...run.app; run execute again once it answers one.`,
      },
    );
  }
  return uri;
}

export const apiDeploymentPhase: PhaseDefinition = {
  info: {
    id: phase,
    configKey: 'apiDeployment',
    title: 'API Deployment',
    description:
      "Deploy the Orchestra API to Cloud Run from the repository's image, wait until it is ready and record its URL.",
    order: 6,
  },
  steps: () => [sourceStep, imageStep, service],
};
