/**
 * Secret Manager v1: https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets
 * and .versions. Names carry the project number, as Google returns them; paths
 * accept the project ID or number.
 */
import { ApiFault, alreadyExists, invalid, notFound } from '../faults';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import type { ResourceEntry } from '../store';
import { nowIso, page, quotedEtag, str } from './common';
import { crc32c } from '../crc32c';

const SECRET = 'secretmanager.secret';
const VERSION = 'secretmanager.version';
const SECRET_ID = /^[a-zA-Z0-9_-]{1,255}$/;
const MAX_PAYLOAD = 64 * 1024;

function keys(ctx: EmuContext, req: EmuRequest) {
  const project = ctx.store.project(req.params.project);
  const key = `projects/${project.projectId}/secrets/${req.params.secret}`;
  const shown = `projects/${project.number}/secrets/${req.params.secret}`;
  return { project, key, shown };
}

function secretView(ctx: EmuContext, entry: ResourceEntry): Record<string, unknown> {
  const { nextVersion: _n, ...body } = entry.body;
  return body;
}

function versionView(entry: ResourceEntry): Record<string, unknown> {
  const { payload: _payload, ...body } = entry.body;
  return body;
}

function createSecret(req: EmuRequest, ctx: EmuContext) {
  const { key, shown } = keys(ctx, { ...req, params: { ...req.params, secret: req.query.get('secretId') ?? '' } });
  const id = req.query.get('secretId') ?? '';
  if (!SECRET_ID.test(id)) throw invalid(`Invalid secret id '${id}'.`, 'secret_id');
  if (ctx.store.get(key)) throw alreadyExists(shown);
  const replication = req.body.replication as Record<string, unknown> | undefined;
  if (!replication || (!replication.automatic && !replication.userManaged)) {
    throw invalid('Secret.replication must be set: automatic or userManaged.', 'secret.replication');
  }
  const body: Record<string, unknown> = {
    name: shown,
    replication,
    createTime: nowIso(ctx),
    etag: quotedEtag(),
    nextVersion: 1,
  };
  if (req.body.labels) body.labels = req.body.labels;
  if (req.body.annotations) body.annotations = req.body.annotations;
  ctx.store.put(key, { kind: SECRET, body });
  return ok(secretView(ctx, ctx.store.get(key)!));
}

function addVersion(req: EmuRequest, ctx: EmuContext) {
  const { key, shown } = keys(ctx, req);
  const secret = ctx.store.get(key);
  if (!secret) throw notFound(shown);
  const payload = (req.body.payload ?? {}) as { data?: unknown; dataCrc32c?: unknown };
  const data = str(payload.data);
  if (data === undefined || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(data))
    throw invalid('payload.data must be base64.', 'payload.data');
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length > MAX_PAYLOAD)
    throw invalid(`Secret payload is ${bytes.length} bytes; the limit is 65536.`, 'payload.data');
  const checksum = crc32c(bytes);
  if (payload.dataCrc32c !== undefined && String(payload.dataCrc32c) !== String(checksum)) {
    throw invalid(
      'Checksum mismatch: the CRC32C of payload.data does not match payload.data_crc32c.',
      'payload.data_crc32c',
    );
  }
  const number = Number(secret.body.nextVersion);
  secret.body.nextVersion = number + 1;
  const body = {
    name: `${shown}/versions/${number}`,
    createTime: nowIso(ctx),
    state: 'ENABLED',
    replicationStatus:
      secret.body.replication && (secret.body.replication as { automatic?: unknown }).automatic
        ? { automatic: {} }
        : { userManaged: {} },
    etag: quotedEtag(),
    clientSpecifiedPayloadChecksum: payload.dataCrc32c !== undefined,
    payload: { data: bytes.toString('base64'), dataCrc32c: String(checksum) },
  };
  ctx.store.put(`${key}/versions/${number}`, { kind: VERSION, body });
  return ok(versionView(ctx.store.get(`${key}/versions/${number}`)!));
}

function findVersion(ctx: EmuContext, req: EmuRequest): ResourceEntry {
  const { key, shown } = keys(ctx, req);
  if (!ctx.store.get(key)) throw notFound(shown);
  const wanted = req.params.version;
  let entry: ResourceEntry | undefined;
  if (wanted === 'latest') {
    entry = ctx.store
      .list(VERSION, `${key}/versions/`)
      .map(([, e]) => e)
      .filter((e) => e.body.state === 'ENABLED')
      .sort((a, b) => versionNumber(b) - versionNumber(a))[0];
  } else if (/^\d+$/.test(wanted)) {
    entry = ctx.store.get(`${key}/versions/${wanted}`);
  } else {
    throw invalid(`Invalid version '${wanted}': a number or 'latest'.`, 'name');
  }
  if (!entry) throw new ApiFault('NOT_FOUND', `Secret Version [${shown}/versions/${wanted}] not found.`);
  return entry;
}

