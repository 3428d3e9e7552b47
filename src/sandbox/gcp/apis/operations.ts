/**
 * Operations endpoints of each API (google.longrunning.Operations.GetOperation):
 * Service Usage '/v1/operations/*', Artifact Registry and Workstations
 * '/v1/projects/p/locations/l/operations/*', Cloud Run '/v2/...', Firestore
 * '/v1/projects/p/databases/d/operations/*'. One store serves them all; a request addressed
 * to one API (its path prefixed with the API's name, EmuRequest.api) sees that API's only.
 */
import type { GcpApi } from '../../../core/gcp/types';
import { notFound } from '../faults';
import { operationView } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';
import { page } from './common';

function get(nameOf: (req: EmuRequest) => string) {
  return (req: EmuRequest, ctx: EmuContext) => {
    const name = nameOf(req);
    const op = ctx.store.operation(name);
    // On Google each API's host knows its own operations only.
    if (!op || (req.api && op.api !== req.api)) throw notFound(name);
    return ok(operationView(op, ctx));
  };
}

/** AR, Workstations and Run share the path shape: the operation's own API decides the service check. */
function locationOperation(version: string, api: GcpApi): Route {
  return {
    api,
    kind: 'operation',
    method: 'GET',
    template: `/${version}/projects/{project}/locations/{location}/operations/{operation}`,
    handle: get((r) => `projects/${r.params.project}/locations/${r.params.location}/operations/${r.params.operation}`),
  };
}

/** google.longrunning.Operations.ListOperations on a location (or a Firestore database); newest first. */
function listOperations(version: string, api: GcpApi, parentOf: (req: EmuRequest) => string): Route {
  const parent =
    version === 'firestore'
      ? '/v1/projects/{project}/databases/{database}'
      : `/${version}/projects/{project}/locations/{location}`;
  return {
    api,
    kind: 'operation',
    method: 'GET',
    template: `${parent}/operations`,
    handle: (req, ctx) => {
      const prefix = `${parentOf(req)}/operations/`;
      const any = prefix.includes('/locations/-/');
      const all = Object.values(ctx.store.state.operations)
        .filter((op) => !req.api || op.api === req.api)
        .filter((op) =>
          any
            ? /\/locations\/[^/]+\/operations\//.test(op.name) && op.name.startsWith(prefix.split('/locations/-/')[0])
            : op.name.startsWith(prefix),
        )
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((op) => operationView(op, ctx));
      const { items, nextPageToken } = page(all, req);
      return ok({ ...(items.length ? { operations: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) });
    },
  };
}

export function operationRoutes(): Route[] {
  const location = (r: EmuRequest) => `projects/${r.params.project}/locations/${r.params.location}`;
  return [
    listOperations('v1', 'artifactregistry', location),
    listOperations('v2', 'run', location),
    listOperations('firestore', 'firestore', (r) => `projects/${r.params.project}/databases/${r.params.database}`),
    {
      api: 'serviceusage',
      kind: 'operation',
      method: 'GET',
      template: '/v1/operations/{operation=**}',
      handle: get((r) => `operations/${r.params.operation}`),
    },
    locationOperation('v1', 'artifactregistry'),
    locationOperation('v2', 'run'),
    {
      api: 'firestore',
      kind: 'operation',
      method: 'GET',
      template: '/v1/projects/{project}/databases/{database}/operations/{operation}',
      handle: get(
        (r) => `projects/${r.params.project}/databases/${r.params.database}/operations/${r.params.operation}`,
      ),
    },
  ];
}
