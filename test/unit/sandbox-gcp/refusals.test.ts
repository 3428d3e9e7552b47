/**
 * What Google refuses, the emulator refuses, with Google's status and error JSON:
 * a rehearsal that passes here must not fail on Google Cloud for one of these.
 */
import * as assert from 'node:assert/strict';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { caller, idTokenFor, pushImage, withEmulator } from './helpers';

const P = 'refuse-project';
const LOC = 'us-central1';
const RUN = `/v2/projects/${P}/locations/${LOC}/services`;
const IMAGE = `${LOC}-docker.pkg.dev/${P}/orchestra/api:1.0`;

interface GoogleError {
  code: number;
  status: string;
  message: string;
  details?: Array<Record<string, unknown>>;
}

const errorOf = (json: Record<string, unknown>) => json.error as GoogleError;
const detail = (e: GoogleError, type: string) => e.details?.find((d) => d['@type'] === `type.googleapis.com/${type}`);

describe('emulator: refuses what Google refuses', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  const waitDone = async (op: Record<string, unknown>, version = 'v2') => {
    for (let i = 0; i < 100; i++) {
      const polled = await call('GET', `/${version}/${String(op.name)}`);
      if (polled.json.done) return polled.json;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`operation ${String(op.name)} never finished`);
  };

  before(async () => (emu = await withEmulator({ projects: [P], lroDelayMs: 30 })));
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    const enable = await call('POST', `/v1/projects/${P}/services:batchEnable`, {
      serviceIds: ['run.googleapis.com', 'artifactregistry.googleapis.com', 'workstations.googleapis.com'],
    });
    await waitDone(enable.json, 'v1');
    await call('POST', `/v1/projects/${P}/locations/${LOC}/repositories?repositoryId=orchestra`, { format: 'DOCKER' });
  });

  it('image: a malformed image path or a registry Run cannot pull from is 400 INVALID_ARGUMENT, and no service is made', async () => {
    for (const image of [
      '<img src=x onerror=alert(1)>',
      'javascript:alert(1)',
      `${LOC}-docker.pkg.dev/${P}/orchestra/API:1`,
      'ghcr.io/someone/api:1',
    ]) {
      const r = await call('POST', `${RUN}?serviceId=api`, { template: { containers: [{ image }] } });
      assert.equal(r.status, 400, image);
      assert.equal(errorOf(r.json).status, 'INVALID_ARGUMENT');
      assert.match(errorOf(r.json).message, /Expected an image path like \[host\/\]repo-path\[:tag and\/or @digest\]/);
      assert.ok(errorOf(r.json).message.endsWith(`but obtained ${image}`), errorOf(r.json).message);
      assert.equal((await call('GET', `${RUN}/api`)).status, 404);
    }
    for (const image of [
      'nginx',
      'docker.io/library/nginx:1.27',
      `europe-west1-docker.pkg.dev/${P}/r/a@sha256:${'a'.repeat(64)}`,
    ]) {
      const r = await call('POST', `${RUN}?serviceId=ok-${image.length}`, { template: { containers: [{ image }] } });
      assert.equal(r.status, 200, `${image}: ${JSON.stringify(r.json)}`);
    }
  });

  it('image: a deploy of an image its registry does not hold fails the operation and the service (code 9, CONDITION_FAILED)', async () => {
    const op = await call('POST', `${RUN}?serviceId=api`, { template: { containers: [{ image: IMAGE }] } });
    assert.equal(op.status, 200, 'the create is accepted: Cloud Run imports the image later');
    const done = await waitDone(op.json);
    const error = done.error as { code: number; message: string };
    assert.equal(error.code, 9, 'FAILED_PRECONDITION, as Cloud Run reports it');
    assert.match(
      error.message,
      /^Revision 'api-00001-[a-z]{3}' is not ready and cannot serve traffic\. Image '.+api:1\.0' not found\.$/,
    );
    assert.equal(done.response, undefined);
    const service = (await call('GET', `${RUN}/api`)).json;
    const terminal = service.terminalCondition as { type: string; state: string; message: string; reason: string };
    assert.deepEqual(
      [terminal.type, terminal.state, terminal.reason],
      ['Ready', 'CONDITION_FAILED', 'REVISION_FAILED'],
    );
    assert.equal(terminal.message, error.message);
    assert.equal(service.reconciling, false);
    assert.equal(service.latestReadyRevision, undefined, 'no revision serves');

    // Pushed, the same image deploys.
    await pushImage(emu, IMAGE);
    const fixed = await waitDone(
      (await call('PATCH', `${RUN}/api`, { template: { containers: [{ image: IMAGE }] } })).json,
    );
    assert.equal(fixed.error, undefined);
    const ready = (await call('GET', `${RUN}/api`)).json;
    assert.equal((ready.terminalCondition as { state: string }).state, 'CONDITION_SUCCEEDED');
  });

  it("network: unknown networks and subnetworks, or another project's, are 400 INVALID_ARGUMENT with a field violation", async () => {
    const cluster = (id: string, body: Record<string, unknown>) =>
      call('POST', `/v1/projects/${P}/locations/${LOC}/workstationClusters?workstationClusterId=${id}`, body);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ network: `projects/${P}/global/networks/no-such-vpc` }, 'workstation_cluster.network'],
      [{ network: 'projects/someone-else/global/networks/default' }, 'workstation_cluster.network'],
      [{ subnetwork: `projects/${P}/regions/${LOC}/subnetworks/nope` }, 'workstation_cluster.subnetwork'],
      [{ subnetwork: `projects/${P}/regions/europe-west1/subnetworks/default` }, 'workstation_cluster.subnetwork'],
    ];
    for (const [body, field] of cases) {
      const r = await cluster('c1', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      const e = errorOf(r.json);
      assert.equal(e.status, 'INVALID_ARGUMENT');
      const violations = detail(e, 'google.rpc.BadRequest')?.fieldViolations as Array<{ field: string }>;
      assert.equal(violations[0].field, field);
    }
    const good = await cluster('c2', {
      network: `projects/${P}/global/networks/default`,
      subnetwork: `projects/${P}/regions/${LOC}/subnetworks/default`,
    });
    assert.equal(good.status, 200, 'the default network a new project has');
  });

  it('project: one it was not told about is 403 PERMISSION_DENIED with CONSUMER_INVALID (Storage: 400 Unknown project id)', async () => {
    const r = await call('GET', '/v2/projects/not-my-project/locations/us-central1/services');
    assert.equal(r.status, 403);
    const e = errorOf(r.json);
    assert.equal(e.status, 'PERMISSION_DENIED');
    assert.equal(e.message, 'Permission denied on resource project not-my-project.');
    assert.deepEqual(detail(e, 'google.rpc.ErrorInfo'), {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'CONSUMER_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'run.googleapis.com', consumer: 'projects/not-my-project', containerInfo: 'not-my-project' },
    });
    const enable = await call('POST', '/v1/projects/not-my-project/services:batchEnable', {
      serviceIds: ['run.googleapis.com'],
    });
    assert.equal(enable.status, 403, 'not made on first use');
    const bucket = await call('POST', '/storage/v1/b?project=not-my-project', { name: 'not-my-bucket' });
    assert.equal(bucket.status, 400);
    assert.deepEqual(bucket.json.error, {
      code: 400,
      message: 'Unknown project id: not-my-project',
      errors: [{ message: 'Unknown project id: not-my-project', domain: 'global', reason: 'invalid' }],
    });
  });

  it('token: a made-up bearer is 401 UNAUTHENTICATED; one from its token endpoint is accepted', async () => {
    const path = `/v1/projects/${P}/services/run.googleapis.com`;
    const madeUp = await call('GET', path, undefined, 'ya29.made-up');
    assert.equal(madeUp.status, 401);
    const e = errorOf(madeUp.json);
    assert.equal(e.status, 'UNAUTHENTICATED');
    assert.match(e.message, /^Request had invalid authentication credentials\./);
    assert.equal(detail(e, 'google.rpc.ErrorInfo')?.reason, 'ACCESS_TOKEN_TYPE_UNSUPPORTED');
    const none = await call('GET', path, undefined, null);
    assert.equal(none.status, 401);
    assert.equal(detail(errorOf(none.json), 'google.rpc.ErrorInfo')?.reason, 'CREDENTIALS_MISSING');

    const issued = await fetch(`${emu.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = (await issued.json()) as { access_token: string; token_type: string; expires_in: number };
    assert.equal(token.token_type, 'Bearer');
    assert.ok(token.expires_in > 0);
    assert.equal((await call('GET', path, undefined, token.access_token)).status, 200);
    const bad = await fetch(`${emu.url}/token`, { method: 'POST', body: 'grant_type=password' });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      error: 'unsupported_grant_type',
      error_description: 'Invalid grant_type: password',
    });
    assert.ok(
      !emu.requestLog().some((r) => r.path === '/token'),
      'token requests are not logged (their answers are credentials)',
    );
  });

  it("failed operation: the resource shows Google's failed state (degraded, conditions, reconciling false)", async () => {
    emu.setFaults({
      operationFailures: [
        {
          count: 1,
          code: 13,
          message: 'Cluster creation failed: internal error.',
          pathContains: 'workstationClusters',
        },
      ],
    });
    const op = await call(
      'POST',
      `/v1/projects/${P}/locations/${LOC}/workstationClusters?workstationClusterId=broken`,
      {},
    );
    const done = await waitDone(op.json, 'v1');
    assert.deepEqual(done.error, { code: 13, message: 'Cluster creation failed: internal error.' });
    const cluster = (await call('GET', `/v1/projects/${P}/locations/${LOC}/workstationClusters/broken`)).json;
    assert.equal(cluster.reconciling, false);
    assert.equal(cluster.degraded, true);
    assert.deepEqual(cluster.conditions, [{ code: 13, message: 'Cluster creation failed: internal error.' }]);
    // A repository whose create failed does not exist, as on Google.
    emu.setFaults({ operationFailures: [{ count: 1, code: 13, message: 'boom', pathContains: 'repositories' }] });
    await waitDone(
      (await call('POST', `/v1/projects/${P}/locations/${LOC}/repositories?repositoryId=gone`, { format: 'DOCKER' }))
        .json,
      'v1',
    );
    assert.equal((await call('GET', `/v1/projects/${P}/locations/${LOC}/repositories/gone`)).status, 404);
  });

  it('private URL: no token is 403, a wrong token 401, an ID token for the service URL 200; invokerIamDisabled opens it', async () => {
    await pushImage(emu, IMAGE);
    const op = await call('POST', `${RUN}?serviceId=api`, { template: { containers: [{ image: IMAGE }] } });
    await waitDone(op.json);
    const uri = String((await call('GET', `${RUN}/api`)).json.uri);

    const anonymous = await fetch(`${uri}/api/status`);
    assert.equal(anonymous.status, 403);
    assert.match(anonymous.headers.get('content-type') ?? '', /text\/html/);
    assert.match(
      await anonymous.text(),
      /<h1>Error: Forbidden<\/h1>\n<h2>Your client does not have permission to get URL <code>\/api\/status<\/code>/,
    );

    const accessToken = await fetch(`${uri}/api/status`, { headers: { authorization: 'Bearer test-token' } });
    assert.equal(accessToken.status, 401, 'an access token is not an ID token');
    assert.match(accessToken.headers.get('www-authenticate') ?? '', /invalid_token/);
    const otherAudience = await idTokenFor(emu, `${emu.url}/__run/${P}/${LOC}/other`);
    assert.equal((await fetch(uri, { headers: { authorization: `Bearer ${otherAudience}` } })).status, 401);

    const idToken = await idTokenFor(emu, uri);
    const [, claims] = idToken.split('.');
    assert.equal((JSON.parse(Buffer.from(claims, 'base64url').toString()) as { aud: string }).aud, uri);
    const invoked = await fetch(`${uri}/api/status`, { headers: { authorization: `Bearer ${idToken}` } });
    assert.equal(invoked.status, 200);

    await waitDone((await call('PATCH', `${RUN}/api`, { invokerIamDisabled: true })).json);
    assert.equal((await fetch(`${uri}/api/status`)).status, 200, 'public once the invoker check is off');
  });
});
