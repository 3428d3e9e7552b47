/**
 * IAM v1 service accounts: https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiFault, invalid } from '../faults';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import type { ResourceEntry } from '../store';
import { nowIso, projectId, str } from './common';

const ACCOUNT_ID = /^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/;
const KIND = 'iam.serviceAccount';

function key(project: string, email: string): string {
  return `projects/${project}/serviceAccounts/${email}`;
}

export function serviceAccountEmail(project: string, accountId: string): string {
  return `${accountId}@${project}.iam.gserviceaccount.com`;
}

/** Finds an account by email or unique ID; 'projects/-' means "look it up by email". */
function find(ctx: EmuContext, projectSegment: string, idOrEmail: string): [string, ResourceEntry] | undefined {
  if (projectSegment === '-' || idOrEmail.includes('@')) {
    return ctx.store
      .list(KIND, 'projects/')
      .find(([, e]) => e.body.email === idOrEmail || e.body.uniqueId === idOrEmail);
  }
  const project = projectId(ctx, projectSegment);
  return ctx.store.list(KIND, `projects/${project}/`).find(([, e]) => e.body.uniqueId === idOrEmail);
}

function missing(projectSegment: string, account: string): ApiFault {
  return new ApiFault('NOT_FOUND', `Unknown service account`, [
    {
      '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
      resourceName: `projects/${projectSegment}/serviceAccounts/${account}`,
    },
  ]);
}

/** Exists check for Resource Manager's policy validation. */
export function serviceAccountExists(ctx: EmuContext, email: string): boolean {
  return ctx.store.list(KIND, 'projects/').some(([, e]) => e.body.email === email);
}

function create(req: EmuRequest, ctx: EmuContext) {
  const project = projectId(ctx, req.params.project);
  const accountId = str(req.body.accountId) ?? '';
  if (!ACCOUNT_ID.test(accountId)) {
    throw invalid(
      `Invalid account ID '${accountId}'. Account IDs must be 6 to 30 characters: lowercase letters, digits and hyphens, starting with a letter.`,
      'account_id',
    );
  }
  const email = serviceAccountEmail(project, accountId);
  const name = key(project, email);
  if (ctx.store.get(name)) {
    throw new ApiFault(
      'ALREADY_EXISTS',
      `Service account ${accountId} already exists within project projects/${project}.`,
      [{ '@type': 'type.googleapis.com/google.rpc.ResourceInfo', resourceName: name }],
    );
  }
  const given = (req.body.serviceAccount ?? {}) as Record<string, unknown>;
  const uniqueId = (BigInt('0x' + createHash('sha256').update(email).digest('hex').slice(0, 16)) % 10n ** 20n)
    .toString()
    .padStart(21, '1');
  const body: Record<string, unknown> = {
    name,
    projectId: project,
    uniqueId,
    email,
    etag: randomBytes(8).toString('base64'),
    oauth2ClientId: uniqueId,
  };
  if (str(given.displayName)) body.displayName = given.displayName;
  if (str(given.description)) body.description = given.description;
  ctx.store.put(name, { kind: KIND, body: { ...body, createTime: nowIso(ctx) } });
  return ok(body);
}

function publicView(entry: ResourceEntry): Record<string, unknown> {
  const { createTime: _createTime, ...body } = entry.body;
  return body;
}

export function iamRoutes(): Route[] {
  const api = 'iam' as const;
  const projectOf = (req: EmuRequest) => (req.params.project === '-' ? undefined : req.params.project);
  return [
    {
      api,
      method: 'POST',
      template: '/v1/projects/{project}/serviceAccounts',
      permission: 'iam.serviceAccounts.create',
      handle: create,
    },
    {
      api,
      method: 'GET',
      template: '/v1/projects/{project}/serviceAccounts/{account}',
      permission: 'iam.serviceAccounts.get',
      project: projectOf,
      handle: (req, ctx) => {
        const found = find(ctx, req.params.project, req.params.account);
        if (!found) throw missing(req.params.project, req.params.account);
        return ok(publicView(found[1]));
      },
    },
    {
      api,
      method: 'DELETE',
      template: '/v1/projects/{project}/serviceAccounts/{account}',
      permission: 'iam.serviceAccounts.delete',
      project: projectOf,
      handle: (req, ctx) => {
        const found = find(ctx, req.params.project, req.params.account);
        if (!found) throw missing(req.params.project, req.params.account);
        ctx.store.delete(found[0]);
        return ok({});
      },
    },
    {
      api,
      method: 'GET',
      template: '/v1/projects/{project}/serviceAccounts',
      permission: 'iam.serviceAccounts.list',
      handle: (req, ctx) => {
        const project = projectId(ctx, req.params.project);
        const accounts = ctx.store.list(KIND, `projects/${project}/`).map(([, e]) => publicView(e));
        return ok(accounts.length ? { accounts } : {});
      },
    },
  ];
}
