import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { ManualClock } from '../clock';
import { assertMatchesReference, caller, idTokenFor, pushImage, TEST_TOKEN, withEmulator } from './helpers';

const SERVICE_REF = 'https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services#Service';
const SERVICE_FIELDS = [
  'name',
  'description',
  'uid',
  'generation',
  'labels',
  'annotations',
  'createTime',
  'updateTime',
  'deleteTime',
  'expireTime',
  'creator',
  'lastModifier',
  'client',
  'clientVersion',
  'ingress',
  'launchStage',
  'binaryAuthorization',
  'template',
  'traffic',
  'scaling',
  'invokerIamDisabled',
  'defaultUriDisabled',
  'urls',
  'iapEnabled',
  'multiRegionSettings',
  'customAudiences',
  'observedGeneration',
  'terminalCondition',
  'conditions',
  'latestReadyRevision',
  'latestCreatedRevision',
  'trafficStatuses',
  'uri',
  'satisfiesPzs',
  'threatDetectionEnabled',
  'buildConfig',
  'reconciling',
  'etag',
];

describe('emulator: Cloud Run v2 services', () => {
  /** Operations finish when the test says so: no sleep racing the LRO delay. */
  const clock = new ManualClock();
  let emu: GcpEmulator;
  const call = caller(() => emu);
  const base = '/v2/projects/run-p/locations/us-central1/services';
  const body = {
    template: {
      containers: [
        { image: 'us-central1-docker.pkg.dev/run-p/orchestra/api:latest', ports: [{ containerPort: 8080 }] },
      ],
    },
  };
  before(async () => (emu = await withEmulator({ projects: ['run-p'], now: clock.now })));
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    const enable = await call('POST', '/v1/projects/run-p/services:batchEnable', {
      serviceIds: ['run.googleapis.com', 'artifactregistry.googleapis.com'],
    });
    assert.equal(enable.status, 200);
    await call('POST', '/v1/projects/run-p/locations/us-central1/repositories?repositoryId=orchestra', {
      format: 'DOCKER',
    });
    await pushImage(emu, 'us-central1-docker.pkg.dev/run-p/orchestra/api:latest');
  });
  const asInvoker = async (url: string) =>
    fetch(url, {
      headers: {
        authorization: `Bearer ${await idTokenFor(emu, url.replace(/(\/__run\/[^/]+\/[^/]+\/[^/]+).*$/, '$1'))}`,
      },
    });

  it('DELETE takes the revisions with the service, as Cloud Run does', async () => {
    const op = await call('POST', `${base}?serviceId=gone`, body);
    clock.advance(1000);
    await call('GET', `/v2/${String(op.json.name)}`);
    const revisions = () => call('GET', `${base}/gone/revisions`);
    assert.equal(((await revisions()).json.revisions as unknown[]).length, 1);
    const deleted = await call('DELETE', `${base}/gone`);
    assert.equal(deleted.status, 200);
    assert.equal((await call('GET', `${base}/gone`)).status, 404);
    assert.equal((await revisions()).json.revisions, undefined, 'no revision outlives its service');
  });

  it('POST ?serviceId= returns an LRO; the service reconciles, then is Ready with a uri', async () => {
    const token = await idTokenFor(emu, `${emu.url}/__run/run-p/us-central1/orchestra-api`);
    emu.setFaults({ lroDelayMs: 300 });
    const op = await call('POST', `${base}?serviceId=orchestra-api`, body);
    assert.equal(op.status, 200);
    assert.match(String(op.json.name), /^projects\/run-p\/locations\/us-central1\/operations\/[\w-]+$/);
    assert.equal(
      (op.json.metadata as Record<string, string>)['@type'],
      'type.googleapis.com/google.cloud.run.v2.Service',
    );
    const during = await call('GET', `${base}/orchestra-api`);
    assert.equal(during.json.reconciling, true);
    assert.deepEqual((during.json.terminalCondition as { state: string }).state, 'CONDITION_RECONCILING');
    assert.equal(during.json.latestReadyRevision, undefined);
    const early = await fetch(String(during.json.uri), { headers: { authorization: `Bearer ${token}` } });
    assert.equal(early.status, 503, 'not serving before it is ready');
    clock.advance(300);
    const op2 = await call('GET', `/v2/${String(op.json.name)}`);
    assert.equal(op2.json.done, true);
    const ready = await call('GET', `${base}/orchestra-api`);
    assertMatchesReference(
      ready.json,
      {
        name: /^projects\/run-p\/locations\/us-central1\/services\/orchestra-api$/,
        uid: 'string',
        generation: 'int64',
        observedGeneration: 'int64',
        createTime: 'timestamp',
        updateTime: 'timestamp',
        creator: 'string',
        lastModifier: 'string',
        ingress: /^INGRESS_TRAFFIC_(ALL|INTERNAL_ONLY|INTERNAL_LOAD_BALANCER|NONE)$/,
        launchStage: 'string',
        template: 'object',
        traffic: 'array',
        terminalCondition: 'object',
        conditions: 'array',
        latestReadyRevision:
          /^projects\/run-p\/locations\/us-central1\/services\/orchestra-api\/revisions\/orchestra-api-00001-[a-z]{3}$/,
        latestCreatedRevision: 'string',
        trafficStatuses: 'array',
        uri: /^http:\/\/127\.0\.0\.1:\d+\/__run\//,
        urls: 'array',
        reconciling: 'boolean',
        etag: 'string',
      },
      SERVICE_FIELDS,
      SERVICE_REF,
    );
    assert.deepEqual(
      { ...(ready.json.terminalCondition as object), lastTransitionTime: undefined },
      { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: undefined },
    );
    assert.equal(ready.json.reconciling, false);
    assert.equal(ready.json.generation, '1');
  });

  it('the service uri answers with the configured latency', async () => {
    await call('POST', `${base}?serviceId=api`, body);
    const uri = String((await call('GET', `${base}/api`)).json.uri);
    emu.setFaults({ runServiceLatencyMs: 60 });
    const t = performance.now();
    const res = await asInvoker(`${uri}/api/status`);
    const took = performance.now() - t;
    assert.equal(res.status, 200);
    const json = (await res.json()) as { status: string; path: string; revision: string };
    assert.equal(json.status, 'ok');
    assert.equal(json.path, '/api/status');
    assert.ok(took >= 55, `took ${took}`);
    assert.equal(emu.requestLog().filter((r) => r.kind === 'service-url').length, 1);
    assert.equal((await asInvoker(uri.replace('/api', '/nope'))).status, 404);
  });

  it('PATCH with allowMissing=true creates; PATCH updates (generation 2, new revision); PATCH without it on a missing service is 404', async () => {
    assert.equal((await call('PATCH', `${base}/ghost`, body)).status, 404);
    const created = await call('PATCH', `${base}/api?allowMissing=true`, body);
    assert.equal(created.status, 200);
    const first = await call('GET', `${base}/api`);
    assert.equal(first.json.generation, '1');
    await call('POST', '/v1/projects/run-p/locations/us/repositories?repositoryId=x', { format: 'DOCKER' });
    await pushImage(emu, 'us-docker.pkg.dev/run-p/x/api:v2');
    const updated = await call('PATCH', `${base}/api`, {
      template: { containers: [{ image: 'us-docker.pkg.dev/run-p/x/api:v2' }] },
    });
    assert.equal(updated.status, 200);
    const second = await call('GET', `${base}/api`);
    assert.equal(second.json.generation, '2');
    assert.notEqual(second.json.latestReadyRevision, first.json.latestReadyRevision);
    assert.equal(second.json.uid, first.json.uid);
    assert.equal(
      (second.json.template as { containers: Array<{ image: string }> }).containers[0].image,
      'us-docker.pkg.dev/run-p/x/api:v2',
    );
    const stale = await call('PATCH', `${base}/api`, { ...body, etag: first.json.etag });
    assert.equal(stale.status, 409);
    assert.equal((stale.json.error as { status: string }).status, 'ABORTED');
  });

  it('duplicate create 409, no image 400, unknown 404, list', async () => {
    await call('POST', `${base}?serviceId=api`, body);
    assert.equal((await call('POST', `${base}?serviceId=api`, body)).status, 409);
    assert.equal((await call('POST', `${base}?serviceId=noimage`, { template: { containers: [{}] } })).status, 400);
    assert.equal((await call('GET', `${base}/nope`)).status, 404);
    assert.equal(((await call('GET', base)).json.services as unknown[]).length, 1);
    assert.equal((await call('GET', '/v2/projects/run-p/locations/us-central1/operations/none')).status, 404);
  });

  /** A GET as gcloud sends it through a proxy: absolute-form target on a regional host. */
  function viaProxy(target: string): Promise<{ status: number; json: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const port = new URL(emu.url).port;
      const req = http.get(
        {
          host: '127.0.0.1',
          port,
          path: `http://us-central1-127.0.0.1:${port}${target}`,
          headers: { authorization: `Bearer ${TEST_TOKEN}` },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }),
          );
        },
      );
      req.on('error', reject);
    });
  }

  it('serves the Knative v1 view gcloud reads (regional host, absolute-form proxy request)', async () => {
    // https://cloud.google.com/run/docs/reference/rest/v1/namespaces.services#Service
    await call('POST', `${base}?serviceId=api`, body);
    await call('POST', '/v2/projects/run-p/locations/us-east1/services?serviceId=east', body);
    const one = await viaProxy('/apis/serving.knative.dev/v1/namespaces/run-p/services/api');
    assert.equal(one.status, 200);
    assertMatchesReference(
      one.json,
      {
        apiVersion: /^serving\.knative\.dev\/v1$/,
        kind: /^Service$/,
        metadata: 'object',
        spec: 'object',
        status: 'object',
      },
      ['apiVersion', 'kind', 'metadata', 'spec', 'status'],
      'https://cloud.google.com/run/docs/reference/rest/v1/namespaces.services#Service',
    );
    const status = one.json.status as {
      conditions: Array<{ type: string; status: string; lastTransitionTime: string }>;
      url: string;
      latestReadyRevisionName: string;
    };
    assert.deepEqual(
      { ...status.conditions[0], lastTransitionTime: undefined },
      { type: 'Ready', status: 'True', lastTransitionTime: undefined },
    );
    assert.match(status.conditions[0].lastTransitionTime, /^\d{4}-\d\d-\d\dT/);
    assert.match(status.latestReadyRevisionName, /^api-00001-[a-z]{3}$/);
    assert.match(status.url, /\/__run\/run-p\/us-central1\/api$/);
    const list = await viaProxy('/apis/serving.knative.dev/v1/namespaces/run-p/services');
    assert.equal(list.json.kind, 'ServiceList');
    assert.deepEqual(
      (list.json.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name),
      ['api'],
      'only the region of the host',
    );
    assert.equal((await viaProxy('/apis/serving.knative.dev/v1/namespaces/run-p/services/east')).status, 404);
  });
});
