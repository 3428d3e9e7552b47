import * as assert from 'node:assert/strict';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { ManualClock } from '../clock';
import { assertMatchesReference, caller, OPERATION_FIELDS, withEmulator } from './helpers';

const REPO_REF =
  'https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories#Repository';
const REPO_FIELDS = [
  'name',
  'format',
  'description',
  'labels',
  'createTime',
  'updateTime',
  'kmsKeyName',
  'mode',
  'cleanupPolicies',
  'sizeBytes',
  'satisfiesPzs',
  'cleanupPolicyDryRun',
  'vulnerabilityScanningConfig',
  'disallowUnspecifiedMode',
  'satisfiesPzi',
  'registryUri',
  'mavenConfig',
  'dockerConfig',
  'virtualRepositoryConfig',
  'remoteRepositoryConfig',
];
const BUCKET_REF = 'https://cloud.google.com/storage/docs/json_api/v1/buckets#resource';
const BUCKET_FIELDS = [
  'kind',
  'id',
  'selfLink',
  'projectNumber',
  'name',
  'timeCreated',
  'updated',
  'defaultEventBasedHold',
  'retentionPolicy',
  'objectRetention',
  'metageneration',
  'acl',
  'defaultObjectAcl',
  'iamConfiguration',
  'encryption',
  'owner',
  'location',
  'locationType',
  'rpo',
  'customPlacementConfig',
  'website',
  'logging',
  'versioning',
  'cors',
  'lifecycle',
  'labels',
  'storageClass',
  'billing',
  'etag',
  'autoclass',
  'hierarchicalNamespace',
  'softDeletePolicy',
  'satisfiesPZS',
  'generation',
  'softDeleteTime',
  'hardDeleteTime',
  'ipFilter',
];

describe('emulator: Artifact Registry repositories', () => {
  /** Operations finish when the test says so: no sleep racing the LRO delay. */
  const clock = new ManualClock();
  let emu: GcpEmulator;
  const call = caller(() => emu);
  const P = 'ar-p';
  const base = `/v1/projects/${P}/locations/us-central1/repositories`;
  before(
    async () => (emu = await withEmulator({ projects: ['ar-p', 'gs-p', 'other-p', 'someone-else'], now: clock.now })),
  );
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    await call('POST', `/v1/projects/${P}/services:batchEnable`, { serviceIds: ['artifactregistry.googleapis.com'] });
  });

  it('POST ?repositoryId= returns an LRO whose response is the Repository; GET shows it', async () => {
    emu.setFaults({ lroDelayMs: 50 });
    const op = await call('POST', `${base}?repositoryId=orchestra`, { format: 'DOCKER', description: 'images' });
    assert.equal(op.status, 200);
    assertMatchesReference(
      op.json,
      { name: /^projects\/ar-p\/locations\/us-central1\/operations\/[\w-]+$/, metadata: 'object' },
      OPERATION_FIELDS,
      'google.longrunning.Operation',
    );
    assert.equal(op.json.done, undefined);
    clock.advance(50);
    const again = await call('GET', `/v1/${String(op.json.name)}`);
    assert.equal(again.status, 200);
    assert.equal(again.json.done, true);
    assert.equal(
      (again.json.response as Record<string, string>)['@type'],
      'type.googleapis.com/google.devtools.artifactregistry.v1.Repository',
    );
    const repo = await call('GET', `${base}/orchestra`);
    assertMatchesReference(
      repo.json,
      {
        name: /^projects\/ar-p\/locations\/us-central1\/repositories\/orchestra$/,
        format: /^DOCKER$/,
        description: 'string',
        createTime: 'timestamp',
        updateTime: 'timestamp',
        mode: /^STANDARD_REPOSITORY$/,
        registryUri: /^us-central1-docker\.pkg\.dev\/ar-p\/orchestra$/,
      },
      REPO_FIELDS,
      REPO_REF,
    );
  });

  it('duplicates are 409, a missing repo 404, a bad format 400; list returns them', async () => {
    await call('POST', `${base}?repositoryId=orchestra`, { format: 'DOCKER' });
    assert.equal((await call('POST', `${base}?repositoryId=orchestra`, { format: 'DOCKER' })).status, 409);
    assert.equal((await call('GET', `${base}/nope`)).status, 404);
    assert.equal((await call('POST', `${base}?repositoryId=other`, { format: 'TAPE' })).status, 400);
    assert.equal((await call('POST', base, { format: 'DOCKER' })).status, 400, 'repositoryId is required');
    const list = await call('GET', base);
    assert.deepEqual(
      (list.json.repositories as Array<{ name: string }>).map((r) => r.name),
      [`projects/${P}/locations/us-central1/repositories/orchestra`],
    );
  });
});

