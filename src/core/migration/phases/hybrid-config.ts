/**
 * Phase 4: the cloud_run configuration as a Secret Manager secret. addVersion is not
 * idempotent, so a version is added only when the content differs from the latest
 * version's, compared by accessing `versions/latest` and hashing its payload. We
 * compare the payload itself rather than a hash kept in labels: labels can be edited
 * by anyone without adding a version, and the payload is the truth Cloud Run reads.
 */
import { OrchestraError } from '../../errors';
import { isResourceName } from '../../gcp/names';
import { canonicalJson, sha256 } from '../../util/canonical';
import { isServiceDisabled } from '../gcp-errors';
import { deleteResource, getResource, SERVICES } from '../ops';
import type { PhaseDefinition, Resource, StepContext } from '../types';

const phase = 'hybrid-config' as const;

export const HYBRID = {
  secret: 'hybrid-config/secret',
  version: 'hybrid-config/secret-version',
} as const;

export const secretName = (ctx: StepContext) =>
  `projects/${ctx.config.projectId}/secrets/${ctx.config.phases.hybridConfig.secretId}`;

async function desiredPayload(ctx: StepContext): Promise<{ text: string; hash: string }> {
  const text = canonicalJson(await ctx.cloudRunConfig());
  return { text, hash: sha256(text) };
}

const secret: Resource<{ name: string }> = {
  kind: 'resource',
  id: HYBRID.secret,
  phase,
  title: 'Config secret',
  dependsOn: [],
  apis: [SERVICES.secretManager],
  permissions: ['secretmanager.secrets.get', 'secretmanager.secrets.create'],
  describe: (ctx) => `secret ${secretName(ctx)}`,
  read: (ctx) => getResource(ctx, 'secretmanager', `/v1/${secretName(ctx)}`),
  // Its versions go with it.
  destroy: (ctx) => deleteResource(ctx, 'secretmanager', `/v1/${secretName(ctx)}`),
  create: (ctx) =>
    ctx.gcp.request({
      api: 'secretmanager',
      method: 'POST',
      path: `/v1/projects/${ctx.config.projectId}/secrets`,
      query: { secretId: ctx.config.phases.hybridConfig.secretId },
      body: { replication: { automatic: {} }, labels: { 'managed-by': 'orchestra-migrate' } },
      createWithId: { readBackPath: `/v1/${secretName(ctx)}` },
      signal: ctx.signal,
    }),
};

interface VersionLive {
  name: string;
  hash: string;
}

const version: Resource<VersionLive> = {
  kind: 'resource',
  id: HYBRID.version,
  phase,
  title: 'Config secret version',
  dependsOn: [HYBRID.secret],
  kept: 'a secret version goes with its secret',
  permissions: ['secretmanager.versions.access', 'secretmanager.versions.add'],
  describe: (ctx) => `latest version of ${secretName(ctx)}`,
  async read(ctx) {
    try {
      const latest = await getResource<{ name: string; payload?: { data?: string } }>(
        ctx,
        'secretmanager',
        `/v1/${secretName(ctx)}/versions/latest:access`,
      );
      if (!latest) return undefined;
      return { name: latest.name, hash: sha256(Buffer.from(latest.payload?.data ?? '', 'base64').toString('utf8')) };
    } catch (error) {
      if (isServiceDisabled(error)) throw error;
      // A secret with every version disabled or destroyed answers FAILED_PRECONDITION: nothing usable yet.
      if ((error as { status?: string }).status === 'FAILED_PRECONDITION') return undefined;
      throw error;
    }
  },
  create: (ctx) => addVersion(ctx),
  diff: async (ctx, live) => {
    const desired = await desiredPayload(ctx);
    return live.hash === desired.hash ? [] : [{ field: 'payload (sha256)', live: live.hash, desired: desired.hash }];
  },
  update: (ctx) => addVersion(ctx),
};

async function addVersion(ctx: StepContext): Promise<VersionLive> {
  const { text, hash } = await desiredPayload(ctx);
  const created = await ctx.gcp.request<{ name: string }>({
    api: 'secretmanager',
    method: 'POST',
    path: `/v1/${secretName(ctx)}:addVersion`,
    body: { payload: { data: Buffer.from(text, 'utf8').toString('base64') } },
    signal: ctx.signal,
  });
  ctx.metric('secret_versions_added', 1);
  return { name: versionName(ctx, created.name), hash };
}

/**
 * The new version's name as Secret Manager answered it: the cutover records it in the state
 * and the report shows it, so an answer that is not a version name of this secret is refused.
 */
function versionName(ctx: StepContext, name: unknown): string {
  const { secretId } = ctx.config.phases.hybridConfig;
  // Google answers with the project number, so only the secret id and the shape are known here.
  if (isResourceName(name, `projects/*/secrets/${secretId}/versions/*`) && /\/versions\/[1-9]\d*$/.test(name))
    return name;
  throw new OrchestraError(
    'BAD_SECRET_VERSION_NAME',
    `Secret Manager answered ${JSON.stringify(name)} as the name of the version just added to ${secretName(ctx)}: not a version name (projects/*/secrets/${secretId}/versions/N), so it is not recorded.`,
    {
      where: `${secretName(ctx)}:addVersion`,
      fix: `See the versions with: gcloud secrets versions list ${secretId} --project ${ctx.config.projectId}. Answers like this do not come from Google: check the secretmanager endpoint override and any proxy on the way, then run execute again (the version may exist: it is found, not added twice).`,
    },
  );
}

export const hybridConfigPhase: PhaseDefinition = {
  info: {
    id: phase,
    configKey: 'hybridConfig',
    title: 'Hybrid Config',
    description:
      'Store the Cloud Run environment configuration in Secret Manager, adding a version only when it changed.',
    order: 4,
  },
  steps: () => [secret, version],
};

/**
 * A new version when the latest differs from the cloud_run configuration as the files
 * say now (the cutover and its rollback change them): its name, or undefined when the
 * latest already matches (a resumed cutover adds no second version).
 */
export async function refreshSecretVersion(ctx: StepContext): Promise<string | undefined> {
  const live = await version.read(ctx);
  if (live && (await version.diff!(ctx, live)).length === 0) return undefined;
  return (await addVersion(ctx)).name;
}
