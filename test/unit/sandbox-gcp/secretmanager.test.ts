import * as assert from 'node:assert/strict';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { crc32c } from '../../../src/sandbox/gcp';
import { assertMatchesReference, caller, withEmulator } from './helpers';

const SECRET_FIELDS = [
  'name',
  'replication',
  'createTime',
  'labels',
  'topics',
  'expireTime',
  'ttl',
  'etag',
  'rotation',
  'versionAliases',
  'annotations',
  'versionDestroyTtl',
  'customerManagedEncryption',
  'tags',
];
const VERSION_FIELDS = [
  'name',
  'createTime',
  'destroyTime',
  'state',
  'replicationStatus',
  'etag',
  'clientSpecifiedPayloadChecksum',
  'scheduledDestroyTime',
  'customerManagedEncryption',
];

describe('emulator: Secret Manager', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  const base = '/v1/projects/sm-p/secrets';
  before(async () => (emu = await withEmulator({ projects: ['sm-p'] })));
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    await call('POST', '/v1/projects/sm-p/services:batchEnable', { serviceIds: ['secretmanager.googleapis.com'] });
  });

  it('POST ?secretId= creates a Secret named with the project number', async () => {
    const r = await call('POST', `${base}?secretId=orchestra-config`, {
      replication: { automatic: {} },
      labels: { app: 'orchestra' },
    });
    assert.equal(r.status, 200);
    assertMatchesReference(
      r.json,
      {
        name: /^projects\/\d{12}\/secrets\/orchestra-config$/,
        replication: 'object',
        createTime: 'timestamp',
        etag: /^".+"$/,
        labels: 'object',
      },
      SECRET_FIELDS,
      'https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets#Secret',
    );
    assert.deepEqual((await call('GET', `${base}/orchestra-config`)).json, r.json);
    const number = String(r.json.name).split('/')[1];
    assert.deepEqual(
      (await call('GET', `/v1/projects/${number}/secrets/orchestra-config`)).json,
      r.json,
      'the number works in paths too',
    );
  });

  it(':addVersion stores a version; versions list (newest first), get, and latest:access return it', async () => {
    await call('POST', `${base}?secretId=cfg`, { replication: { automatic: {} } });
    const data = Buffer.from('API_URL=https://x\n').toString('base64');
    const v1 = await call('POST', `${base}/cfg:addVersion`, {
      payload: { data, dataCrc32c: String(crc32c(Buffer.from(data, 'base64'))) },
    });
    assert.equal(v1.status, 200);
    assertMatchesReference(
      v1.json,
      {
        name: /^projects\/\d+\/secrets\/cfg\/versions\/1$/,
        createTime: 'timestamp',
        state: /^ENABLED$/,
        replicationStatus: 'object',
        etag: 'string',
        clientSpecifiedPayloadChecksum: 'boolean',
      },
      VERSION_FIELDS,
      'https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions#SecretVersion',
    );
    assert.equal(v1.json.clientSpecifiedPayloadChecksum, true);
    await call('POST', `${base}/cfg:addVersion`, { payload: { data: Buffer.from('v2').toString('base64') } });
    const list = await call('GET', `${base}/cfg/versions`);
    assert.deepEqual(
      (list.json.versions as Array<{ name: string }>).map((v) => v.name.split('/').pop()),
      ['2', '1'],
    );
    assert.equal(list.json.totalSize, 2);
    assert.equal((await call('GET', `${base}/cfg/versions/1`)).json.name, v1.json.name);
    const access = await call('GET', `${base}/cfg/versions/latest:access`);
    // https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access#response-body
    assertMatchesReference(
      access.json,
      { name: /versions\/2$/, payload: 'object' },
      ['name', 'payload'],
      'AccessSecretVersionResponse',
    );
    const payload = access.json.payload as { data: string; dataCrc32c: string };
    assert.equal(Buffer.from(payload.data, 'base64').toString(), 'v2');
    assert.equal(payload.dataCrc32c, String(crc32c(Buffer.from('v2'))));
    assert.equal(
      Buffer.from(
        ((await call('GET', `${base}/cfg/versions/1:access`)).json.payload as { data: string }).data,
        'base64',
      ).toString(),
      'API_URL=https://x\n',
    );
  });

  it('refuses a wrong checksum, bad base64, a missing secret, a duplicate, and no replication', async () => {
    await call('POST', `${base}?secretId=cfg`, { replication: { automatic: {} } });
    assert.equal(
      (await call('POST', `${base}/cfg:addVersion`, { payload: { data: 'aGk=', dataCrc32c: '1' } })).status,
      400,
    );
    assert.equal((await call('POST', `${base}/cfg:addVersion`, { payload: { data: '***' } })).status, 400);
    assert.equal((await call('POST', `${base}/nope:addVersion`, { payload: { data: 'aGk=' } })).status, 404);
    assert.equal((await call('POST', `${base}?secretId=cfg`, { replication: { automatic: {} } })).status, 409);
    assert.equal((await call('POST', `${base}?secretId=other`, {})).status, 400);
    assert.equal((await call('GET', `${base}/cfg/versions/latest:access`)).status, 404, 'no version yet');
    assert.equal((await call('GET', `${base}/cfg/versions/9`)).status, 404);
    assert.equal(((await call('GET', base)).json.secrets as unknown[]).length, 1);
  });

  it('crc32c matches the Castagnoli check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });
});
