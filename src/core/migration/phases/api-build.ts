/**
 * The image pipeline of API Deployment, as `gcloud run deploy --source` runs it: the
 * source folder packed (deterministically) and uploaded to the Core Infrastructure
 * bucket under a name carrying its digest, then built and pushed by Cloud Build
 * (`projects.locations.builds.create`, a long-running operation) with a tag carrying
 * the same digest. Both steps read before they act: an unchanged source finds its
 * upload and its image, and nothing is uploaded or built again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OrchestraError } from '../../errors';
import { isGcpError } from '../../gcp/errors';
import { isImageDigest } from '../../gcp/names';
import { getResource, SERVICES } from '../ops';
import { packSource, type SourceArchive } from '../source-archive';
import type { Gate, Resource, StepContext } from '../types';
import { bucketName, CORE, repositoryName } from './core-infrastructure';

const phase = 'api-deployment' as const;

export const API_BUILD = { source: 'api-deployment/source', image: 'api-deployment/image' } as const;

const settings = (ctx: StepContext) => ctx.config.phases.apiDeployment;
const sourceDir = (ctx: StepContext) => path.resolve(ctx.workspaceDir, settings(ctx).source);
/** The image name in the repository, without its tag ('orchestra-api:latest' -> 'orchestra-api'). */
const imageName = (ctx: StepContext) => settings(ctx).image.replace(/[:@].*$/, '');
const imageTag = (ctx: StepContext) => /:([^/@]+)$/.exec(settings(ctx).image)?.[1] ?? 'latest';
const sourceTag = (archive: SourceArchive) => `src-${archive.digest.slice(0, 16)}`;
const objectName = (ctx: StepContext, archive: SourceArchive) =>
  `source/${settings(ctx).serviceName}-${archive.digest.slice(0, 16)}.tar.gz`;
const registry = (ctx: StepContext) =>
  `${ctx.config.location}-docker.pkg.dev/${ctx.config.projectId}/${ctx.config.phases.coreInfrastructure.repositoryId}`;

/** Skipped when the config names an image; blocked when there is neither an image nor a source folder. */
function gate(ctx: StepContext): Gate | undefined {
  const s = settings(ctx);
  if (s.image.includes('/')) {
    return {
      action: 'ok',
      reason: `skipped: phases.apiDeployment.image names an existing image (${s.image}), deployed as it is`,
    };
  }
  const dir = sourceDir(ctx);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return {
      action: 'blocked',
      reason: `no API source to build: the folder ${dir} (phases.apiDeployment.source) does not exist, and phases.apiDeployment.image (${s.image}) is not a full image path`,
      fix: 'Set phases.apiDeployment.source to the folder holding the API and its Dockerfile, or phases.apiDeployment.image to an existing image such as us-central1-docker.pkg.dev/PROJECT/REPO/orchestra-api:1.0.',
    };
  }
  if (!fs.existsSync(path.join(dir, 'Dockerfile'))) {
    return {
      action: 'blocked',
      reason: `the API source ${dir} has no Dockerfile, which the Cloud Build step builds from`,
      fix: 'Add a Dockerfile at the root of the source folder, or set phases.apiDeployment.image to an existing image.',
    };
  }
  return undefined;
}

interface StorageObject {
  name: string;
  bucket: string;
  size?: string;
  md5Hash?: string;
}

