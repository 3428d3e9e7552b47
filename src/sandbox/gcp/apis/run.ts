/**
 * Cloud Run Admin API v2 services: https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services
 * A service is visible at once with `reconciling: true`, like on Google, and
 * becomes Ready when its operation is done. Its `uri` is served by this emulator
 * under /__run/, answering with the configured latency (for the Validation phase).
 */
import { randomBytes } from 'node:crypto';
import { ApiFault, alreadyExists, invalid, notFound } from '../faults';
import { locationOperationName, startOperation } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Reply, type Route } from '../router';
import type { ResourceEntry } from '../store';
import { nowIso, projectId, quotedEtag, requireId, uid } from './common';
import { findImage } from './artifactregistry';
import { idTokenProblem } from '../tokens';

const KIND = 'run.service';
export const REVISION_KIND = 'run.revision';
/** Google's public sample images, which any project may deploy. */
const PUBLIC_IMAGES = [/^us-docker\.pkg\.dev\/cloudrun\/container\//, /^gcr\.io\/cloudrun\//];
const SERVICE_ID = /^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/;
export const RUN_URL_PREFIX = '/__run/';
const SERVICE_TYPE = 'type.googleapis.com/google.cloud.run.v2.Service';
const CREATOR = 'sandbox-owner@example.com';

function nameOf(ctx: EmuContext, req: EmuRequest): string {
  return `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}/services/${req.params.service}`;
}

function revisionName(service: string, generation: number): string {
  const suffix = Array.from(randomBytes(3), (b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${service.split('/').pop()}-${String(generation).padStart(5, '0')}-${suffix}`;
}

function validateTemplate(template: unknown): Record<string, unknown> {
  const t = (template ?? {}) as { containers?: Array<{ image?: string }> };
  if (
    !Array.isArray(t.containers) ||
    t.containers.length === 0 ||
    !t.containers.every((c) => typeof c?.image === 'string' && c.image)
  ) {
    throw invalid(
      'Violation in CreateServiceRequest.service.template.containers: every container must name an image.',
      'service.template.containers',
    );
  }
  t.containers.forEach((c, i) => {
    if (!isImagePath(c.image!)) {
      throw invalid(
        `service.template.containers[${i}].image: Expected an image path like [host/]repo-path[:tag and/or @digest], where host is one of [region.]gcr.io, [region-]docker.pkg.dev or docker.io but obtained ${c.image}`,
        `service.template.containers[${i}].image`,
      );
    }
  });
  return t as Record<string, unknown>;
}

/**
 * Run admits only a well-formed image reference from a registry it can pull from (Google's 400),
 * so markup or a `javascript:` URL never becomes a service's image: the plan shows what Google keeps.
 */
const IMAGE_HOST = /^(?:[a-z]+(?:-[a-z]+)*\.)?gcr\.io$|^(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?docker\.pkg\.dev$|^docker\.io$/;
const IMAGE_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const IMAGE_DIGEST = /^sha256:[a-f0-9]{64}$/;

function isImagePath(image: string): boolean {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  if (digest !== undefined && !IMAGE_DIGEST.test(digest)) return false;
  let rest = at >= 0 ? image.slice(0, at) : image;
  const parts = rest.split('/');
  const explicitHost = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]);
  if (explicitHost && !IMAGE_HOST.test(parts.shift()!)) return false;
  rest = parts.join('/');
  const colon = rest.lastIndexOf(':');
  const tag = colon >= 0 ? rest.slice(colon + 1) : undefined;
  if (tag !== undefined && !IMAGE_TAG.test(tag)) return false;
  const path = (colon >= 0 ? rest.slice(0, colon) : rest).split('/');
  return path.length > 0 && path.every((c) => IMAGE_COMPONENT.test(c));
}

/** The template as Run returns it: defaults filled in. */
function normalizeTemplate(template: Record<string, unknown>): Record<string, unknown> {
  const containers = (template.containers as Array<Record<string, unknown>>).map((c) => ({
    ...c,
    resources: (c.resources as object | undefined) ?? {
      limits: { cpu: '1000m', memory: '512Mi' },
      cpuIdle: true,
      startupCpuBoost: true,
    },
    ports: (c.ports as object | undefined) ?? [{ name: 'http1', containerPort: 8080 }],
  }));
  return {
    scaling: { maxInstanceCount: 100 },
    timeout: '300s',
    maxInstanceRequestConcurrency: 80,
    ...template,
    containers,
  };
}

function write(
  ctx: EmuContext,
  name: string,
  given: Record<string, unknown>,
  previous?: ResourceEntry,
): Record<string, unknown> {
  const generation = previous ? Number(previous.body.generation) + 1 : 1;
  const now = nowIso(ctx);
  const template = normalizeTemplate(validateTemplate(given.template ?? previous?.body.template));
  const revision = revisionName(name, generation);
  const body: Record<string, unknown> = {
    ...(previous?.body ?? {}),
    name,
    uid: previous?.body.uid ?? uid(),
    generation: String(generation),
    createTime: previous?.body.createTime ?? now,
    updateTime: now,
    creator: previous?.body.creator ?? CREATOR,
    lastModifier: CREATOR,
    ingress: (given.ingress as string | undefined) ?? previous?.body.ingress ?? 'INGRESS_TRAFFIC_ALL',
    launchStage: (given.launchStage as string | undefined) ?? previous?.body.launchStage ?? 'GA',
    template,
    traffic: (given.traffic as unknown[] | undefined) ??
      previous?.body.traffic ?? [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    latestCreatedRevision: `${name}/revisions/${revision}`,
    etag: quotedEtag(),
    _previousReadyRevision: previous ? readyRevision(previous, ctx) : undefined,
  };
  for (const field of [
    'labels',
    'annotations',
    'description',
    'client',
    'clientVersion',
    'binaryAuthorization',
    'invokerIamDisabled',
  ]) {
    if (given[field] !== undefined) body[field] = given[field];
  }
  const missing = missingImage(ctx, template);
  const failure = missing
    ? {
        code: 9,
        message: `Revision '${revision}' is not ready and cannot serve traffic. Image '${missing}' not found.`,
      }
    : undefined;
  const readyAt = ctx.now() + ctx.faults.lroDelayMs;
  ctx.store.put(name, { kind: KIND, body, readyAt, ...(failure ? { failure } : {}) });
  ctx.store.put(`${name}/revisions/${revision}`, {
    kind: REVISION_KIND,
    body: revisionBody(ctx, name, revision, generation, template),
    readyAt,
    ...(failure ? { failure } : {}),
  });
  return body;
}

/** Cloud Run imports the image when it deploys: one its registry does not hold fails the revision. */
function missingImage(ctx: EmuContext, template: Record<string, unknown>): string | undefined {
  for (const c of template.containers as Array<{ image: string }>) {
    if (PUBLIC_IMAGES.some((rule) => rule.test(c.image))) continue;
    if (!findImage(ctx, c.image)) return c.image;
  }
  return undefined;
}

function revisionBody(
  ctx: EmuContext,
  service: string,
  revision: string,
  generation: number,
  template: Record<string, unknown>,
): Record<string, unknown> {
  const now = nowIso(ctx);
  const { scaling, timeout, maxInstanceRequestConcurrency, containers, serviceAccount } = template;
  return {
    name: `${service}/revisions/${revision}`,
    uid: uid(),
    generation: '1',
    createTime: now,
    updateTime: now,
    launchStage: 'GA',
    service,
    scaling,
    timeout,
    maxInstanceRequestConcurrency,
    ...(serviceAccount ? { serviceAccount } : {}),
    containers,
    executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
    labels: { 'serving.knative.dev/configurationGeneration': String(generation) },
    etag: quotedEtag(),
  };
}

function readyRevision(entry: ResourceEntry, ctx: EmuContext): string | undefined {
  const ready = !entry.failure && (entry.readyAt === undefined || ctx.now() >= entry.readyAt);
  return (ready ? entry.body.latestCreatedRevision : entry.body._previousReadyRevision) as string | undefined;
}

export function runServiceUrl(ctx: EmuContext, name: string): string {
  const [, project, , location, , service] = name.split('/');
  return `${ctx.baseUrl}${RUN_URL_PREFIX}${project}/${location}/${service}`;
}

export function serviceView(name: string, entry: ResourceEntry, ctx: EmuContext): Record<string, unknown> {
  const { _previousReadyRevision: _prev, ...body } = entry.body;
  const reconciling = entry.readyAt !== undefined && ctx.now() < entry.readyAt;
  const transition = new Date(
    reconciling ? Date.parse(String(body.updateTime)) : (entry.readyAt ?? ctx.now()),
  ).toISOString();
  const failed = !reconciling && entry.failure;
  const state = reconciling ? 'CONDITION_RECONCILING' : failed ? 'CONDITION_FAILED' : 'CONDITION_SUCCEEDED';
  const latestReady = readyRevision(entry, ctx);
  const uri = ctx.faults.runServiceUri ?? runServiceUrl(ctx, name);
  // A failed revision: the service's Ready condition carries the reason, as Google's v2 Service does.
  const why = failed ? { message: entry.failure!.message, reason: 'REVISION_FAILED' } : {};
  return {
    ...body,
    observedGeneration: body.generation,
    terminalCondition: { type: 'Ready', state, ...why, lastTransitionTime: transition },
    conditions: [
      { type: 'RoutesReady', state, ...why, lastTransitionTime: transition },
      { type: 'ConfigurationsReady', state, ...why, lastTransitionTime: transition },
    ],
    ...(latestReady ? { latestReadyRevision: latestReady } : {}),
    trafficStatuses: latestReady ? [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }] : [],
    uri,
    urls: [uri],
    reconciling,
  };
}

function operation(ctx: EmuContext, name: string): Reply {
  const [, project, , location] = name.split('/');
  const entry = ctx.store.get(name)!;
  return ok(
    startOperation(ctx, {
      name: locationOperationName(project, location),
      api: 'run',
      metadata: { '@type': SERVICE_TYPE, ...serviceView(name, entry, ctx) },
      responseRef: name,
      responseType: SERVICE_TYPE,
      ...(entry.failure ? { error: entry.failure } : {}),
    }),
  );
}

function create(req: EmuRequest, ctx: EmuContext): Reply {
  const id = requireId(req, 'serviceId', SERVICE_ID);
  const name = `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}/services/${id}`;
  if (ctx.store.get(name)) throw alreadyExists(name);
  write(ctx, name, req.body);
  return operation(ctx, name);
}

function patch(req: EmuRequest, ctx: EmuContext): Reply {
  const name = nameOf(ctx, req);
  const previous = ctx.store.get(name);
  if (!previous && req.query.get('allowMissing') !== 'true') throw notFound(name);
  if (previous && typeof req.body.etag === 'string' && req.body.etag !== previous.body.etag) {
    throw new ApiFault(
      'ABORTED',
      `The etag '${req.body.etag}' does not match the current etag of ${name}: read the service again and retry.`,
    );
  }
  write(ctx, name, req.body, previous);
  return operation(ctx, name);
}

/** A revision as v2 returns it: reconciling while its deploy runs, its conditions after. */
function revisionView(name: string, entry: ResourceEntry, ctx: EmuContext): Record<string, unknown> {
  const reconciling = entry.readyAt !== undefined && ctx.now() < entry.readyAt;
  const state = reconciling ? 'CONDITION_RECONCILING' : entry.failure ? 'CONDITION_FAILED' : 'CONDITION_SUCCEEDED';
  const why = entry.failure && !reconciling ? { message: entry.failure.message } : {};
  const transition = new Date(entry.readyAt ?? ctx.now()).toISOString();
  return {
    ...entry.body,
    reconciling,
    observedGeneration: '1',
    conditions: [
      { type: 'Ready', state, ...why, lastTransitionTime: transition },
      { type: 'ContainerHealthy', state, lastTransitionTime: transition },
      { type: 'ResourcesAvailable', state, lastTransitionTime: transition },
    ],
  };
}

export function runRoutes(): Route[] {
  const api = 'run' as const;
  const base = '/v2/projects/{project}/locations/{location}/services';
  return [
    {
      api,
      method: 'GET',
      template: `${base}/{service}/revisions/{revision}`,
      permission: 'run.revisions.get',
      handle: (req, ctx) => {
        const name = `${nameOf(ctx, req)}/revisions/${req.params.revision}`;
        const entry = ctx.store.get(name);
        if (!entry) throw notFound(name);
        return ok(revisionView(name, entry, ctx));
      },
    },
    {
      api,
      method: 'GET',
      template: `${base}/{service}/revisions`,
      permission: 'run.revisions.list',
      handle: (req, ctx) => {
        const revisions = ctx.store
          .list(REVISION_KIND, `${nameOf(ctx, req)}/revisions/`)
          .map(([n, e]) => revisionView(n, e, ctx))
          .reverse();
        return ok(revisions.length ? { revisions } : {});
      },
    },
    { api, method: 'POST', template: base, permission: 'run.services.create', handle: create },
    {
      api,
      method: 'GET',
      template: `${base}/{service}`,
      permission: 'run.services.get',
      handle: (req, ctx) => {
        const name = nameOf(ctx, req);
        const entry = ctx.store.get(name);
        if (!entry) throw notFound(name);
        return ok(serviceView(name, entry, ctx));
      },
    },
    { api, method: 'PATCH', template: `${base}/{service}`, permission: 'run.services.update', handle: patch },
    {
      api,
      method: 'DELETE',
      template: `${base}/{service}`,
      permission: 'run.services.delete',
      handle: (req, ctx) => {
        const name = nameOf(ctx, req);
        const entry = ctx.store.get(name);
        if (!entry) throw notFound(name);
        const response = serviceView(name, entry, ctx);
        ctx.store.delete(name);
        // A service's revisions go with it, as on Cloud Run.
        for (const [revision] of ctx.store.list(REVISION_KIND, `${name}/revisions/`)) ctx.store.delete(revision);
        return ok(
          startOperation(ctx, {
            name: locationOperationName(projectId(ctx, req.params.project), req.params.location),
            api: 'run',
            response,
            responseType: 'type.googleapis.com/google.cloud.run.v2.Service',
          }),
        );
      },
    },
    {
      api,
      method: 'GET',
      template: base,
      permission: 'run.services.list',
      handle: (req, ctx) => {
        const prefix = `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}/services/`;
        const services = ctx.store.list(KIND, prefix).map(([n, e]) => serviceView(n, e, ctx));
        return ok(services.length ? { services } : {});
      },
    },
  ];
}

/**
 * A deployed service's own URL. Private unless `invokerIamDisabled`, as Cloud Run
 * services are by default: no token is 403, a token that is not an ID token the
 * emulator issued for this URL is 401 (Google's answers and pages). Ready services
 * answer 200 after the configured latency.
 */
export async function handleRunServiceUrl(
  path: string,
  authorization: string | undefined,
  ctx: EmuContext,
): Promise<Reply> {
  const [project, location, service, ...rest] = path.slice(RUN_URL_PREFIX.length).split('/');
  const name = `projects/${project}/locations/${location}/services/${service}`;
  const entry = ctx.store.get(name);
  if (!entry) return { status: 404, body: { error: `No Cloud Run service ${name} in the emulator.` } };
  const view = serviceView(name, entry, ctx);
  if (view.invokerIamDisabled !== true) {
    const denied = invokerDenied(authorization, String(view.uri), `/${rest.join('/')}`, ctx);
    if (denied) return denied;
  }
  if (view.reconciling) return { status: 503, body: { error: `${service} is still deploying.` } };
  if (!view.latestReadyRevision) return { status: 503, body: { error: `${service} has no ready revision.` } };
  if (ctx.faults.runServiceLatencyMs > 0) await new Promise((r) => setTimeout(r, ctx.faults.runServiceLatencyMs));
  const revision = String(view.latestReadyRevision).split('/').pop();
  return { status: 200, body: { status: 'ok', service, revision, path: `/${rest.join('/')}` } };
}

function invokerDenied(
  authorization: string | undefined,
  uri: string,
  path: string,
  ctx: EmuContext,
): Reply | undefined {
  const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token)
    return {
      status: 403,
      body: googlePage(
        403,
        'Forbidden',
        `Your client does not have permission to get URL <code>${escapeHtml(path)}</code> from this server.`,
      ),
    };
  const problem = idTokenProblem(ctx.store, token, uri, ctx.now());
  if (!problem) return undefined;
  return {
    status: 401,
    headers: {
      'www-authenticate': 'Bearer error="invalid_token" error_description="The access token could not be verified"',
    },
    body: googlePage(
      401,
      'Unauthorized',
      'Your client does not have permission to the requested URL <code>' + escapeHtml(path) + '</code>.',
    ),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The HTML error page Google's front end serves for a private Cloud Run service. */
function googlePage(code: number, title: string, text: string): string {
  return `<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n<title>${code} ${title}</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n<h1>Error: ${title}</h1>\n<h2>${text}</h2>\n<h2></h2>\n</body></html>\n`;
}

export const runViews = { [KIND]: serviceView, [REVISION_KIND]: revisionView };
