import * as assert from 'node:assert/strict';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { assertMatchesReference, caller, withEmulator } from './helpers';

const SA_REF = 'https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts#ServiceAccount';
const POLICY_REF = 'https://cloud.google.com/iam/docs/reference/rest/v1/Policy';

describe('emulator: IAM service accounts', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  const P = 'iam-p';
  before(async () => (emu = await withEmulator({ projects: ['iam-p', 'crm-p', 'test'] })));
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    await call('POST', `/v1/projects/${P}/services:batchEnable`, { serviceIds: ['iam.googleapis.com'] });
  });

  it('POST serviceAccounts creates one: shape of ServiceAccount', async () => {
    const r = await call('POST', `/v1/projects/${P}/serviceAccounts`, {
      accountId: 'orchestra-runtime',
      serviceAccount: { displayName: 'Orchestra runtime', description: 'runs the API' },
    });
    assert.equal(r.status, 200);
    assertMatchesReference(
      r.json,
      {
        name: /^projects\/iam-p\/serviceAccounts\/orchestra-runtime@iam-p\.iam\.gserviceaccount\.com$/,
        projectId: 'string',
        uniqueId: /^\d{21}$/,
        email: 'string',
        displayName: 'string',
        etag: 'string',
        description: 'string',
        oauth2ClientId: 'string',
      },
      ['name', 'projectId', 'uniqueId', 'email', 'displayName', 'etag', 'description', 'oauth2ClientId', 'disabled'],
      SA_REF,
    );
    assert.equal(r.json.email, `orchestra-runtime@${P}.iam.gserviceaccount.com`);
    assert.equal(r.json.projectId, P);
  });

  it('GET serviceAccounts/{email} (also with projects/- and by uniqueId), 404 for an unknown one', async () => {
    const created = await call('POST', `/v1/projects/${P}/serviceAccounts`, { accountId: 'orchestra-runtime' });
    const email = `orchestra-runtime@${P}.iam.gserviceaccount.com`;
    assert.deepEqual((await call('GET', `/v1/projects/${P}/serviceAccounts/${email}`)).json, created.json);
    assert.equal((await call('GET', `/v1/projects/-/serviceAccounts/${email}`)).json.email, email);
    assert.equal(
      (await call('GET', `/v1/projects/${P}/serviceAccounts/${String(created.json.uniqueId)}`)).json.email,
      email,
    );
    const missing = await call('GET', `/v1/projects/${P}/serviceAccounts/nobody@${P}.iam.gserviceaccount.com`);
    assert.equal(missing.status, 404);
    assert.equal((missing.json.error as { status: string }).status, 'NOT_FOUND');
  });

  it('GET serviceAccounts lists them; duplicates are 409 ALREADY_EXISTS; bad IDs 400', async () => {
    await call('POST', `/v1/projects/${P}/serviceAccounts`, { accountId: 'orchestra-runtime' });
    const dup = await call('POST', `/v1/projects/${P}/serviceAccounts`, { accountId: 'orchestra-runtime' });
    assert.equal(dup.status, 409);
    assert.equal((dup.json.error as { status: string }).status, 'ALREADY_EXISTS');
    assert.equal((await call('POST', `/v1/projects/${P}/serviceAccounts`, { accountId: 'Bad_Id' })).status, 400);
    const list = await call('GET', `/v1/projects/${P}/serviceAccounts`);
    assert.equal((list.json.accounts as unknown[]).length, 1);
  });
});

