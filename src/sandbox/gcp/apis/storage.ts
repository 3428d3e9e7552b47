/**
 * Cloud Storage JSON API v1 buckets: https://cloud.google.com/storage/docs/json_api/v1/buckets
 * Bucket names are global, and errors use Storage's own dialect.
 */
import { ApiFault, notFound } from '../faults';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import { nowIso, projectId, str } from './common';

/** storage-objects.ts's kind: read here without importing it (it imports this file). */
const OBJECT_KIND = 'storage.object';

const KIND = 'storage.bucket';
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
const MULTI_REGIONS = ['US', 'EU', 'ASIA'];
const DUAL_REGIONS = ['NAM4', 'EUR4', 'ASIA1', 'EUR5', 'EUR7', 'EUR8'];

export function bucketKey(name: string): string {
  return `b/${name}`;
}

function locationType(location: string): string {
  if (MULTI_REGIONS.includes(location)) return 'multi-region';
  if (DUAL_REGIONS.includes(location)) return 'dual-region';
  return 'region';
}

function create(req: EmuRequest, ctx: EmuContext) {
  const projectParam = req.query.get('project');
  if (!projectParam) throw new ApiFault('INVALID_ARGUMENT', 'Required parameter: project', [], 'required');
  const project = ctx.store.project(projectParam);
  const name = str(req.body.name) ?? '';
  if (!BUCKET_NAME.test(name) || name.includes('..') || name.startsWith('goog')) {
    throw new ApiFault('INVALID_ARGUMENT', `Invalid bucket name: '${name}'`, [], 'invalid');
  }
  const existing = ctx.store.get(bucketKey(name));
  if (existing) {
    const mine = existing.body.projectNumber === project.number;
    throw new ApiFault(
      'ALREADY_EXISTS',
      mine
        ? 'Your previous request to create the named bucket succeeded and you already own it.'
        : 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
      [],
      'conflict',
    );
  }
  const location = (str(req.body.location) ?? 'US').toUpperCase();
  const now = nowIso(ctx);
  const ubla = Boolean(
    (req.body.iamConfiguration as { uniformBucketLevelAccess?: { enabled?: boolean } } | undefined)
      ?.uniformBucketLevelAccess?.enabled,
  );
  const pap =
    (req.body.iamConfiguration as { publicAccessPrevention?: string } | undefined)?.publicAccessPrevention ??
    'inherited';
  const body: Record<string, unknown> = {
    kind: 'storage#bucket',
    selfLink: `${ctx.baseUrl}/storage/v1/b/${name}`,
    id: name,
    name,
    projectNumber: project.number,
    generation: String(Date.now() * 1000),
    metageneration: '1',
    location,
    storageClass: str(req.body.storageClass) ?? 'STANDARD',
    etag: 'CAE=',
    timeCreated: now,
    updated: now,
    softDeletePolicy: { retentionDurationSeconds: '604800', effectiveTime: now },
    iamConfiguration: {
      bucketPolicyOnly: { enabled: ubla, ...(ubla ? { lockedTime: lockedTime(ctx) } : {}) },
      uniformBucketLevelAccess: { enabled: ubla, ...(ubla ? { lockedTime: lockedTime(ctx) } : {}) },
      publicAccessPrevention: pap,
    },
    locationType: locationType(location),
    rpo: 'DEFAULT',
  };
  if (req.body.labels) body.labels = req.body.labels;
  if (req.body.versioning) body.versioning = req.body.versioning;
  ctx.store.put(bucketKey(name), { kind: KIND, body });
  return ok(body);
}

/** Uniform access may be turned off again for 90 days: Google reports when it locks. */
function lockedTime(ctx: EmuContext): string {
  return new Date(ctx.now() + 90 * 24 * 3600_000).toISOString();
}

function bucketProject(req: EmuRequest, ctx: EmuContext): string | undefined {
  const number = ctx.store.get(bucketKey(req.params.bucket))?.body.projectNumber;
  return typeof number === 'string' ? number : undefined;
}

function missingBucket(name: string): ApiFault {
  const fault = notFound(name);
  return new ApiFault('NOT_FOUND', 'The specified bucket does not exist.', fault.details, 'notFound');
}

export function storageRoutes(): Route[] {
  const api = 'storage' as const;
  return [
    {
      api,
      method: 'POST',
      template: '/storage/v1/b',
      permission: 'storage.buckets.create',
      project: (req) => req.query.get('project') ?? undefined,
      handle: create,
    },
    {
      api,
      method: 'GET',
      template: '/storage/v1/b/{bucket}',
      permission: 'storage.buckets.get',
      project: bucketProject,
      handle: (req, ctx) => {
        const entry = ctx.store.get(bucketKey(req.params.bucket));
        if (!entry) throw missingBucket(req.params.bucket);
        return ok(entry.body);
      },
    },
    {
      api,
      method: 'DELETE',
      template: '/storage/v1/b/{bucket}',
      permission: 'storage.buckets.delete',
      project: bucketProject,
      handle: (req, ctx) => {
        if (!ctx.store.get(bucketKey(req.params.bucket))) throw missingBucket(req.params.bucket);
        // As Google: a bucket with objects is not deleted (409), its objects go first.
        if (ctx.store.list(OBJECT_KIND, `${bucketKey(req.params.bucket)}/o/`).length > 0)
          throw new ApiFault('ABORTED', 'The bucket you tried to delete is not empty.', [], 'conflict');
        ctx.store.delete(bucketKey(req.params.bucket));
        return ok(undefined, 204);
      },
    },
    {
      api,
      method: 'GET',
      template: '/storage/v1/b',
      permission: 'storage.buckets.list',
      project: (req) => req.query.get('project') ?? undefined,
      handle: (req, ctx) => {
        const projectParam = req.query.get('project');
        if (!projectParam) throw new ApiFault('INVALID_ARGUMENT', 'Required parameter: project', [], 'required');
        const number = ctx.store.project(projectId(ctx, projectParam)).number;
        const items = ctx.store
          .list(KIND, 'b/')
          .map(([, e]) => e.body)
          .filter((b) => b.projectNumber === number)
          .sort((a, b) => String(a.name).localeCompare(String(b.name)));
        return ok(items.length ? { kind: 'storage#buckets', items } : { kind: 'storage#buckets' });
      },
    },
  ];
}
