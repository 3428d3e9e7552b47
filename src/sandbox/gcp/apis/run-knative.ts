/**
 * Cloud Run Admin API v1 (Knative serving) read view of the v2 services, because
 * `gcloud run services describe|list` still read them this way:
 * https://cloud.google.com/run/docs/reference/rest/v1/namespaces.services
 * gcloud calls the regional host ('us-central1-run.googleapis.com'); the region
 * is taken from the Host header when present.
 */
import { notFound } from '../faults';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import type { ResourceEntry } from '../store';
import { serviceView } from './run';

const KIND = 'run.service';

function regionOf(host: string): string | undefined {
  return /^([a-z]+-[a-z]+\d+)-/.exec(host)?.[1];
}

function seconds(duration: unknown): number {
  return Number(String(duration ?? '300s').replace(/s$/, '')) || 300;
}

function knative(name: string, entry: ResourceEntry, ctx: EmuContext): Record<string, unknown> {
  const v2 = serviceView(name, entry, ctx);
  const [, project, , location, , id] = name.split('/');
  const number = ctx.store.project(project).number;
  const template = v2.template as Record<string, unknown>;
  const ready = v2.reconciling ? 'Unknown' : 'True';
  const transition = (v2.terminalCondition as { lastTransitionTime: string }).lastTransitionTime;
  const revision = (full: unknown) => (typeof full === 'string' ? full.split('/').pop() : undefined);
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: id,
      namespace: number,
      selfLink: `/apis/serving.knative.dev/v1/namespaces/${number}/services/${id}`,
      uid: v2.uid,
      resourceVersion: String(v2.etag).replace(/"/g, ''),
      generation: Number(v2.generation),
      creationTimestamp: v2.createTime,
      labels: { ...((v2.labels as object) ?? {}), 'cloud.googleapis.com/location': location },
      annotations: {
        'serving.knative.dev/creator': v2.creator,
        'serving.knative.dev/lastModifier': v2.lastModifier,
        'run.googleapis.com/ingress': String(v2.ingress).replace('INGRESS_TRAFFIC_', '').toLowerCase(),
        'run.googleapis.com/ingress-status': String(v2.ingress).replace('INGRESS_TRAFFIC_', '').toLowerCase(),
      },
    },
    spec: {
      template: {
        metadata: {
          annotations: {
            'autoscaling.knative.dev/maxScale': String(
              (template.scaling as { maxInstanceCount?: number })?.maxInstanceCount ?? 100,
            ),
          },
        },
        spec: {
          containerConcurrency: template.maxInstanceRequestConcurrency ?? 80,
          timeoutSeconds: seconds(template.timeout),
          ...(template.serviceAccount ? { serviceAccountName: template.serviceAccount } : {}),
          containers: (template.containers as Array<Record<string, unknown>>).map(knativeContainer),
        },
      },
      traffic: [{ percent: 100, latestRevision: true }],
    },
    status: {
      observedGeneration: Number(v2.observedGeneration),
      conditions: ['Ready', 'ConfigurationsReady', 'RoutesReady'].map((type) => ({
        type,
        status: ready,
        lastTransitionTime: transition,
      })),
      latestCreatedRevisionName: revision(v2.latestCreatedRevision),
      ...(v2.latestReadyRevision ? { latestReadyRevisionName: revision(v2.latestReadyRevision) } : {}),
      traffic: v2.latestReadyRevision
        ? [{ revisionName: revision(v2.latestReadyRevision), percent: 100, latestRevision: true }]
        : [],
      url: v2.uri,
      address: { url: v2.uri },
    },
  };
}

interface V2Env {
  name: string;
  value?: string;
  valueSource?: { secretKeyRef?: { secret?: string; version?: string } };
}

/**
 * v1 containers have no cpuIdle/startupCpuBoost (those are annotations there), and a
 * secret env var is `valueFrom.secretKeyRef {name: SECRET, key: VERSION}` (Kubernetes'
 * shape), where v2 writes `valueSource.secretKeyRef {secret, version}`.
 */
function knativeContainer(c: Record<string, unknown>): Record<string, unknown> {
  const { resources, env, ...rest } = c as { resources?: { limits?: unknown }; env?: V2Env[] };
  return {
    ...rest,
    ...(env?.length ? { env: env.map(knativeEnv) } : {}),
    ...(resources?.limits ? { resources: { limits: resources.limits } } : {}),
  };
}

function knativeEnv(e: V2Env): Record<string, unknown> {
  const ref = e.valueSource?.secretKeyRef;
  if (!ref) return { name: e.name, value: e.value ?? '' };
  const secret = String(ref.secret ?? '')
    .split('/')
    .pop();
  return { name: e.name, valueFrom: { secretKeyRef: { name: secret, key: ref.version ?? 'latest' } } };
}

const REVISION_KIND = 'run.revision';

