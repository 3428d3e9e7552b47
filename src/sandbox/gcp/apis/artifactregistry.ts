/**
 * Artifact Registry v1 repositories:
 * https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories
 */
import { alreadyExists, invalid } from '../faults';
import { locationOperationName, startOperation } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import { listOf, mustGet, nowIso, page, projectId, requireId, str, view } from './common';

const KIND = 'artifactregistry.repository';
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

export function artifactRegistryRoutes(): Route[] {
  const api = 'artifactregistry' as const;
  const base = '/v1/projects/{project}/locations/{location}/repositories';
  return [
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
