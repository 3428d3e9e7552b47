/**
 * Operations endpoints of each API (google.longrunning.Operations.GetOperation):
 * Service Usage '/v1/operations/*', Artifact Registry and Workstations
 * '/v1/projects/p/locations/l/operations/*', Cloud Run '/v2/...', Firestore
 * '/v1/projects/p/databases/d/operations/*'. One store serves them all.
 */
import type { GcpApi } from '../../../core/gcp/types';
import { notFound } from '../faults';
import { operationView } from '../lro';
import { ok, type EmuContext, type EmuRequest, type Route } from '../router';

function get(nameOf: (req: EmuRequest) => string) {
  return (req: EmuRequest, ctx: EmuContext) => {
    const name = nameOf(req);
    const op = ctx.store.operation(name);
    if (!op) throw notFound(name);
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

export function operationRoutes(): Route[] {
  return [
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
