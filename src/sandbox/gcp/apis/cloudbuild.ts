/**
 * Cloud Build v1 builds: https://cloud.google.com/build/docs/api/reference/rest/v1/projects.locations.builds
 * A build "runs" by checking its source: the Storage object must exist and be a gzipped
 * tarball with a Dockerfile at its root. When its operation is done it pushes `images`
 * into Artifact Registry (digest from the source, so the same source gives the same
 * digest) and writes its log to `logsBucket`, as Cloud Build does.
 */
import { createHash, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { invalid } from '../faults';
import { locationOperationName, startOperation } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import type { ResourceEntry } from '../store';
import { mustGet, nowIso, page, projectId } from './common';
import { registerImage } from './artifactregistry';
import { readObject, writeObject } from './storage-objects';

const KIND = 'cloudbuild.build';
const TYPE = 'type.googleapis.com/google.devtools.cloudbuild.v1';

interface StorageSource {
  bucket?: string;
  object?: string;
  generation?: string;
}

/** File names in a tar archive (ustar: prefix + name). */
export function tarEntries(tar: Buffer): string[] {
  const names: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : '') + field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    if (['0', '', '\0'].includes(field(156, 1)) || header[156] === 0) names.push(name.replace(/^\.\//, ''));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

/** Why the build fails, or undefined when it succeeds. */
function checkSource(ctx: EmuContext, source: StorageSource): { problem?: string; digest: string; files: string[] } {
  const data = source.bucket && source.object ? readObject(ctx, source.bucket, source.object) : undefined;
  if (!data)
    return { problem: `storage object gs://${source.bucket}/${source.object} not found`, digest: '', files: [] };
  const digest = createHash('sha256').update(data).digest('hex');
  let files: string[];
  try {
    files = tarEntries(gunzipSync(data));
  } catch {
    return { problem: `gs://${source.bucket}/${source.object} is not a gzipped tarball`, digest, files: [] };
  }
  if (!files.includes('Dockerfile')) {
    return {
      problem:
        'unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat /workspace/Dockerfile: no such file or directory',
      digest,
      files,
    };
  }
  return { digest, files };
}

function create(req: EmuRequest, ctx: EmuContext) {
  const project = projectId(ctx, req.params.project);
  const location = req.params.location;
  const source = (req.body.source as { storageSource?: StorageSource } | undefined)?.storageSource;
  if (!source?.bucket || !source.object) {
    throw invalid('Build source is required: give source.storageSource with bucket and object.', 'build.source');
  }
  const steps = req.body.steps as Array<{ name?: string; args?: string[] }> | undefined;
  if (!Array.isArray(steps) || steps.length === 0 || steps.some((s) => typeof s?.name !== 'string')) {
    throw invalid('Build has no steps: give at least one step with a name (the builder image).', 'build.steps');
  }
  const images = ((req.body.images as unknown[]) ?? []).map(String);
  const id = randomUUID();
  const name = `projects/${project}/locations/${location}/builds/${id}`;
  const checked = checkSource(ctx, source);
  const number = ctx.store.project(project).number;
  const now = nowIso(ctx);
  const body: Record<string, unknown> = {
    name,
    id,
    projectId: project,
    source: { storageSource: source },
    steps: steps.map((s) => ({ ...s })),
    createTime: now,
    timeout: req.body.timeout ?? '600s',
    queueTtl: '3600s',
    images,
    ...(req.body.tags ? { tags: req.body.tags } : {}),
    ...(req.body.logsBucket ? { logsBucket: req.body.logsBucket } : {}),
    options: req.body.options ?? { logging: 'LEGACY' },
    sourceProvenance: { resolvedStorageSource: source, fileHashes: {} },
    logUrl: `https://console.cloud.google.com/cloud-build/builds;region=${location}/${id}?project=${number}`,
    serviceAccount: `projects/${project}/serviceAccounts/${number}-compute@developer.gserviceaccount.com`,
  };
  const readyAt = ctx.now() + ctx.faults.lroDelayMs;
  const failure = checked.problem
    ? { code: 2, message: `Build failed; check build logs for details (${checked.problem})` }
    : undefined;
  ctx.store.put(name, {
    kind: KIND,
    body: { ...body, _sourceDigest: checked.digest, _problem: checked.problem },
    readyAt,
    ...(failure ? { failure } : {}),
  });
  const op = startOperation(ctx, {
    name: locationOperationName(project, location),
    api: 'cloudbuild',
    metadata: { '@type': `${TYPE}.BuildOperationMetadata`, build: buildView(name, ctx.store.get(name)!, ctx) },
    responseRef: name,
    responseType: `${TYPE}.Build`,
    ...(failure ? { error: failure } : {}),
  });
  return ok(op);
}

/** Finishes builds whose time has come: pushes their images and writes their logs (once). */
export function settleBuilds(ctx: EmuContext): void {
  for (const [name, entry] of ctx.store.list(KIND, 'projects/')) {
    if (entry.body._settled || (entry.readyAt ?? 0) > ctx.now()) continue;
    const results: Array<{ name: string; digest: string }> = [];
    const log = [`starting build "${String(entry.body.id)}"`, '', 'FETCHSOURCE'];
    let problem = entry.body._problem as string | undefined;
    if (!problem) {
      log.push('Step #0: Successfully built', '');
      for (const image of entry.body.images as string[]) {
        const digest = `sha256:${createHash('sha256')
          .update(`${String(entry.body._sourceDigest)} ${image.replace(/[:@].*$/, '')}`)
          .digest('hex')}`;
        const pushed = registerImage(ctx, image, digest, 48_000_000);
        if ('error' in pushed) {
          problem = pushed.error;
          break;
        }
        results.push({ name: image, digest });
        log.push(`PUSH`, `Pushing ${image}`, `${image.replace(/.*:/, '')}: digest: ${digest}`);
      }
    }
    log.push(problem ? `ERROR: ${problem}` : 'DONE');
    const failure = problem
      ? { code: 2, message: `Build failed; check build logs for details (${problem})` }
      : undefined;
    const settled: ResourceEntry = {
      ...entry,
      body: {
        ...entry.body,
        _settled: true,
        _problem: problem,
        finishTime: new Date(entry.readyAt ?? ctx.now()).toISOString(),
        ...(results.length
          ? { results: { images: results.map((r) => ({ ...r, pushTiming: {} })), buildStepImages: [] } }
          : {}),
      },
      ...(failure ? { failure } : {}),
    };
    ctx.store.put(name, settled);
    // A push that failed late fails the operation too.
    if (failure) {
      for (const op of Object.values(ctx.store.state.operations)) if (op.responseRef === name) op.error = failure;
    }
    const bucket = String(entry.body.logsBucket ?? '')
      .replace(/^gs:\/\//, '')
      .split('/')[0];
    if (bucket && ctx.store.get(`b/${bucket}`)) {
      writeObject(ctx, bucket, `log-${String(entry.body.id)}.txt`, Buffer.from(log.join('\n') + '\n'), 'text/plain');
    }
  }
}

function buildView(name: string, entry: ResourceEntry, ctx: EmuContext): Record<string, unknown> {
  const { _sourceDigest, _settled, _problem, ...body } = entry.body;
  const running = (entry.readyAt ?? 0) > ctx.now();
  const status = running ? 'WORKING' : _problem ? 'FAILURE' : 'SUCCESS';
  return {
    ...body,
    status,
    ...(running ? {} : { startTime: body.createTime }),
    ...(_problem && !running ? { statusDetail: String(_problem) } : {}),
    steps: (body.steps as Array<Record<string, unknown>>).map((s) => ({
      ...s,
      status: running ? 'WORKING' : _problem ? 'FAILURE' : 'SUCCESS',
    })),
    ...(_settled ? {} : { results: undefined }),
  };
}

export function cloudBuildRoutes(): Route[] {
  const api = 'cloudbuild' as const;
  const base = '/v1/projects/{project}/locations/{location}/builds';
  return [
    { api, method: 'POST', template: base, permission: 'cloudbuild.builds.create', handle: create },
    {
      api,
      method: 'GET',
      template: `${base}/{build}`,
      permission: 'cloudbuild.builds.get',
      handle: (req, ctx) => {
        const name = `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}/builds/${req.params.build}`;
        return ok(buildView(name, mustGet(ctx, name), ctx));
      },
    },
    {
      api,
      method: 'GET',
      template: base,
      permission: 'cloudbuild.builds.list',
      handle: (req, ctx) => {
        const prefix = `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}/builds/`;
        const builds = ctx.store
          .list(KIND, prefix)
          .map(([n, e]) => buildView(n, e, ctx))
          .reverse();
        const { items, nextPageToken } = page(builds, req);
        return ok({ ...(items.length ? { builds: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) });
      },
    },
  ];
}

export const cloudBuildViews = { [KIND]: buildView };
