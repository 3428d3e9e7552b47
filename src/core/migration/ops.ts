/**
 * Building blocks the phases share: LRO-aware creates, Service Usage enablement,
 * and read-modify-write of the project IAM policy.
 */
import type { GcpApi, GcpRequest, LongRunningOperation } from '../gcp/types';
import { isStatus } from './gcp-errors';
import type { PhaseId } from './catalog';
import type { FieldDiff, Resource, StepContext } from './types';

/** Sends a create/update that answers with an Operation and waits for its response. */
export async function requestAndWait<R>(ctx: StepContext, req: Omit<GcpRequest, 'signal'>): Promise<R> {
  const op = await ctx.gcp.request<LongRunningOperation<R>>({ ...req, signal: ctx.signal });
  return ctx.gcp.waitForOperation<R>(req.api as GcpApi, op, {
    signal: ctx.signal,
    origin: `${req.method} ${req.path}`,
  });
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface ServicesLive {
  enabled: string[];
  disabled: string[];
}

/** The service names of the APIs the phases call (as Service Usage knows them). */
export const SERVICES = {
  iam: 'iam.googleapis.com',
  resourceManager: 'cloudresourcemanager.googleapis.com',
  artifactRegistry: 'artifactregistry.googleapis.com',
  storage: 'storage.googleapis.com',
  workstations: 'workstations.googleapis.com',
  firestore: 'firestore.googleapis.com',
  secretManager: 'secretmanager.googleapis.com',
  run: 'run.googleapis.com',
  cloudBuild: 'cloudbuild.googleapis.com',
} as const;

/** Service Usage allows at most 20 services per batchEnable. */
export const BATCH_ENABLE_MAX = 20;

export function servicesResource(options: {
  id: string;
  phase: PhaseId;
  title: string;
  services: (ctx: StepContext) => string[];
  dependsOn?: string[];
  /** The services it enables whatever the configuration says, for the steps that wait on them (`apis`). */
  enables?: string[];
  apis?: string[];
}): Resource<ServicesLive> {
  const enable = async (ctx: StepContext, services: string[]): Promise<ServicesLive | undefined> => {
    const p = ctx.config.projectId;
    // One service (a per-API step) goes through services.enable, the method for one; more
    // through batchEnable, at most 20 a call. Enabling an enabled service is a no-op, so a
    // retried call is safe.
    await Promise.all(
      chunks(services, BATCH_ENABLE_MAX).map((serviceIds) =>
        requestAndWait(
          ctx,
          serviceIds.length === 1
            ? {
                api: 'serviceusage',
                method: 'POST',
                path: `/v1/projects/${p}/services/${serviceIds[0]}:enable`,
                body: {},
                idempotent: true,
              }
            : {
                api: 'serviceusage',
                method: 'POST',
                path: `/v1/projects/${p}/services:batchEnable`,
                body: { serviceIds },
                idempotent: true,
              },
        ),
      ),
    );
    return undefined;
  };
  return {
    kind: 'resource',
    id: options.id,
    phase: options.phase,
    title: options.title,
    dependsOn: options.dependsOn ?? [],
    ...(options.enables ? { enables: options.enables } : {}),
    ...(options.apis ? { apis: options.apis } : {}),
    permissions: ['serviceusage.services.get', 'serviceusage.services.enable'],
    kept: 'an enabled API stays enabled (other workloads of the project may call it)',
    describe: (ctx) => `services ${options.services(ctx).join(', ')} on project ${ctx.config.projectId}`,
    async read(ctx) {
      const p = ctx.config.projectId;
      const states = await Promise.all(
        options.services(ctx).map(async (service) => {
          const path = `/v1/projects/${p}/services/${service}`;
          // Two steps may read one API (Core Infrastructure's and AI Coding's Gemini): once in a verify.
          const view = await ctx.readOnce(`GET serviceusage ${path}`, () =>
            ctx.gcp.request<{ state?: string }>({ api: 'serviceusage', method: 'GET', path, signal: ctx.signal }),
          );
          return { service, enabled: view.state === 'ENABLED' };
        }),
      );
      return {
        enabled: states.filter((s) => s.enabled).map((s) => s.service),
        disabled: states.filter((s) => !s.enabled).map((s) => s.service),
      };
    },
    create: (ctx) => enable(ctx, options.services(ctx)),
    diff: (_ctx, live) =>
      live.disabled.length ? [{ field: 'disabled services', live: live.disabled, desired: [] }] : [],
    update: (ctx, live) => enable(ctx, live.disabled),
    updateReason: (_ctx, live) => `enable ${live.disabled.join(', ')}`,
  };
}

interface Policy {
  version?: number;
  etag?: string;
  bindings?: { role: string; members?: string[]; condition?: unknown }[];
}

export interface Grant {
  role: string;
  member: string;
}

function missingGrants(policy: Policy, grants: readonly Grant[]): Grant[] {
  return grants.filter(
    (g) =>
      !(policy.bindings ?? []).some((b) => b.role === g.role && !b.condition && (b.members ?? []).includes(g.member)),
  );
}

async function getPolicy(ctx: StepContext): Promise<Policy> {
  return ctx.gcp.request<Policy>({
    api: 'cloudresourcemanager',
    method: 'POST',
    path: `/v3/projects/${ctx.config.projectId}:getIamPolicy`,
    body: { options: { requestedPolicyVersion: 3 } },
    idempotent: true,
    signal: ctx.signal,
  });
}

const POLICY_WRITE_ATTEMPTS = 6;

/**
 * Adds the grants by read-modify-write with the etag. Another writer in between makes
 * setIamPolicy answer 409 ABORTED; the whole cycle is then redone (bounded). Within
 * one engine, a mutex keeps our own two phases from racing each other.
 */
export async function addGrants(ctx: StepContext, grants: readonly Grant[]): Promise<Policy> {
  return ctx.mutexes.run('project-iam-policy', async () => {
    for (let attempt = 1; ; attempt++) {
      const policy = await getPolicy(ctx);
      const missing = missingGrants(policy, grants);
      if (missing.length === 0) return policy;
      const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...(b.members ?? [])] }));
      for (const grant of missing) {
        const binding = bindings.find((b) => b.role === grant.role && !b.condition);
        if (binding) binding.members.push(grant.member);
        else bindings.push({ role: grant.role, members: [grant.member] });
      }
      try {
        return await ctx.gcp.request<Policy>({
          api: 'cloudresourcemanager',
          method: 'POST',
          path: `/v3/projects/${ctx.config.projectId}:setIamPolicy`,
          body: { policy: { ...policy, bindings, version: Math.max(policy.version ?? 1, 1) } },
          // Safe to resend: the etag makes a duplicate fail with ABORTED instead of applying twice.
          idempotent: true,
          signal: ctx.signal,
        });
      } catch (error) {
        if (!isStatus(error, 'ABORTED') || attempt >= POLICY_WRITE_ATTEMPTS) throw error;
        ctx.retried();
        ctx.logger.debug(`IAM policy changed underneath (attempt ${attempt}); reading it again`);
      }
    }
  });
}

