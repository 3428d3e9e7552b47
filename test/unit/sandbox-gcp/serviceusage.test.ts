import * as assert from 'node:assert/strict';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { assertMatchesReference, caller, OPERATION_FIELDS, withEmulator } from './helpers';

describe('emulator: Service Usage', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  before(async () => (emu = await withEmulator({ projects: ['su-p'] })));
  after(() => emu.close());
  beforeEach(() => emu.reset());

  it('GET services/{name}: shape of google.api.serviceusage.v1.Service', async () => {
    // https://cloud.google.com/service-usage/docs/reference/rest/v1/services#Service
    const r = await call('GET', '/v1/projects/su-p/services/run.googleapis.com');
    assert.equal(r.status, 200);
    assertMatchesReference(
      r.json,
      {
        name: /^projects\/\d+\/services\/run\.googleapis\.com$/,
        parent: /^projects\/\d+$/,
        config: 'object',
        state: /^(ENABLED|DISABLED)$/,
      },
      ['name', 'parent', 'config', 'state'],
      'https://cloud.google.com/service-usage/docs/reference/rest/v1/services#Service',
    );
    assert.equal(r.json.state, 'DISABLED');
    assert.deepEqual(r.json.config, { name: 'run.googleapis.com', title: 'Cloud Run Admin API' });
  });

  it('POST services:batchEnable returns an operation (operations/acf.p2-...) that enables them', async () => {
    // https://cloud.google.com/service-usage/docs/reference/rest/v1/services/batchEnable
    const r = await call('POST', '/v1/projects/su-p/services:batchEnable', {
      serviceIds: ['run.googleapis.com', 'iam.googleapis.com'],
    });
    assert.equal(r.status, 200);
    assertMatchesReference(
      r.json,
      { name: /^operations\/acf\.p2-\d+-[0-9a-f-]+$/, done: 'boolean', response: 'object' },
      OPERATION_FIELDS,
      'google.longrunning.Operation',
    );
    const response = r.json.response as { '@type': string; services: Array<{ state: string }> };
    assert.equal(response['@type'], 'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse');
    assert.deepEqual(
      response.services.map((s) => s.state),
      ['ENABLED', 'ENABLED'],
    );
    const op = await call('GET', `/v1/${String(r.json.name)}`);
    assert.equal(op.status, 200);
    assert.equal(op.json.done, true);
    assert.equal((await call('GET', '/v1/projects/su-p/services/run.googleapis.com')).json.state, 'ENABLED');
  });

  it('batchEnable refuses more than 20 services and an empty list with INVALID_ARGUMENT', async () => {
    const many = Array.from({ length: 21 }, (_, i) => `svc${i}.googleapis.com`);
    const r = await call('POST', '/v1/projects/su-p/services:batchEnable', { serviceIds: many });
    assert.equal(r.status, 400);
    assert.equal((r.json.error as { status: string }).status, 'INVALID_ARGUMENT');
    assert.equal((await call('POST', '/v1/projects/su-p/services:batchEnable', { serviceIds: [] })).status, 400);
    assert.equal(
      (await call('POST', '/v1/projects/su-p/services:batchEnable', { serviceIds: ['not a service'] })).status,
      403,
    );
  });

  it('services/{name}:enable and :disable toggle one service (LRO)', async () => {
    const on = await call('POST', '/v1/projects/su-p/services/secretmanager.googleapis.com:enable', {});
    assert.equal((on.json.response as { service: { state: string } }).service.state, 'ENABLED');
    const off = await call('POST', '/v1/projects/su-p/services/secretmanager.googleapis.com:disable', {});
    assert.equal((off.json.response as { service: { state: string } }).service.state, 'DISABLED');
  });

  it('GET services?filter=state:ENABLED lists enabled services (and DISABLED the others), with paging', async () => {
    await call('POST', '/v1/projects/su-p/services:batchEnable', { serviceIds: ['run.googleapis.com'] });
    const enabled = await call('GET', '/v1/projects/su-p/services?filter=state:ENABLED');
    const names = (enabled.json.services as Array<{ config: { name: string } }>).map((s) => s.config.name);
    assert.ok(names.includes('run.googleapis.com') && names.includes('storage.googleapis.com'));
    // A new project has Google's documented default set, and none of the others the migration needs.
    for (const s of ['bigquery.googleapis.com', 'logging.googleapis.com', 'datastore.googleapis.com'])
      assert.ok(names.includes(s), `${s} enabled by default`);
    for (const s of ['iam.googleapis.com', 'artifactregistry.googleapis.com', 'cloudbuild.googleapis.com'])
      assert.ok(!names.includes(s), `${s} not enabled by default`);
    const disabled = await call('GET', '/v1/projects/su-p/services?filter=state:DISABLED');
    assert.ok(
      (disabled.json.services as Array<{ config: { name: string } }>).some(
        (s) => s.config.name === 'iam.googleapis.com',
      ),
    );
    const first = await call('GET', '/v1/projects/su-p/services?filter=state:ENABLED&pageSize=2');
    assert.equal((first.json.services as unknown[]).length, 2);
    assert.equal(first.json.nextPageToken, '2');
    assert.equal((await call('GET', '/v1/projects/su-p/services?filter=bogus')).status, 400);
  });

  it('GET /v1/operations/{name} is 404 for an unknown operation', async () => {
    const r = await call('GET', '/v1/operations/acf.p2-1-nope');
    assert.equal(r.status, 404);
    assert.equal((r.json.error as { status: string }).status, 'NOT_FOUND');
  });
});
