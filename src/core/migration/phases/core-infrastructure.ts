/**
 * Phase 1: the APIs every later phase calls, the runtime service account and its
 * least-privilege roles, the Artifact Registry Docker repository the API image lives
 * in, and the Cloud Storage bucket reports go to. Each API is a step of its own, and
 * each later step waits only for the APIs it calls (its `apis`), not for all of them.
 */
import { deleteResource, getResource, grantsResource, requestAndWait, SERVICES, servicesResource } from '../ops';
import { mapBounded } from '../planner';
import type { PhaseDefinition, Resource, StepContext } from '../types';

export const CORE = {
  serviceAccount: 'core-infrastructure/service-account',
  roles: 'core-infrastructure/runtime-roles',
  repository: 'core-infrastructure/repository',
  bucket: 'core-infrastructure/reports-bucket',
} as const;

const phase = 'core-infrastructure' as const;

/** The step enabling one API: `core-infrastructure/api-workstations` for workstations.googleapis.com. */
export function apiStepId(service: string): string {
  return `${phase}/api-${service.replace(/\.googleapis\.com$/, '').replace(/[^a-z0-9-]+/g, '-')}`;
}

export function runtimeServiceAccountEmail(ctx: StepContext): string {
  const { serviceAccountId } = ctx.config.phases.coreInfrastructure;
  return `${serviceAccountId}@${ctx.config.projectId}.iam.gserviceaccount.com`;
}

export function repositoryName(ctx: StepContext): string {
  const { projectId, location } = ctx.config;
  return `projects/${projectId}/locations/${location}/repositories/${ctx.config.phases.coreInfrastructure.repositoryId}`;
}

export function bucketName(ctx: StepContext): string {
  return ctx.config.phases.coreInfrastructure.bucketName || `${ctx.config.projectId}-orchestra-reports`;
}

interface ServiceAccount {
  email: string;
  name: string;
}

const serviceAccount: Resource<ServiceAccount> = {
  kind: 'resource',
  id: CORE.serviceAccount,
  phase,
  title: 'Runtime service account',
  dependsOn: [],
  apis: [SERVICES.iam],
  permissions: ['iam.serviceAccounts.get', 'iam.serviceAccounts.create'],
  describe: (ctx) => `service account ${runtimeServiceAccountEmail(ctx)}`,
  read: (ctx) =>
    getResource(ctx, 'iam', `/v1/projects/${ctx.config.projectId}/serviceAccounts/${runtimeServiceAccountEmail(ctx)}`),
  destroy: (ctx) =>
    deleteResource(
      ctx,
      'iam',
      `/v1/projects/${ctx.config.projectId}/serviceAccounts/${runtimeServiceAccountEmail(ctx)}`,
    ),
  create: (ctx) =>
    ctx.gcp.request<ServiceAccount>({
      api: 'iam',
      method: 'POST',
      path: `/v1/projects/${ctx.config.projectId}/serviceAccounts`,
      body: {
        accountId: ctx.config.phases.coreInfrastructure.serviceAccountId,
        serviceAccount: { displayName: 'Orchestra runtime', description: 'Runs the Orchestra API on Cloud Run' },
      },
      createWithId: {
        readBackPath: `/v1/projects/${ctx.config.projectId}/serviceAccounts/${runtimeServiceAccountEmail(ctx)}`,
      },
      signal: ctx.signal,
    }),
};

interface Repository {
  name: string;
  format?: string;
}

