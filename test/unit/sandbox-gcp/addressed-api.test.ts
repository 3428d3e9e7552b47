/**
 * One port serves every API, but on Google each API has its own host, and some paths are
 * the same on several: '/v1/projects/p/locations/l/operations' is Workstations', Artifact
 * Registry's and AlloyDB's. A path that names its API first ('/workstations/v1/...', as
 * gcloud sends it with the sandbox's override base) is answered as that API's host would.
 */
import * as assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'mocha';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { caller, withEmulator } from './helpers';

const LOC = 'v1/projects/api-p/locations/us-central1';

describe('emulator: requests addressed to one API', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  before(async () => (emu = await withEmulator({ projects: ['api-p'] })));
  after(() => emu.close());

  let workstationsOp: string;
  let registryOp: string;
  beforeEach(async () => {
    emu.reset();
    const enabled = await call('POST', '/serviceusage/v1/projects/api-p/services:batchEnable', {
      serviceIds: ['workstations.googleapis.com', 'artifactregistry.googleapis.com'],
    });
    assert.equal(enabled.status, 200, enabled.text);
    const cluster = await call('POST', `/workstations/${LOC}/workstationClusters?workstationClusterId=c1`, {});
    assert.equal(cluster.status, 200, cluster.text);
    workstationsOp = String(cluster.json.name);
    const repository = await call('POST', `/${LOC}/repositories?repositoryId=r1`, { format: 'DOCKER' });
    assert.equal(repository.status, 200, repository.text);
    registryOp = String(repository.json.name);
  });

  const names = (reply: { json: Record<string, unknown> }) =>
    ((reply.json.operations ?? []) as { name: string }[]).map((o) => o.name).sort();

  it("lists each API's operations on its own path, and all of them on the shared one", async () => {
    assert.deepEqual(names(await call('GET', `/workstations/${LOC}/operations`)), [workstationsOp]);
    assert.deepEqual(names(await call('GET', `/artifactregistry/${LOC}/operations`)), [registryOp]);
    assert.deepEqual(names(await call('GET', `/${LOC}/operations`)), [registryOp, workstationsOp].sort());
  });

  it("finds an operation on its own API's path only (404 on another's, as on Google's hosts)", async () => {
    assert.equal((await call('GET', `/artifactregistry/v1/${registryOp}`)).status, 200);
    const elsewhere = await call('GET', `/workstations/v1/${registryOp}`);
    assert.equal(elsewhere.status, 404);
    assert.equal((elsewhere.json.error as { status?: string }).status, 'NOT_FOUND');
  });

  it("another API's collection is not found on an API's path; the log shows the path Google's host sees", async () => {
    assert.equal((await call('GET', `/workstations/${LOC}/repositories/r1`)).status, 404);
    emu.clearRequestLog();
    assert.equal((await call('GET', `/artifactregistry/${LOC}/repositories/r1`)).status, 200);
    assert.deepEqual(
      emu.requestLog().map((r) => [r.method, r.path, r.status]),
      [['GET', `/${LOC}/repositories/r1`, 200]],
    );
  });
});