export const sourceStep: Resource<StorageObject> = {
  kind: 'resource',
  id: API_BUILD.source,
  phase,
  title: 'API source upload',
  kept: 'an object in the reports bucket: it goes with the bucket (--include-data)',
  // Only the bucket it is written to: the repository matters to the build's push (the
  // image step waits for it), and waiting for it here put the upload on the critical path.
  dependsOn: [CORE.bucket],
  apis: [SERVICES.storage],
  permissions: ['storage.objects.get', 'storage.objects.create'],
  gate,
  // destroy describes every step, the gated ones too: no source folder, no archive to name.
  describe: (ctx) =>
    gate(ctx)
      ? `source archive in gs://${bucketName(ctx)}`
      : `source archive gs://${bucketName(ctx)}/${objectName(ctx, packSource(sourceDir(ctx)))}`,
  read: (ctx) =>
    getResource(
      ctx,
      'storage',
      `/storage/v1/b/${bucketName(ctx)}/o/${encodeURIComponent(objectName(ctx, packSource(sourceDir(ctx))))}`,
    ),
  create: async (ctx) => {
    const archive = packSource(sourceDir(ctx));
    ctx.logger.info(
      `api source: ${archive.files.length} files, ${archive.data.length} bytes packed, uploading to gs://${bucketName(ctx)}`,
    );
    ctx.metric('api_source_bytes', archive.data.length);
    return ctx.gcp.request<StorageObject>({
      api: 'storage',
      method: 'POST',
      path: `/upload/storage/v1/b/${bucketName(ctx)}/o`,
      query: { uploadType: 'media', name: objectName(ctx, archive) },
      media: { data: archive.data, contentType: 'application/gzip' },
      // The name carries the digest: a retried upload writes the same bytes again.
      idempotent: true,
      signal: ctx.signal,
    });
  },
};

export interface DockerImage {
  name: string;
  /** By digest: 'LOC-docker.pkg.dev/P/REPO/IMAGE@sha256:...'. */
  uri: string;
  tags?: string[];
}

/** The image Cloud Build pushed for the current source, found by its source tag. */
export async function builtImage(ctx: StepContext): Promise<DockerImage | undefined> {
  if (gate(ctx)) return undefined;
  // Verify's image step and the service's diff both ask: one listing in a pass, not two in a row.
  return ctx.readOnce(`built-image ${repositoryName(ctx)}`, () => findBuiltImage(ctx));
}

async function findBuiltImage(ctx: StepContext): Promise<DockerImage | undefined> {
  const tag = sourceTag(packSource(sourceDir(ctx)));
  const wanted = `${registry(ctx)}/${imageName(ctx)}@`;
  let pageToken: string | undefined;
  do {
    let page: { dockerImages?: DockerImage[]; nextPageToken?: string } | undefined;
    try {
      page = await ctx.gcp.getOrUndefined('artifactregistry', `/v1/${repositoryName(ctx)}/dockerImages`, {
        signal: ctx.signal,
        query: { pageSize: 500, orderBy: 'update_time desc', pageToken },
      });
    } catch (error) {
      // Before Core Infrastructure has enabled Artifact Registry, nothing was built.
      if (isGcpError(error, 'PERMISSION_DENIED') && error.reason === 'SERVICE_DISABLED') return undefined;
      throw error;
    }
    const found = page?.dockerImages?.find((i) => i.uri.startsWith(wanted) && i.tags?.includes(tag));
    if (found) {
      const digest = found.uri.slice(wanted.length);
      if (!isImageDigest(digest))
        throw badDigest(
          ctx,
          `Artifact Registry listed ${JSON.stringify(found.uri)} as the image tagged ${tag}`,
          digest,
        );
      return found;
    }
    pageToken = page?.nextPageToken;
  } while (pageToken);
  return undefined;
}

interface BuildOperationMetadata {
  build?: { id?: string; logUrl?: string; logsBucket?: string };
}

/** The finished build (the operation's response): `results.images` names each pushed image's digest. */
interface Build {
  results?: { images?: { name?: string; digest?: string }[] };
}

/**
 * The image the build pushed under `pushedAs` (a tagged path), from the build's own results:
 * the same image a listing of the repository finds, without another round trip after the build.
 */
function pushedImage(ctx: StepContext, build: Build | undefined, pushedAs: string): DockerImage | undefined {
  const digest = build?.results?.images?.find((i) => i.name === pushedAs)?.digest;
  if (!digest) return undefined;
  if (!isImageDigest(digest))
    throw badDigest(
      ctx,
      `Cloud Build answered ${JSON.stringify(digest)} as the digest of ${pushedAs} (its results.images)`,
      digest,
    );
  const tags = [...new Set([pushedAs.slice(pushedAs.lastIndexOf(':') + 1), imageTag(ctx)])];
  return {
    name: `${repositoryName(ctx)}/dockerImages/${encodeURIComponent(imageName(ctx))}@${digest}`,
    uri: `${registry(ctx)}/${imageName(ctx)}@${digest}`,
    tags,
  };
}

/**
 * The image is recorded, shown in the report and deployed by the Cloud Run step: a digest that
 * is not one (markup, a URL, text) is refused rather than passed on.
 */