const repository: Resource<Repository> = {
  kind: 'resource',
  id: CORE.repository,
  phase,
  title: 'Artifact Registry repository',
  dependsOn: [],
  apis: [SERVICES.artifactRegistry],
  permissions: ['artifactregistry.repositories.get', 'artifactregistry.repositories.create'],
  describe: (ctx) => `Docker repository ${repositoryName(ctx)}`,
  read: (ctx) => getResource(ctx, 'artifactregistry', `/v1/${repositoryName(ctx)}`),
  destroy: (ctx) => deleteResource(ctx, 'artifactregistry', `/v1/${repositoryName(ctx)}`),
  // Images pushed by API Deployment live in it.
  holdsData: () => true,
  create: (ctx) => {
    const { projectId, location } = ctx.config;
    const id = ctx.config.phases.coreInfrastructure.repositoryId;
    return requestAndWait<Repository>(ctx, {
      api: 'artifactregistry',
      method: 'POST',
      path: `/v1/projects/${projectId}/locations/${location}/repositories`,
      query: { repositoryId: id },
      body: { format: 'DOCKER', description: 'Orchestra images' },
      createWithId: { readBackPath: `/v1/${repositoryName(ctx)}`, lro: true },
    });
  },
};

interface Bucket {
  name: string;
  location?: string;
}

/**
 * Cloud Storage deletes only an empty bucket (409 otherwise), so its objects go first;
 * reached only with --include-data, the bucket counting as data.
 */
async function deleteBucket(ctx: StepContext): Promise<void> {
  const path = `/storage/v1/b/${bucketName(ctx)}`;
  let pageToken: string | undefined;
  do {
    const page = await ctx.gcp.request<{ items?: { name: string }[]; nextPageToken?: string }>({
      api: 'storage',
      method: 'GET',
      path: `${path}/o`,
      query: pageToken ? { pageToken } : {},
      signal: ctx.signal,
    });
    await mapBounded(page.items ?? [], OBJECT_DELETES_IN_FLIGHT, (o) =>
      deleteResource(ctx, 'storage', `${path}/o/${encodeURIComponent(o.name)}`),
    );
    pageToken = page.nextPageToken;
  } while (pageToken);
  await deleteResource(ctx, 'storage', path);
}

const OBJECT_DELETES_IN_FLIGHT = 8;

const bucket: Resource<Bucket> = {
  kind: 'resource',
  id: CORE.bucket,
  phase,
  title: 'Reports bucket',
  dependsOn: [],
  apis: [SERVICES.storage],
  permissions: ['storage.buckets.get', 'storage.buckets.create'],
  describe: (ctx) => `bucket gs://${bucketName(ctx)}`,
  read: (ctx) => getResource(ctx, 'storage', `/storage/v1/b/${bucketName(ctx)}`),
  destroy: (ctx) => deleteBucket(ctx),
  // Reports are written to it; counted as data whether or not objects are there yet.
  holdsData: () => true,
  create: (ctx) =>
    ctx.gcp.request<Bucket>({
      api: 'storage',
      method: 'POST',
      path: '/storage/v1/b',
      query: { project: ctx.config.projectId },
      body: {
        name: bucketName(ctx),
        location: ctx.config.location.toUpperCase(),
        iamConfiguration: { uniformBucketLevelAccess: { enabled: true } },
      },
      createWithId: { readBackPath: `/storage/v1/b/${bucketName(ctx)}` },
      signal: ctx.signal,
    }),
};

export const coreInfrastructurePhase: PhaseDefinition = {
  info: {
    id: phase,
    configKey: 'coreInfrastructure',
    title: 'Core Infrastructure',
    description:
      'Enable the Google Cloud APIs, create the runtime service account with least-privilege roles, an Artifact Registry repository and a storage bucket.',
    order: 1,
  },
  steps: (config) => [
    // One step per API, so an API that enables late holds back only the steps that call it.
    ...[...new Set(config.phases.coreInfrastructure.services)].map((service) =>
      servicesResource({
        id: apiStepId(service),
        phase,
        title: `${service} API`,
        services: () => [service],
        enables: [service],
      }),
    ),
    serviceAccount,
    grantsResource({
      id: CORE.roles,
      phase,
      title: 'Runtime service account roles',
      dependsOn: [CORE.serviceAccount],
      grants: (ctx) =>
        ctx.config.phases.coreInfrastructure.serviceAccountRoles.map((role) => ({
          role,
          member: `serviceAccount:${runtimeServiceAccountEmail(ctx)}`,
        })),
    }),
    repository,
    bucket,
  ],
};
