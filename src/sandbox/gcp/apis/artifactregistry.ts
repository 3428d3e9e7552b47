/**
 * Artifact Registry v1 repositories:
 * https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories
 */
import { alreadyExists, invalid } from '../faults';
import { locationOperationName, startOperation } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import { listOf, mustGet, nowIso, page, projectId, requireId, str, view } from './common';

const KIND = 'artifactregistry.repository';
export const IMAGE_KIND = 'artifactregistry.dockerImage';
const IMAGE_URI =
  /^([a-z0-9-]+)-docker\.pkg\.dev\/([^/]+)\/([^/]+)\/([^@:]+)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/;

export interface ImageRef {
  location: string;
  project: string;
  repository: string;
  image: string;
  tag?: string;
  digest?: string;
}

/** 'us-central1-docker.pkg.dev/p/repo/img:tag' or '...@sha256:...' -> its parts; other registries: undefined. */
export function parseImageUri(uri: string): ImageRef | undefined {
  const m = IMAGE_URI.exec(uri);
  if (!m) return undefined;
  const [, location, project, repository, image, tag, digest] = m;
  return { location, project, repository, image, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

const repoName = (ref: ImageRef, ctx: EmuContext) =>
  `projects/${projectId(ctx, ref.project)}/locations/${ref.location}/repositories/${ref.repository}`;

/** The docker image an image URI names (by digest, else by tag, 'latest' when none), if the registry holds it. */
export function findImage(ctx: EmuContext, uri: string): Record<string, unknown> | undefined {
  const ref = parseImageUri(uri);
  if (!ref || !ctx.store.findProject(ref.project)) return undefined;
  const prefix = `${repoName(ref, ctx)}/dockerImages/${encodeURIComponent(ref.image)}@`;
  const images = ctx.store.list(IMAGE_KIND, prefix).map(([, e]) => e.body);
  if (ref.digest) return images.find((i) => String(i.name).endsWith(`@${ref.digest}`));
  const tag = ref.tag ?? 'latest';
  return images.find((i) => (i.tags as string[]).includes(tag));
}

/**
 * Registers a pushed image (Cloud Build's push step): the tag moves to the new digest,
 * as `docker push` moves it. Fails when the repository does not exist, as the push would.
 */
export function registerImage(
  ctx: EmuContext,
  uri: string,
  digest: string,
  sizeBytes: number,
): { name: string; uri: string } | { error: string } {
  const ref = parseImageUri(uri);
  if (!ref)
    return {
      error: `'${uri}' is not an Artifact Registry Docker image path (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[:TAG]).`,
    };
  if (!ctx.store.findProject(ref.project)) return { error: `denied: Permission denied on project ${ref.project}.` };
  const repo = repoName(ref, ctx);
  const repository = ctx.store.get(repo);
  if (!repository || repository.body.format !== 'DOCKER') {
    return {
      error: `name unknown: Repository "${ref.repository}" not found in ${ref.location} (project ${ref.project}).`,
    };
  }
  const tag = ref.tag ?? 'latest';
  const prefix = `${repo}/dockerImages/${encodeURIComponent(ref.image)}@`;
  for (const [name, entry] of ctx.store.list(IMAGE_KIND, prefix)) {
    const tags = entry.body.tags as string[];
    if (tags.includes(tag))
      ctx.store.put(name, { ...entry, body: { ...entry.body, tags: tags.filter((t) => t !== tag) } });
  }
  const name = `${prefix}${digest}`;
  const previous = ctx.store.get(name)?.body;
  const now = nowIso(ctx);
  const imageUri = `${ref.location}-docker.pkg.dev/${ref.project}/${ref.repository}/${ref.image}@${digest}`;
  const tags = [...new Set([...((previous?.tags as string[] | undefined) ?? []), tag])];
  ctx.store.put(name, {
    kind: IMAGE_KIND,
    body: {
      name,
      uri: imageUri,
      tags,
      imageSizeBytes: String(sizeBytes),
      uploadTime: previous?.uploadTime ?? now,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      buildTime: now,
      updateTime: now,
    },
  });
  return { name, uri: imageUri };
}
const FORMATS = ['DOCKER', 'MAVEN', 'NPM', 'APT', 'YUM', 'PYTHON', 'KFP', 'GO', 'GENERIC'];
const REPOSITORY_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function repositoryView(name: string, body: Record<string, unknown>): Record<string, unknown> {
  const [, project, , location, , id] = name.split('/');
  const host =
    body.format === 'DOCKER'
      ? `${location}-docker.pkg.dev`
      : `${location}-${String(body.format).toLowerCase()}.pkg.dev`;
  return { ...body, registryUri: `${host}/${project}/${id}` };
}

function create(req: EmuRequest, ctx: EmuContext) {
  const project = projectId(ctx, req.params.project);
  const id = requireId(req, 'repositoryId', REPOSITORY_ID);
  const name = `projects/${project}/locations/${req.params.location}/repositories/${id}`;
  if (ctx.store.get(name)) throw alreadyExists(name);
  const format = str(req.body.format) ?? 'FORMAT_UNSPECIFIED';
  if (!FORMATS.includes(format)) throw invalid(`Invalid repository format '${format}'.`, 'repository.format');
  const now = nowIso(ctx);
  const body: Record<string, unknown> = {
    name,
    format,
    ...(str(req.body.description) ? { description: req.body.description } : {}),
    ...(req.body.labels ? { labels: req.body.labels } : {}),
    createTime: now,
    updateTime: now,
    mode: str(req.body.mode) ?? 'STANDARD_REPOSITORY',
    satisfiesPzi: false,
  };
  ctx.store.put(name, { kind: KIND, body });
  const op = startOperation(ctx, {
    name: locationOperationName(project, req.params.location),
    api: 'artifactregistry',
    metadata: { '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata' },
    responseRef: name,
    responseType: 'type.googleapis.com/google.devtools.artifactregistry.v1.Repository',
  });
  return ok(op);
}

function imagesOf(req: EmuRequest, ctx: EmuContext): string {
  const repo = `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}/repositories/${req.params.repository}`;
  mustGet(
    ctx,
    repo,
    `projects/${req.params.project}/locations/${req.params.location}/repositories/${req.params.repository}`,
  );
  return `${repo}/dockerImages/`;
}

/** projects.locations.repositories.dockerImages: list (orderBy update_time desc supported) and get. */
function dockerImageRoutes(base: string): Route[] {
  const api = 'artifactregistry' as const;
  return [
    {
      api,
      method: 'GET',
      template: `${base}/{repository}/dockerImages`,
      permission: 'artifactregistry.dockerimages.list',
      handle: (req, ctx) => {
        let images = ctx.store.list(IMAGE_KIND, imagesOf(req, ctx)).map(([, e]) => e.body);
        if (/update_?time\s+desc/i.test(req.query.get('orderBy') ?? '')) {
          images = images.sort((a, b) => String(b.updateTime).localeCompare(String(a.updateTime)));
        }
        const { items, nextPageToken } = page(images, req);
        return ok({ ...(items.length ? { dockerImages: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) });
      },
    },
    {
      api,
      method: 'GET',
      template: `${base}/{repository}/dockerImages/{image=**}`,
      permission: 'artifactregistry.dockerimages.get',
      handle: (req, ctx) => {
        const name = `${imagesOf(req, ctx)}${encodeURIComponent(req.params.image.split('@')[0])}@${req.params.image.split('@')[1] ?? ''}`;
        return ok(mustGet(ctx, name).body);
      },
    },
  ];
}

export function artifactRegistryRoutes(): Route[] {
  const api = 'artifactregistry' as const;
  const base = '/v1/projects/{project}/locations/{location}/repositories';
  return [
    ...dockerImageRoutes(base),
    { api, method: 'POST', template: base, permission: 'artifactregistry.repositories.create', handle: create },
    {
      api,
      method: 'GET',
      template: `${base}/{repository}`,
      permission: 'artifactregistry.repositories.get',
      handle: (req, ctx) => {
        const name = `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}/repositories/${req.params.repository}`;
        return ok(
          view(
            ctx,
            name,
            mustGet(
              ctx,
              name,
              `projects/${req.params.project}/locations/${req.params.location}/repositories/${req.params.repository}`,
            ),
          ),
        );
      },
    },
    {
      api,
      method: 'DELETE',
      template: `${base}/{repository}`,
      permission: 'artifactregistry.repositories.delete',
      handle: (req, ctx) => {
        const name = `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}/repositories/${req.params.repository}`;
        mustGet(ctx, name);
        ctx.store.delete(name);
        return ok(
          startOperation(ctx, {
            name: locationOperationName(projectId(ctx, req.params.project), req.params.location),
            api: 'artifactregistry',
            metadata: { '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata' },
            response: {},
            responseType: 'type.googleapis.com/google.protobuf.Empty',
          }),
        );
      },
    },
    {
      api,
      method: 'GET',
      template: base,
      permission: 'artifactregistry.repositories.list',
      handle: (req, ctx) => {
        const prefix = `projects/${projectId(ctx, req.params.project)}/locations/${req.params.location}/repositories/`;
        const { items, nextPageToken } = page(listOf(ctx, KIND, prefix), req);
        return ok({ ...(items.length ? { repositories: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) });
      },
    },
  ];
}

export const artifactRegistryViews = {
  [KIND]: (name: string, entry: { body: Record<string, unknown> }) => repositoryView(name, entry.body),
};