function versionNumber(e: ResourceEntry): number {
  return Number(String(e.body.name).split('/').pop());
}

export function secretManagerRoutes(): Route[] {
  const api = 'secretmanager' as const;
  const secret = '/v1/projects/{project}/secrets/{secret}';
  return [
    {
      api,
      method: 'POST',
      template: '/v1/projects/{project}/secrets',
      permission: 'secretmanager.secrets.create',
      handle: createSecret,
    },
    {
      api,
      method: 'GET',
      template: '/v1/projects/{project}/secrets',
      permission: 'secretmanager.secrets.list',
      handle: (req, ctx) => {
        const project = ctx.store.project(req.params.project);
        const all = ctx.store.list(SECRET, `projects/${project.projectId}/secrets/`).map(([, e]) => secretView(ctx, e));
        const { items, nextPageToken } = page(all, req);
        return ok({
          ...(items.length ? { secrets: items } : {}),
          ...(nextPageToken ? { nextPageToken } : {}),
          totalSize: all.length,
        });
      },
    },
    {
      api,
      method: 'GET',
      template: secret,
      permission: 'secretmanager.secrets.get',
      handle: (req, ctx) => {
        const { key, shown } = keys(ctx, req);
        const entry = ctx.store.get(key);
        if (!entry) throw notFound(shown);
        return ok(secretView(ctx, entry));
      },
    },
    {
      api,
      method: 'DELETE',
      template: secret,
      permission: 'secretmanager.secrets.delete',
      handle: (req, ctx) => {
        const { key, shown } = keys(ctx, req);
        if (!ctx.store.get(key)) throw notFound(shown);
        for (const [name] of ctx.store.list(VERSION, `${key}/`)) ctx.store.delete(name);
        ctx.store.delete(key);
        return ok({});
      },
    },
    {
      api,
      method: 'POST',
      template: `${secret}:addVersion`,
      permission: 'secretmanager.versions.add',
      handle: addVersion,
    },
    {
      api,
      method: 'GET',
      template: `${secret}/versions`,
      permission: 'secretmanager.versions.list',
      handle: (req, ctx) => {
        const { key, shown } = keys(ctx, req);
        if (!ctx.store.get(key)) throw notFound(shown);
        const all = ctx.store
          .list(VERSION, `${key}/versions/`)
          .map(([, e]) => e)
          .sort((a, b) => versionNumber(b) - versionNumber(a))
          .map(versionView);
        const { items, nextPageToken } = page(all, req);
        return ok({
          ...(items.length ? { versions: items } : {}),
          ...(nextPageToken ? { nextPageToken } : {}),
          totalSize: all.length,
        });
      },
    },
    {
      api,
      method: 'GET',
      template: `${secret}/versions/{version}`,
      permission: 'secretmanager.versions.get',
      handle: (req, ctx) => ok(versionView(findVersion(ctx, req))),
    },
    {
      api,
      method: 'GET',
      template: `${secret}/versions/{version}:access`,
      permission: 'secretmanager.versions.access',
      handle: (req, ctx) => {
        const entry = findVersion(ctx, req);
        if (entry.body.state !== 'ENABLED') {
          throw new ApiFault(
            'FAILED_PRECONDITION',
            `Secret Version [${entry.body.name}] is in ${entry.body.state} state.`,
          );
        }
        return ok({ name: entry.body.name, payload: entry.body.payload });
      },
    },
    {
      api,
      method: 'POST',
      template: `${secret}/versions/{version}:destroy`,
      permission: 'secretmanager.versions.destroy',
      handle: destroyVersion,
    },
  ];
}

/** versions.destroy: the payload is gone for good; the version stays listed, DESTROYED. */
function destroyVersion(req: EmuRequest, ctx: EmuContext) {
  if (req.params.version === 'latest') throw invalid("Destroy needs a version number, not 'latest'.", 'name');
  const entry = findVersion(ctx, req);
  const etag = str(req.body.etag);
  if (etag !== undefined && etag !== entry.body.etag) {
    throw new ApiFault('FAILED_PRECONDITION', `The etag ${etag} does not match the version's current etag.`);
  }
  if (entry.body.state === 'DESTROYED') {
    throw new ApiFault('FAILED_PRECONDITION', `Secret Version [${entry.body.name}] is already in DESTROYED state.`);
  }
  delete entry.body.payload;
  Object.assign(entry.body, { state: 'DESTROYED', destroyTime: nowIso(ctx), etag: quotedEtag() });
  return ok(versionView(entry));
}
