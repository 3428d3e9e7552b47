/**
 * Cloud Storage JSON API v1 objects: https://cloud.google.com/storage/docs/json_api/v1/objects
 * Media upload (`POST /upload/storage/v1/b/B/o?uploadType=media&name=N`), list with
 * prefix/delimiter (what `gcloud storage ls` sends), get (metadata, or `alt=media`).
 */
import { createHash } from 'node:crypto';
import { crc32c } from '../crc32c';
import { ApiFault } from '../faults';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import { nowIso } from './common';
import { bucketKey } from './storage';

const KIND = 'storage.object';

export const objectKey = (bucket: string, name: string) => `${bucketKey(bucket)}/o/${name}`;

function requireBucket(ctx: EmuContext, bucket: string): void {
  if (!ctx.store.get(bucketKey(bucket))) {
    throw new ApiFault('NOT_FOUND', 'The specified bucket does not exist.', [], 'notFound');
  }
}

/** Writes an object (also used by Cloud Build for its logs); returns its metadata. */
export function writeObject(
  ctx: EmuContext,
  bucket: string,
  name: string,
  data: Buffer,
  contentType: string,
): Record<string, unknown> {
  requireBucket(ctx, bucket);
  const previous = ctx.store.get(objectKey(bucket, name));
  const generation = String(Math.max(ctx.now() * 1000, Number(previous?.body.generation ?? 0) + 1));
  const now = nowIso(ctx);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32c(data));
  const encoded = encodeURIComponent(name);
  const body: Record<string, unknown> = {
    kind: 'storage#object',
    id: `${bucket}/${name}/${generation}`,
    selfLink: `${ctx.baseUrl}/storage/v1/b/${bucket}/o/${encoded}`,
    mediaLink: `${ctx.baseUrl}/download/storage/v1/b/${bucket}/o/${encoded}?generation=${generation}&alt=media`,
    name,
    bucket,
    generation,
    metageneration: '1',
    contentType,
    storageClass: 'STANDARD',
    size: String(data.length),
    md5Hash: createHash('md5').update(data).digest('base64'),
    crc32c: crc.toString('base64'),
    etag: Buffer.from(generation).toString('base64'),
    timeCreated: now,
    updated: now,
    timeStorageClassUpdated: now,
  };
  ctx.store.put(objectKey(bucket, name), { kind: KIND, body, data: data.toString('base64') });
  return body;
}

export function readObject(ctx: EmuContext, bucket: string, name: string): Buffer | undefined {
  const entry = ctx.store.get(objectKey(bucket, name));
  return entry?.data === undefined ? undefined : Buffer.from(entry.data, 'base64');
}

function upload(req: EmuRequest, ctx: EmuContext) {
  const name = req.query.get('name');
  const type = req.query.get('uploadType');
  if (type !== 'media') {
    throw new ApiFault(
      'INVALID_ARGUMENT',
      `Upload type '${type ?? ''}' is not supported here: use uploadType=media.`,
      [],
      'invalid',
    );
  }
  if (!name) throw new ApiFault('INVALID_ARGUMENT', 'Required parameter: name', [], 'required');
  return ok(writeObject(ctx, req.params.bucket, name, req.bytes, req.contentType || 'application/octet-stream'));
}

function list(req: EmuRequest, ctx: EmuContext) {
  requireBucket(ctx, req.params.bucket);
  const prefix = req.query.get('prefix') ?? '';
  const delimiter = req.query.get('delimiter') ?? '';
  const items: Array<Record<string, unknown>> = [];
  const prefixes = new Set<string>();
  const base = `${bucketKey(req.params.bucket)}/o/`;
  for (const [key, entry] of ctx.store.list(KIND, base + prefix)) {
    const name = key.slice(base.length);
    const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) prefixes.add(name.slice(0, cut + delimiter.length));
    else items.push(entry.body);
  }
  items.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return ok({
    kind: 'storage#objects',
    ...(prefixes.size ? { prefixes: [...prefixes].sort() } : {}),
    ...(items.length ? { items } : {}),
  });
}

function get(req: EmuRequest, ctx: EmuContext) {
  requireBucket(ctx, req.params.bucket);
  const entry = ctx.store.get(objectKey(req.params.bucket, req.params.object));
  if (!entry)
    throw new ApiFault('NOT_FOUND', `No such object: ${req.params.bucket}/${req.params.object}`, [], 'notFound');
  if (req.query.get('alt') === 'media') return ok(Buffer.from(entry.data ?? '', 'base64'));
  return ok(entry.body);
}

function remove(req: EmuRequest, ctx: EmuContext) {
  requireBucket(ctx, req.params.bucket);
  const key = objectKey(req.params.bucket, req.params.object);
  if (!ctx.store.get(key))
    throw new ApiFault('NOT_FOUND', `No such object: ${req.params.bucket}/${req.params.object}`, [], 'notFound');
  ctx.store.delete(key);
  return ok(undefined, 204);
}

function bucketProject(req: EmuRequest, ctx: EmuContext): string | undefined {
  const number = ctx.store.get(bucketKey(req.params.bucket))?.body.projectNumber;
  return typeof number === 'string' ? number : undefined;
}

export function storageObjectRoutes(): Route[] {
  const api = 'storage' as const;
  const project = bucketProject;
  return [
    {
      api,
      method: 'POST',
      template: '/upload/storage/v1/b/{bucket}/o',
      permission: 'storage.objects.create',
      project,
      media: true,
      handle: upload,
    },
    {
      api,
      method: 'GET',
      template: '/storage/v1/b/{bucket}/o',
      permission: 'storage.objects.list',
      project,
      handle: list,
    },
    {
      api,
      method: 'GET',
      template: '/storage/v1/b/{bucket}/o/{object=**}',
      permission: 'storage.objects.get',
      project,
      handle: get,
    },
    {
      api,
      method: 'DELETE',
      template: '/storage/v1/b/{bucket}/o/{object=**}',
      permission: 'storage.objects.delete',
      project,
      handle: remove,
    },
    {
      api,
      method: 'GET',
      template: '/download/storage/v1/b/{bucket}/o/{object=**}',
      permission: 'storage.objects.get',
      project,
      handle: get,
    },
  ];
}