export function grantsResource(options: {
  id: string;
  phase: PhaseId;
  title: string;
  grants: (ctx: StepContext) => Grant[];
  dependsOn: string[];
  apis?: string[];
}): Resource<Policy> {
  return {
    kind: 'resource',
    id: options.id,
    phase: options.phase,
    title: options.title,
    dependsOn: options.dependsOn,
    // The project IAM policy lives in Resource Manager.
    apis: options.apis ?? [SERVICES.resourceManager],
    permissions: ['resourcemanager.projects.getIamPolicy', 'resourcemanager.projects.setIamPolicy'],
    kept: 'role grants stay (taking a binding away could lock out whoever else relies on it)',
    describe: (ctx) => `IAM bindings on project ${ctx.config.projectId}`,
    // Both grant resources read the project's policy: once in a verify pass.
    read: (ctx) => ctx.readOnce(`getIamPolicy ${ctx.config.projectId}`, () => getPolicy(ctx)),
    create: (ctx) => addGrants(ctx, options.grants(ctx)),
    diff: (ctx, live): FieldDiff[] =>
      missingGrants(live, options.grants(ctx)).map((g) => ({
        field: `bindings[${g.role}]`,
        live: undefined,
        desired: g.member,
      })),
    update: (ctx) => addGrants(ctx, options.grants(ctx)),
  };
}

/** A GET that treats 404 as absent (the shape every resource's read has). */
/**
 * Teardown's DELETE: waits for the long-running operation where the API answers with
 * one; an object already gone (404) is the outcome wanted.
 */
export async function deleteResource(ctx: StepContext, api: GcpApi, path: string): Promise<void> {
  let answer: LongRunningOperation<unknown> | undefined;
  try {
    answer = await ctx.gcp.request<LongRunningOperation<unknown>>({ api, method: 'DELETE', path, signal: ctx.signal });
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) return;
    throw error;
  }
  // Some deletes answer a long-running operation, others an empty body.
  if (typeof answer?.name === 'string' && answer.name.includes('/operations/'))
    await ctx.gcp.waitForOperation(api, answer, { signal: ctx.signal, origin: `DELETE ${path}` });
}

export function getResource<T>(ctx: StepContext, api: GcpApi, path: string): Promise<T | undefined> {
  return ctx.gcp.getOrUndefined<T>(api, path, { signal: ctx.signal });
}
