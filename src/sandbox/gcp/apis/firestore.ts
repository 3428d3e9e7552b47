/**
 * Firestore Admin v1 databases: https://cloud.google.com/firestore/docs/reference/rest/v1/projects.databases
 */
import { randomBytes } from 'node:crypto';
import { ApiFault, invalid, notFound } from '../faults';
import { startOperation } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import { nowIso, projectId, str, uid } from './common';

const KIND = 'firestore.database';
const DATABASE_ID = /^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$/;
const TYPE = 'type.googleapis.com/google.firestore.admin.v1';

function create(req: EmuRequest, ctx: EmuContext) {
  const project = projectId(ctx, req.params.project);
  const id = req.query.get('databaseId') ?? '';
  if (!DATABASE_ID.test(id)) {
    throw invalid(
      `Invalid database id '${id}': use '(default)' or 4-63 lowercase letters, digits and hyphens.`,
      'database_id',
    );
  }
  const locationId = str(req.body.locationId);
  if (!locationId) throw invalid('location_id is required.', 'database.location_id');
  const type = str(req.body.type);
  if (type !== 'FIRESTORE_NATIVE' && type !== 'DATASTORE_MODE') {
    throw invalid('type must be FIRESTORE_NATIVE or DATASTORE_MODE.', 'database.type');
  }
  const name = `projects/${project}/databases/${id}`;
  if (ctx.store.get(name)) {
    throw new ApiFault('ALREADY_EXISTS', `Database already exists. Please use another database_id`, [
      { '@type': 'type.googleapis.com/google.rpc.ResourceInfo', resourceName: name },
    ]);
  }
  const now = nowIso(ctx);
  const body: Record<string, unknown> = {
    name,
    uid: uid(),
    createTime: now,
    updateTime: now,
    locationId,
    type,
    concurrencyMode: str(req.body.concurrencyMode) ?? 'PESSIMISTIC',
    versionRetentionPeriod: '3600s',
    appEngineIntegrationMode: 'DISABLED',
    keyPrefix: `${project.replace(/-/g, '')}`.slice(0, 16),
    pointInTimeRecoveryEnablement: str(req.body.pointInTimeRecoveryEnablement) ?? 'POINT_IN_TIME_RECOVERY_DISABLED',
    deleteProtectionState: str(req.body.deleteProtectionState) ?? 'DELETE_PROTECTION_DISABLED',
    databaseEdition: str(req.body.databaseEdition) ?? 'STANDARD',
    freeTier: id === '(default)',
    etag: randomBytes(12).toString('base64url'),
  };
  ctx.store.put(name, { kind: KIND, body });
  return ok(
    startOperation(ctx, {
      name: `${name}/operations/${randomBytes(24).toString('base64url')}`,
      api: 'firestore',
      metadata: { '@type': `${TYPE}.CreateDatabaseMetadata` },
      responseRef: name,
      responseType: `${TYPE}.Database`,
    }),
  );
}

/** earliestVersionTime moves with the clock: now minus the retention period. */
function databaseView(
  _name: string,
  entry: { body: Record<string, unknown> },
  ctx: EmuContext,
): Record<string, unknown> {
  return {
    ...entry.body,
    earliestVersionTime: new Date(
      Math.max(Date.parse(String(entry.body.createTime)), ctx.now() - 3600_000),
    ).toISOString(),
  };
}

export function firestoreRoutes(): Route[] {
  const api = 'firestore' as const;
  return [
    {
      api,
      method: 'POST',
      template: '/v1/projects/{project}/databases',
      permission: 'datastore.databases.create',
      handle: create,
    },
    {
      api,
      method: 'GET',
      template: '/v1/projects/{project}/databases/{database}',
      permission: 'datastore.databases.getMetadata',
      handle: (req, ctx) => {
        const name = `projects/${projectId(ctx, req.params.project)}/databases/${req.params.database}`;
        const entry = ctx.store.get(name);
        if (!entry) throw notFound(name);
        return ok(databaseView(name, entry, ctx));
      },
    },
    {
      api,
      method: 'DELETE',
      template: '/v1/projects/{project}/databases/{database}',
      permission: 'datastore.databases.delete',
      handle: (req, ctx) => {
        const name = `projects/${projectId(ctx, req.params.project)}/databases/${req.params.database}`;
        const entry = ctx.store.get(name);
        if (!entry) throw notFound(name);
        if (entry.body.deleteProtectionState === 'DELETE_PROTECTION_ENABLED') {
          throw new ApiFault('FAILED_PRECONDITION', `Database ${name} has delete protection enabled.`);
        }
        const response = databaseView(name, entry, ctx);
        ctx.store.delete(name);
        return ok(
          startOperation(ctx, {
            name: `${name}/operations/${randomBytes(24).toString('base64url')}`,
            api: 'firestore',
            metadata: { '@type': `${TYPE}.DeleteDatabaseMetadata` },
            response,
            responseType: `${TYPE}.Database`,
          }),
        );
      },
    },
    {
      api,
      method: 'GET',
      template: '/v1/projects/{project}/databases',
      permission: 'datastore.databases.list',
      handle: (req, ctx) => {
        const databases = ctx.store
          .list(KIND, `projects/${projectId(ctx, req.params.project)}/databases/`)
          .map(([n, e]) => databaseView(n, e, ctx));
        return ok({ databases });
      },
    },
  ];
}

export const firestoreViews = { [KIND]: databaseView };