describe('emulator: Cloud Storage buckets', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  before(async () => (emu = await withEmulator({ projects: ['ar-p', 'gs-p', 'other-p', 'someone-else'] })));
  after(() => emu.close());
  beforeEach(() => emu.reset());

  it('POST /storage/v1/b?project= creates a bucket: shape of the Bucket resource', async () => {
    const r = await call('POST', '/storage/v1/b?project=gs-p', {
      name: 'gs-p-reports',
      location: 'us-central1',
      iamConfiguration: { uniformBucketLevelAccess: { enabled: true } },
    });
    assert.equal(r.status, 200);
    assertMatchesReference(
      r.json,
      {
        kind: /^storage#bucket$/,
        id: 'string',
        selfLink: 'string',
        projectNumber: /^\d+$/,
        name: /^gs-p-reports$/,
        timeCreated: 'timestamp',
        updated: 'timestamp',
        metageneration: 'int64',
        generation: 'int64',
        location: /^US-CENTRAL1$/,
        locationType: /^region$/,
        storageClass: /^STANDARD$/,
        etag: 'string',
        iamConfiguration: 'object',
        rpo: 'string',
      },
      BUCKET_FIELDS,
      BUCKET_REF,
    );
    assert.equal(
      (r.json.iamConfiguration as { uniformBucketLevelAccess: { enabled: boolean } }).uniformBucketLevelAccess.enabled,
      true,
    );
  });

  it("GET /storage/v1/b/{name}, and Storage's error dialect for 404 and 409", async () => {
    const created = await call('POST', '/storage/v1/b?project=gs-p', { name: 'gs-p-reports' });
    assert.deepEqual((await call('GET', '/storage/v1/b/gs-p-reports')).json, created.json);
    const missing = await call('GET', '/storage/v1/b/nope-nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, {
      error: {
        code: 404,
        message: 'The specified bucket does not exist.',
        errors: [{ message: 'The specified bucket does not exist.', domain: 'global', reason: 'notFound' }],
      },
    });
    const dup = await call('POST', '/storage/v1/b?project=gs-p', { name: 'gs-p-reports' });
    assert.equal(dup.status, 409);
    assert.match(JSON.stringify(dup.json), /you already own it.*"reason":"conflict"/);
    const taken = await call('POST', '/storage/v1/b?project=someone-else', { name: 'gs-p-reports' });
    assert.match(JSON.stringify(taken.json), /not available/);
    assert.equal((await call('POST', '/storage/v1/b?project=gs-p', { name: 'Bad Name' })).status, 400);
    assert.equal((await call('POST', '/storage/v1/b', { name: 'no-project-bucket' })).status, 400);
  });

  it('deletes only an empty bucket (409, as Google), and deletes objects by their encoded name', async () => {
    await call('POST', '/storage/v1/b?project=gs-p', { name: 'gs-p-full' });
    const put = await fetch(`${emu.url}/upload/storage/v1/b/gs-p-full/o?uploadType=media&name=src%2Fa.tar.gz`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/gzip' },
      body: new Uint8Array([1, 2, 3]),
    });
    assert.equal(put.status, 200);
    const refused = await call('DELETE', '/storage/v1/b/gs-p-full');
    assert.equal(refused.status, 409);
    assert.match(JSON.stringify(refused.json), /not empty.*"reason":"conflict"/);
    assert.equal((await call('GET', '/storage/v1/b/gs-p-full')).status, 200, 'the bucket is still there');
    assert.equal((await call('DELETE', '/storage/v1/b/gs-p-full/o/src%2Fa.tar.gz')).status, 204);
    assert.equal((await call('DELETE', '/storage/v1/b/gs-p-full/o/src%2Fa.tar.gz')).status, 404);
    assert.equal((await call('DELETE', '/storage/v1/b/gs-p-full')).status, 204);
    assert.equal((await call('GET', '/storage/v1/b/gs-p-full')).status, 404);
  });

  it("GET /storage/v1/b?project= lists the project's buckets only", async () => {
    await call('POST', '/storage/v1/b?project=gs-p', { name: 'gs-p-a' });
    await call('POST', '/storage/v1/b?project=other-p', { name: 'other-b' });
    const list = await call('GET', '/storage/v1/b?project=gs-p');
    assert.equal(list.json.kind, 'storage#buckets');
    assert.deepEqual(
      (list.json.items as Array<{ name: string }>).map((b) => b.name),
      ['gs-p-a'],
    );
  });

  it('answers 401 in the Storage dialect without a token', async () => {
    const r = await call('GET', '/storage/v1/b/x', undefined, null);
    assert.equal(r.status, 401);
    assert.equal((r.json.error as { errors: Array<{ reason: string }> }).errors[0].reason, 'required');
  });
});