describe('emulator: Resource Manager IAM policy', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  const P = 'crm-p';
  before(async () => (emu = await withEmulator({ projects: ['iam-p', 'crm-p', 'test'] })));
  after(() => emu.close());
  beforeEach(() => emu.reset());

  it('POST :getIamPolicy returns a Policy (version, etag, bindings)', async () => {
    // https://cloud.google.com/resource-manager/reference/rest/v3/projects/getIamPolicy
    const r = await call('POST', `/v3/projects/${P}:getIamPolicy`, { options: { requestedPolicyVersion: 3 } });
    assert.equal(r.status, 200);
    assertMatchesReference(
      r.json,
      { version: 'number', etag: /^[A-Za-z0-9+/]+=*$/, bindings: 'array' },
      ['version', 'bindings', 'auditConfigs', 'etag'],
      POLICY_REF,
    );
    assert.deepEqual(r.json.bindings, [{ role: 'roles/owner', members: ['user:sandbox-owner@example.com'] }]);
  });

  it('POST :setIamPolicy writes with a fresh etag; a stale etag is 409 ABORTED', async () => {
    // https://cloud.google.com/resource-manager/reference/rest/v3/projects/setIamPolicy
    const policy = (await call('POST', `/v3/projects/${P}:getIamPolicy`, {})).json as {
      etag: string;
      bindings: Array<{ role: string; members: string[] }>;
    };
    policy.bindings.push({ role: 'roles/run.invoker', members: ['user:ana@example.com'] });
    const set = await call('POST', `/v3/projects/${P}:setIamPolicy`, { policy });
    assert.equal(set.status, 200);
    assert.notEqual(set.json.etag, policy.etag);
    assert.equal((set.json.bindings as unknown[]).length, 2);
    const stale = await call('POST', `/v3/projects/${P}:setIamPolicy`, { policy });
    assert.equal(stale.status, 409);
    assert.equal((stale.json.error as { status: string }).status, 'ABORTED');
    assert.match((stale.json.error as { message: string }).message, /concurrent policy changes/);
  });

  it('setIamPolicy takes the etag as proto bytes: base64url (as gcloud sends it) matches too', async () => {
    let policy = (await call('POST', `/v3/projects/${P}:getIamPolicy`, {})).json as { etag: string };
    // Force an etag with '+' or '/' in it so the two encodings differ.
    for (let i = 0; i < 50 && !/[+/]/.test(policy.etag); i++) {
      policy = (await call('POST', `/v3/projects/${P}:setIamPolicy`, { policy })).json as { etag: string };
    }
    assert.match(policy.etag, /[+/]/);
    const urlSafe = policy.etag.replace(/\+/g, '-').replace(/\//g, '_');
    assert.equal(
      (await call('POST', `/v3/projects/${P}:setIamPolicy`, { policy: { ...policy, etag: urlSafe } })).status,
      200,
    );
  });

  it('setIamPolicy refuses an unknown service account member and a malformed member (400)', async () => {
    const bad = await call('POST', `/v3/projects/${P}:setIamPolicy`, {
      policy: { bindings: [{ role: 'roles/viewer', members: [`serviceAccount:ghost@${P}.iam.gserviceaccount.com`] }] },
    });
    assert.equal(bad.status, 400);
    assert.match((bad.json.error as { message: string }).message, /does not exist/);
    assert.equal(
      (
        await call('POST', `/v3/projects/${P}:setIamPolicy`, {
          policy: { bindings: [{ role: 'roles/viewer', members: ['ana@example.com'] }] },
        })
      ).status,
      400,
    );
    assert.equal((await call('POST', `/v3/projects/${P}:setIamPolicy`, {})).status, 400);
  });

  it('POST :testIamPermissions returns the permissions not denied', async () => {
    // https://cloud.google.com/resource-manager/reference/rest/v3/projects/testIamPermissions
    emu.setFaults({ deniedPermissions: ['run.services.create'] });
    const r = await call('POST', `/v3/projects/${P}:testIamPermissions`, {
      permissions: ['run.services.create', 'iam.serviceAccounts.create'],
    });
    assert.deepEqual(r.json, { permissions: ['iam.serviceAccounts.create'] });
    emu.setFaults({ deniedPermissions: ['a.b.c'] });
    assert.deepEqual((await call('POST', `/v3/projects/${P}:testIamPermissions`, { permissions: ['a.b.c'] })).json, {});
  });

  it('GET /v3/projects/{id} and the v1 routes gcloud uses', async () => {
    const v3 = await call('GET', `/v3/projects/${P}`);
    assertMatchesReference(
      v3.json,
      {
        name: /^projects\/\d+$/,
        projectId: 'string',
        state: 'string',
        displayName: 'string',
        createTime: 'timestamp',
        etag: 'string',
      },
      [
        'name',
        'parent',
        'projectId',
        'state',
        'displayName',
        'createTime',
        'updateTime',
        'deleteTime',
        'etag',
        'labels',
        'tags',
      ],
      'https://cloud.google.com/resource-manager/reference/rest/v3/projects#Project',
    );
    assert.equal((await call('GET', `/v1/projects/${P}`)).json.projectId, P);
    assert.equal((await call('POST', `/v1/projects/${P}:getIamPolicy`, {})).status, 200);
    const v1policy = (await call('POST', `/v1/projects/${P}:getIamPolicy`, {})).json;
    assert.equal((await call('POST', `/v1/projects/${P}:setIamPolicy`, { policy: v1policy })).status, 200);
    assert.equal((await call('POST', `/v1/projects/${P}:testIamPermissions`, { permissions: ['x.y.z'] })).status, 200);
    // The project number in Service Usage names the same project.
    const number = String(v3.json.name).split('/')[1];
    assert.equal(
      (await call('GET', `/v1/projects/${number}/services/run.googleapis.com`)).json.parent,
      `projects/${number}`,
    );
  });
});