function badDigest(ctx: StepContext, said: string, digest: string): OrchestraError {
  const image = `${registry(ctx)}/${imageName(ctx)}`;
  return new OrchestraError(
    'BAD_IMAGE_DIGEST',
    `${said}: ${JSON.stringify(digest)} is not an image digest (sha256: and 64 hex digits), so the image is neither recorded nor deployed.`,
    {
      where: image,
      fix: `List the image's digests with: gcloud artifacts docker images list ${image} --include-tags. Answers like this do not come from Google: check the artifactregistry and cloudbuild endpoint overrides and any proxy on the way, then run execute again.`,
    },
  );
}

/**
 * Names from Cloud Build's answer, as the log shows them: quoted when they are not plain
 * names, so a newline in one cannot forge a log line.
 */
function shownName(value: unknown): string {
  return typeof value === 'string' && /^[\w.:/@()-]+$/.test(value) ? value : JSON.stringify(value);
}

/** The build's log page, which the Output channel makes a link: the console's, or not shown. */
function consoleLink(url: unknown): string {
  if (url === undefined) return '(no URL)';
  return typeof url === 'string' && /^https:\/\/console\.cloud\.google\.com\/\S*$/.test(url)
    ? url
    : `(not shown: Cloud Build answered ${JSON.stringify(url)}, not a console.cloud.google.com URL)`;
}

/** The output the Cloud Run step deploys in execute: the image step of the same run records it. */
export const BUILT_IMAGE_OUTPUT = 'apiImage';

export const imageStep: Resource<DockerImage> = {
  kind: 'resource',
  id: API_BUILD.image,
  phase,
  title: 'API image (Cloud Build)',
  dependsOn: [API_BUILD.source, CORE.repository],
  kept: 'an image in the Docker repository: it goes with the repository (--include-data)',
  apis: [SERVICES.cloudBuild, SERVICES.artifactRegistry],
  permissions: ['cloudbuild.builds.create', 'cloudbuild.builds.get', 'artifactregistry.dockerimages.list'],
  gate,
  describe: (ctx) =>
    gate(ctx)
      ? `image ${registry(ctx)}/${imageName(ctx)} built by Cloud Build`
      : `image ${registry(ctx)}/${imageName(ctx)}:${sourceTag(packSource(sourceDir(ctx)))} built by Cloud Build`,
  read: builtImage,
  create: async (ctx) => {
    const archive = packSource(sourceDir(ctx));
    const base = `${registry(ctx)}/${imageName(ctx)}`;
    const images = [`${base}:${sourceTag(archive)}`, `${base}:${imageTag(ctx)}`];
    const { projectId, location } = ctx.config;
    const op = await ctx.gcp.request<{ name: string; metadata?: BuildOperationMetadata }>({
      api: 'cloudbuild',
      method: 'POST',
      path: `/v1/projects/${projectId}/locations/${location}/builds`,
      body: {
        source: { storageSource: { bucket: bucketName(ctx), object: objectName(ctx, archive) } },
        steps: [{ name: 'gcr.io/cloud-builders/docker', args: ['build', ...images.flatMap((i) => ['-t', i]), '.'] }],
        images,
        logsBucket: `gs://${bucketName(ctx)}`,
        tags: ['orchestra-migrate', settings(ctx).serviceName],
        timeout: '1200s',
      },
      signal: ctx.signal,
    });
    const build = op.metadata?.build;
    const id = shownName(build?.id ?? op.name);
    ctx.logger.info(
      `api image: Cloud Build ${id} building ${images[0]}; logs: ${consoleLink(build?.logUrl)}` +
        (build?.logsBucket ? ` and ${shownName(build.logsBucket)}/log-${id}.txt` : ''),
    );
    const finished = await ctx.gcp.waitForOperation<Build>('cloudbuild', op, {
      signal: ctx.signal,
      deadlineMs: 30 * 60_000,
    });
    return pushedImage(ctx, finished, images[0]) ?? (await builtImage(ctx));
  },
  // Found or built, the image of this source is what the Cloud Run step deploys next.
  record: (ctx, image) => ctx.setOutput(BUILT_IMAGE_OUTPUT, image.uri),
};
