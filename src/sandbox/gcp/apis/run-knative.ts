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

/** v1 containers have no cpuIdle/startupCpuBoost (those are annotations there). */
function knativeContainer(c: Record<string, unknown>): Record<string, unknown> {
  const { resources, ...rest } = c as { resources?: { limits?: unknown } };
  return { ...rest, ...(resources?.limits ? { resources: { limits: resources.limits } } : {}) };
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
  const project = (req: EmuRequest) => req.params.namespace;
  return [
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
