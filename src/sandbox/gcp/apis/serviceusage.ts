/**
 * Service Usage v1: https://cloud.google.com/service-usage/docs/reference/rest/v1/services
 * Every other API answers 403 SERVICE_DISABLED until its service is enabled here.
 */
import { randomUUID } from 'node:crypto';
import { ApiFault, invalid } from '../faults';
import { startOperation } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import { page } from './common';

/** Titles as Google shows them in SERVICE_DISABLED messages. */
export const SERVICE_TITLES: Record<string, string> = {
  'serviceusage.googleapis.com': 'Service Usage API',
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
  'artifactregistry.googleapis.com': 'Artifact Registry API',
  'storage.googleapis.com': 'Cloud Storage API',
  'workstations.googleapis.com': 'Cloud Workstations API',
  'firestore.googleapis.com': 'Cloud Firestore API',
  'alloydb.googleapis.com': 'AlloyDB API',
  'aiplatform.googleapis.com': 'Vertex AI API',
  'secretmanager.googleapis.com': 'Secret Manager API',
  'run.googleapis.com': 'Cloud Run Admin API',
  'cloudaicompanion.googleapis.com': 'Gemini for Google Cloud API',
  'cloudbuild.googleapis.com': 'Cloud Build API',
  'compute.googleapis.com': 'Compute Engine API',
};

export function serviceTitle(service: string): string {
  return SERVICE_TITLES[service] ?? `${service.replace(/\.googleapis\.com$/, '')} API`;
}

const SERVICE_NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*\.googleapis\.com$/;

function serviceView(ctx: EmuContext, projectSegment: string, service: string): Record<string, unknown> {
  const project = ctx.store.project(projectSegment);
  return {
    name: `projects/${project.number}/services/${service}`,
    config: { name: service, title: serviceTitle(service) },
    state: project.services[service] ? 'ENABLED' : 'DISABLED',
    parent: `projects/${project.number}`,
  };
}

function checkServiceName(service: string): void {
  if (!SERVICE_NAME.test(service)) {
    throw new ApiFault('PERMISSION_DENIED', `Not found or permission denied for service(s): ${service}.`, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED',
        domain: 'serviceusage.googleapis.com',
        metadata: { services: service },
      },
    ]);
  }
}

function enable(ctx: EmuContext, req: EmuRequest, services: string[], enabled: boolean, batch: boolean) {
  services.forEach(checkServiceName);
  const project = ctx.store.project(req.params.project);
  for (const service of services) {
    if (enabled) project.services[service] = 'ENABLED';
    else delete project.services[service];
  }
  ctx.store.touch();
  const views = services.map((s) => serviceView(ctx, req.params.project, s));
  const type = batch
    ? 'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse'
    : `type.googleapis.com/google.api.serviceusage.v1.${enabled ? 'Enable' : 'Disable'}ServiceResponse`;
  const { serviceEnableMs = {}, lroDelayMs } = ctx.faults;
  return startOperation(ctx, {
    // Done when its slowest service is.
    delayMs: Math.max(...services.map((s) => serviceEnableMs[s] ?? lroDelayMs)),
    name: `operations/acf.p2-${project.number}-${randomUUID()}`,
    api: 'serviceusage',
    metadata: { '@type': 'type.googleapis.com/google.api.serviceusage.v1.OperationMetadata' },
    responseType: type,
    response: batch ? { services: views } : { service: views[0] },
  });
}

export function serviceUsageRoutes(): Route[] {
  const api = 'serviceusage' as const;
  return [
    {
      api,
      method: 'GET',
      template: '/v1/projects/{project}/services/{service}',
      permission: 'serviceusage.services.get',
      handle: (req, ctx) => ok(serviceView(ctx, req.params.project, req.params.service)),
    },
    {
      api,
      method: 'GET',
      template: '/v1/projects/{project}/services',
      permission: 'serviceusage.services.list',
      handle: (req, ctx) => {
        const filter = req.query.get('filter') ?? '';
        const project = ctx.store.project(req.params.project);
        // The reference supports only state:ENABLED / state:DISABLED; DISABLED lists what we know of.
        const known = new Set([...Object.keys(project.services), ...Object.keys(SERVICE_TITLES)]);
        let services = [...known].sort().map((s) => serviceView(ctx, req.params.project, s));
        if (/state:ENABLED/.test(filter)) services = services.filter((s) => s.state === 'ENABLED');
        else if (/state:DISABLED/.test(filter)) services = services.filter((s) => s.state === 'DISABLED');
        else if (filter) throw invalid(`Invalid filter '${filter}': use state:ENABLED or state:DISABLED.`, 'filter');
        const { items, nextPageToken } = page(services, req);
        return ok(nextPageToken ? { services: items, nextPageToken } : items.length ? { services: items } : {});
      },
    },
    {
      api,
      method: 'POST',
      template: '/v1/projects/{project}/services:batchEnable',
      permission: 'serviceusage.services.enable',
      handle: (req, ctx) => {
        const ids = req.body.serviceIds;
        if (!Array.isArray(ids) || ids.length === 0)
          throw invalid('serviceIds must list at least one service.', 'service_ids');
        if (ids.length > 20) {
          throw invalid(
            `Too many services in one batch: ${ids.length}; at most 20 may be enabled per request.`,
            'service_ids',
          );
        }
        return ok(enable(ctx, req, ids.map(String), true, true));
      },
    },
    {
      api,
      method: 'POST',
      template: '/v1/projects/{project}/services/{service}:enable',
      permission: 'serviceusage.services.enable',
      handle: (req, ctx) => ok(enable(ctx, req, [req.params.service], true, false)),
    },
    {
      api,
      method: 'POST',
      template: '/v1/projects/{project}/services/{service}:disable',
      permission: 'serviceusage.services.disable',
      handle: (req, ctx) => ok(enable(ctx, req, [req.params.service], false, false)),
    },
  ];
}
