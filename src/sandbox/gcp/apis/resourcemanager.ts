/**
 * Resource Manager project IAM policy (v3, and v1 for gcloud):
 * https://cloud.google.com/resource-manager/reference/rest/v3/projects/getIamPolicy
 * https://cloud.google.com/resource-manager/reference/rest/v3/projects/setIamPolicy
 * https://cloud.google.com/resource-manager/reference/rest/v3/projects/testIamPermissions
 * Policy shape: https://cloud.google.com/iam/docs/reference/rest/v1/Policy
 */
import { ApiFault, invalid } from '../faults';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import { newEtag, type Binding, type Policy } from '../store';
import { serviceAccountExists } from './iam';

const MEMBER =
  /^(user|serviceAccount|group|domain|principal|principalSet|deleted:(user|serviceAccount|group)):.+$|^(allUsers|allAuthenticatedUsers)$/;

function policyView(policy: Policy): Record<string, unknown> {
  const view: Record<string, unknown> = { version: policy.version, etag: policy.etag };
  if (policy.bindings.length) view.bindings = policy.bindings;
  return view;
}

function validateBindings(ctx: EmuContext, bindings: unknown): Binding[] {
  if (bindings === undefined) return [];
  if (!Array.isArray(bindings)) throw invalid('policy.bindings must be a list.', 'policy.bindings');
  return bindings.map((b, i) => {
    const binding = b as Binding;
    if (
      typeof binding.role !== 'string' ||
      !/^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/.+/.test(binding.role)
    ) {
      throw invalid(
        `Role (${String(binding.role)}) does not exist in the resource's hierarchy.`,
        `policy.bindings[${i}].role`,
      );
    }
    for (const member of binding.members ?? []) {
      if (!MEMBER.test(member)) throw invalid(`Invalid member ${member}.`, `policy.bindings[${i}].members`);
      const email = member.startsWith('serviceAccount:') ? member.slice('serviceAccount:'.length) : undefined;
      if (email?.endsWith('.iam.gserviceaccount.com') && !serviceAccountExists(ctx, email)) {
        throw invalid(`Service account ${email} does not exist.`, `policy.bindings[${i}].members`);
      }
    }
    return {
      role: binding.role,
      members: [...new Set(binding.members ?? [])].sort(),
      ...(binding.condition ? { condition: binding.condition } : {}),
    };
  });
}

/** `etag` is a proto bytes field: JSON clients may send it base64 or base64url (gcloud does the latter). */
function sameBytes(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  const bytes = (s: string) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes(a).equals(bytes(b));
}

function setPolicy(req: EmuRequest, ctx: EmuContext) {
  const project = ctx.store.project(req.params.project);
  const given = req.body.policy as Partial<Policy> | undefined;
  if (!given || typeof given !== 'object') throw invalid('The request is missing the policy.', 'policy');
  if (given.etag !== undefined && !sameBytes(given.etag, project.policy.etag)) {
    throw new ApiFault(
      'ABORTED',
      `There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. The request's ETag '${given.etag}' did not match the current policy's ETag '${project.policy.etag}'.`,
    );
  }
  const bindings = validateBindings(ctx, given.bindings).filter((b) => b.members.length > 0);
  const hasCondition = bindings.some((b) => b.condition);
  const version = given.version ?? 1;
  if (hasCondition && version < 3) throw invalid('Policies with conditions must set version 3.', 'policy.version');
  project.policy = { version: hasCondition ? 3 : Math.max(1, version), etag: newEtag(), bindings };
  ctx.store.touch();
  return ok(policyView(project.policy));
}

function testPermissions(req: EmuRequest, ctx: EmuContext) {
  ctx.store.project(req.params.project);
  const asked = req.body.permissions;
  if (!Array.isArray(asked)) throw invalid('permissions must be a list.', 'permissions');
  if (asked.length > 100) throw invalid('At most 100 permissions may be tested per request.', 'permissions');
  const granted = asked.map(String).filter((p) => !ctx.faults.deniedPermissions.includes(p));
  return ok(granted.length ? { permissions: granted } : {});
}

function projectView(req: EmuRequest, ctx: EmuContext, v3: boolean) {
  const p = ctx.store.project(req.params.project);
  if (v3) {
    return ok({
      name: `projects/${p.number}`,
      projectId: p.projectId,
      state: 'ACTIVE',
      displayName: p.projectId,
      createTime: p.createTime,
      etag: `W/"${p.policy.etag}"`,
    });
  }
  return ok({
    projectNumber: p.number,
    projectId: p.projectId,
    lifecycleState: 'ACTIVE',
    name: p.projectId,
    createTime: p.createTime,
  });
}

export function resourceManagerRoutes(): Route[] {
  const api = 'cloudresourcemanager' as const;
  const routes: Route[] = [];
  for (const version of ['v3', 'v1']) {
    routes.push(
      {
        api,
        method: 'POST',
        template: `/${version}/projects/{project}:getIamPolicy`,
        permission: 'resourcemanager.projects.getIamPolicy',
        handle: (req, ctx) => ok(policyView(ctx.store.project(req.params.project).policy)),
      },
      {
        api,
        method: 'POST',
        template: `/${version}/projects/{project}:setIamPolicy`,
        permission: 'resourcemanager.projects.setIamPolicy',
        handle: setPolicy,
      },
      { api, method: 'POST', template: `/${version}/projects/{project}:testIamPermissions`, handle: testPermissions },
      {
        api,
        method: 'GET',
        template: `/${version}/projects/{project}`,
        permission: 'resourcemanager.projects.get',
        handle: (req, ctx) => projectView(req, ctx, version === 'v3'),
      },
    );
  }
  return routes;
}