/** A v2 revision as Knative v1 shows it (gcloud run revisions describe|list). */
function knativeRevision(name: string, entry: ResourceEntry, ctx: EmuContext): Record<string, unknown> {
  const [, project, , location, , service, , id] = name.split('/');
  const number = ctx.store.project(project).number;
  const body = entry.body as Record<string, unknown> & {
    containers: Array<Record<string, unknown>>;
    labels?: Record<string, string>;
  };
  const reconciling = entry.readyAt !== undefined && ctx.now() < entry.readyAt;
  const status = reconciling ? 'Unknown' : entry.failure ? 'False' : 'True';
  const transition = new Date(entry.readyAt ?? Date.parse(String(body.createTime))).toISOString();
  const why = entry.failure && !reconciling ? { reason: 'ContainerMissing', message: entry.failure.message } : {};
  const image = String(body.containers[0]?.image ?? '');
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: {
      name: id,
      namespace: number,
      selfLink: `/apis/serving.knative.dev/v1/namespaces/${number}/revisions/${id}`,
      uid: body.uid,
      resourceVersion: String(body.etag).replace(/"/g, ''),
      generation: 1,
      creationTimestamp: body.createTime,
      labels: {
        'serving.knative.dev/service': service,
        'serving.knative.dev/configuration': service,
        'serving.knative.dev/configurationGeneration':
          body.labels?.['serving.knative.dev/configurationGeneration'] ?? '1',
        'serving.knative.dev/route': service,
        'cloud.googleapis.com/location': location,
      },
      annotations: {
        'autoscaling.knative.dev/maxScale': String(
          (body.scaling as { maxInstanceCount?: number })?.maxInstanceCount ?? 100,
        ),
      },
      ownerReferences: [
        {
          kind: 'Configuration',
          name: service,
          apiVersion: 'serving.knative.dev/v1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containerConcurrency: body.maxInstanceRequestConcurrency ?? 80,
      timeoutSeconds: seconds(body.timeout),
      ...(body.serviceAccount ? { serviceAccountName: body.serviceAccount } : {}),
      containers: body.containers.map(knativeContainer),
    },
    status: {
      observedGeneration: 1,
      conditions: ['Ready', 'ContainerHealthy', 'ResourcesAvailable'].map((type) => ({
        type,
        status,
        ...why,
        lastTransitionTime: transition,
      })),
      logUrl: `https://console.cloud.google.com/logs/viewer?project=${project}&resource=cloud_run_revision/service_name/${service}/revision_name/${id}`,
      ...(image.includes('@sha256:') ? { imageDigest: image } : {}),
    },
  };
}

function revisionsOf(req: EmuRequest, ctx: EmuContext): Array<[string, ResourceEntry]> {
  const project = ctx.store.project(req.params.namespace).projectId;
  const region = regionOf(req.host);
  return ctx.store
    .list(REVISION_KIND, `projects/${project}/locations/`)
    .filter(([name]) => !region || name.split('/')[3] === region);
}

function matching(req: EmuRequest, ctx: EmuContext): Array<[string, ResourceEntry]> {
  const project = ctx.store.project(req.params.namespace).projectId;
  const region = regionOf(req.host);
  return ctx.store
    .list(KIND, `projects/${project}/locations/`)
    .filter(([name]) => !region || name.split('/')[3] === region);
}

export function runKnativeRoutes(): Route[] {
  const base = '/apis/serving.knative.dev/v1/namespaces/{namespace}/services';
  const revisions = '/apis/serving.knative.dev/v1/namespaces/{namespace}/revisions';
  const project = (req: EmuRequest) => req.params.namespace;
  return [
    {
      // gcloud run services list without --region: the v1 API's projects.locations.services.list on 'locations/-'.
      api: 'run',
      method: 'GET',
      template: '/v1/projects/{project}/locations/{location}/services',
      permission: 'run.services.list',
      handle: (req, ctx) => {
        const project = ctx.store.project(req.params.project).projectId;
        const items = ctx.store
          .list(KIND, `projects/${project}/locations/${req.params.location}/services/`)
          .map(([n, e]) => knative(n, e, ctx));
        return ok({ apiVersion: 'serving.knative.dev/v1', kind: 'ServiceList', metadata: {}, items });
      },
    },
    {
      api: 'run',
      method: 'GET',
      template: `${revisions}/{revision}`,
      permission: 'run.revisions.get',
      project,
      handle: (req, ctx) => {
        const found = revisionsOf(req, ctx).find(([name]) => name.endsWith(`/revisions/${req.params.revision}`));
        if (!found) throw notFound(`namespaces/${req.params.namespace}/revisions/${req.params.revision}`);
        return ok(knativeRevision(found[0], found[1], ctx));
      },
    },
    {
      api: 'run',
      method: 'GET',
      template: revisions,
      permission: 'run.revisions.list',
      project,
      handle: (req, ctx) => {
        const service = /serving\.knative\.dev\/service=([\w-]+)/.exec(req.query.get('labelSelector') ?? '')?.[1];
        const items = revisionsOf(req, ctx)
          .filter(([name]) => !service || name.split('/')[5] === service)
          .map(([n, e]) => knativeRevision(n, e, ctx))
          .reverse();
        return ok({ apiVersion: 'serving.knative.dev/v1', kind: 'RevisionList', metadata: {}, items });
      },
    },
    {
      api: 'run',
      method: 'GET',
      template: `${base}/{service}`,
      permission: 'run.services.get',
      project,
      handle: (req, ctx) => {
        const found = matching(req, ctx).find(([name]) => name.endsWith(`/services/${req.params.service}`));
        if (!found) throw notFound(`namespaces/${req.params.namespace}/services/${req.params.service}`);
        return ok(knative(found[0], found[1], ctx));
      },
    },
    {
      api: 'run',
      method: 'GET',
      template: base,
      permission: 'run.services.list',
      project,
      handle: (req, ctx) =>
        ok({
          apiVersion: 'serving.knative.dev/v1',
          kind: 'ServiceList',
          metadata: {},
          items: matching(req, ctx).map(([n, e]) => knative(n, e, ctx)),
        }),
    },
  ];
}
