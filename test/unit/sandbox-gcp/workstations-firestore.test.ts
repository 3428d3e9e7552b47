import * as assert from 'node:assert/strict';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { assertMatchesReference, caller, withEmulator } from './helpers';

const CLUSTER_REF =
  'https://cloud.google.com/workstations/docs/reference/rest/v1/projects.locations.workstationClusters#WorkstationCluster';
const CLUSTER_FIELDS = [
  'name',
  'displayName',
  'uid',
  'reconciling',
  'annotations',
  'labels',
  'createTime',
  'updateTime',
  'deleteTime',
  'etag',
  'network',
  'subnetwork',
  'controlPlaneIp',
  'privateClusterConfig',
  'domainConfig',
  'degraded',
  'conditions',
  'tags',
  'satisfiesPzs',
  'satisfiesPzi',
];
const CONFIG_FIELDS = [
  'name',
  'displayName',
  'uid',
  'reconciling',
  'annotations',
  'labels',
  'createTime',
  'updateTime',
  'deleteTime',
  'etag',
  'idleTimeout',
  'runningTimeout',
  'host',
  'persistentDirectories',
  'ephemeralDirectories',
  'container',
  'encryptionKey',
  'readinessChecks',
  'replicaZones',
  'degraded',
  'conditions',
  'enableAuditAgent',
  'disableTcpConnections',
  'allowedPorts',
  'maxUsableWorkstations',
  'grantWorkstationAdminRoleOnCreate',
  'satisfiesPzs',
  'satisfiesPzi',
];
const WORKSTATION_FIELDS = [
  'name',
  'displayName',
  'uid',
  'reconciling',
  'annotations',
  'labels',
  'createTime',
  'updateTime',
  'startTime',
  'deleteTime',
  'etag',
  'state',
  'host',
  'env',
  'kmsKey',
  'sourceWorkstation',
  'runtimeHost',
  'satisfiesPzs',
  'satisfiesPzi',
];
const DATABASE_REF = 'https://cloud.google.com/firestore/docs/reference/rest/v1/projects.databases#Database';
const DATABASE_FIELDS = [
  'name',
  'uid',
  'createTime',
  'updateTime',
  'deleteTime',
  'locationId',
  'type',
  'concurrencyMode',
  'versionRetentionPeriod',
  'earliestVersionTime',
  'pointInTimeRecoveryEnablement',
  'appEngineIntegrationMode',
  'keyPrefix',
  'deleteProtectionState',
  'cmekConfig',
  'previousId',
  'sourceInfo',
  'tags',
  'freeTier',
  'etag',
  'databaseEdition',
  'realtimeUpdatesMode',
  'firestoreDataAccessMode',
  'mongodbCompatibleDataAccessMode',
];

describe('emulator: Cloud Workstations', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  const loc = '/v1/projects/ws-p/locations/us-central1';
  const cluster = `${loc}/workstationClusters/orchestra`;
  const config = `${cluster}/workstationConfigs/dev`;
  before(async () => (emu = await withEmulator({ projects: ['fs-p', 'ws-p'] })));
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    await call('POST', '/v1/projects/ws-p/services:batchEnable', { serviceIds: ['workstations.googleapis.com'] });
  });

  it('cluster -> config -> workstation, each an LRO, each readable: shapes of the three resources', async () => {
    const ops = [
      await call('POST', `${loc}/workstationClusters?workstationClusterId=orchestra`, { displayName: 'Orchestra' }),
      await call('POST', `${cluster}/workstationConfigs?workstationConfigId=dev`, {
        host: { gceInstance: { machineType: 'e2-standard-8' } },
        container: { image: 'us-docker.pkg.dev/x/y:1' },
      }),
      await call('POST', `${config}/workstations?workstationId=ana`, {}),
    ];
    for (const op of ops) {
      assert.equal(op.status, 200);
      assert.match(String(op.json.name), /^projects\/ws-p\/locations\/us-central1\/operations\//);
      assert.equal(
        (op.json.metadata as Record<string, string>)['@type'],
        'type.googleapis.com/google.cloud.workstations.v1.OperationMetadata',
      );
      assert.equal((await call('GET', `/v1/${String(op.json.name)}`)).json.done, true);
    }
    const c = await call('GET', cluster);
    assertMatchesReference(
      c.json,
      {
        name: /workstationClusters\/orchestra$/,
        uid: 'string',
        reconciling: 'boolean',
        createTime: 'timestamp',
        updateTime: 'timestamp',
        etag: 'string',
        network: 'string',
        subnetwork: 'string',
        controlPlaneIp: 'string',
        degraded: 'boolean',
        displayName: 'string',
      },
      CLUSTER_FIELDS,
      CLUSTER_REF,
    );
    const cfg = await call('GET', config);
    assertMatchesReference(
      cfg.json,
      {
        name: /workstationConfigs\/dev$/,
        uid: 'string',
        reconciling: 'boolean',
        idleTimeout: 'duration',
        runningTimeout: 'duration',
        host: 'object',
        container: 'object',
        etag: 'string',
      },
      CONFIG_FIELDS,
      'https://cloud.google.com/workstations/docs/reference/rest/v1/projects.locations.workstationClusters.workstationConfigs#WorkstationConfig',
    );
    assert.equal((cfg.json.host as { gceInstance: { machineType: string } }).gceInstance.machineType, 'e2-standard-8');
    const ws = await call('GET', `${config}/workstations/ana`);
    assertMatchesReference(
      ws.json,
      {
        name: /workstations\/ana$/,
        uid: 'string',
        reconciling: 'boolean',
        state: /^STATE_(STARTING|RUNNING|STOPPING|STOPPED)$/,
        host: /^ana\.cluster-[0-9a-f]+\.cloudworkstations\.dev$/,
        etag: 'string',
      },
      WORKSTATION_FIELDS,
      'https://cloud.google.com/workstations/docs/reference/rest/v1/projects.locations.workstationClusters.workstationConfigs.workstations#Workstation',
    );
  });

  it('a child of a missing parent is 404 NOT_FOUND; duplicates 409; list routes answer', async () => {
    const orphan = await call('POST', `${cluster}/workstationConfigs?workstationConfigId=dev`, {});
    assert.equal(orphan.status, 404);
    assert.match((orphan.json.error as { message: string }).message, /workstationClusters\/orchestra/);
    await call('POST', `${loc}/workstationClusters?workstationClusterId=orchestra`, {});
    assert.equal((await call('POST', `${config}/workstations?workstationId=ana`, {})).status, 404);
    assert.equal((await call('POST', `${loc}/workstationClusters?workstationClusterId=orchestra`, {})).status, 409);
    assert.equal((await call('POST', `${loc}/workstationClusters?workstationClusterId=Bad`, {})).status, 400);
    await call('POST', `${cluster}/workstationConfigs?workstationConfigId=dev`, {});
    await call('POST', `${config}/workstations?workstationId=ana`, {});
    assert.equal(((await call('GET', `${loc}/workstationClusters`)).json.workstationClusters as unknown[]).length, 1);
    assert.equal(((await call('GET', `${cluster}/workstationConfigs`)).json.workstationConfigs as unknown[]).length, 1);
    assert.equal(((await call('GET', `${config}/workstations`)).json.workstations as unknown[]).length, 1);
    assert.equal((await call('GET', `${config}/workstations/bob`)).status, 404);
  });

  it('reports reconciling while the create operation runs', async () => {
    emu.setFaults({ lroDelayMs: 10_000 });
    await call('POST', `${loc}/workstationClusters?workstationClusterId=slow`, {});
    assert.equal((await call('GET', `${loc}/workstationClusters/slow`)).json.reconciling, true);
  });
});

describe('emulator: Firestore databases', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  before(async () => (emu = await withEmulator({ projects: ['fs-p', 'ws-p'] })));
  after(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    await call('POST', '/v1/projects/fs-p/services:batchEnable', { serviceIds: ['firestore.googleapis.com'] });
  });

  it('POST ?databaseId=(default) is an LRO under the database; GET returns the Database', async () => {
    const op = await call('POST', '/v1/projects/fs-p/databases?databaseId=(default)', {
      locationId: 'nam5',
      type: 'FIRESTORE_NATIVE',
    });
    assert.equal(op.status, 200);
    assert.match(String(op.json.name), /^projects\/fs-p\/databases\/\(default\)\/operations\/[\w-]+$/);
    const polled = await call('GET', `/v1/${String(op.json.name)}`);
    assert.equal(
      (polled.json.response as Record<string, string>)['@type'],
      'type.googleapis.com/google.firestore.admin.v1.Database',
    );
    const db = await call('GET', '/v1/projects/fs-p/databases/%28default%29');
    assertMatchesReference(
      db.json,
      {
        name: /^projects\/fs-p\/databases\/\(default\)$/,
        uid: 'string',
        createTime: 'timestamp',
        updateTime: 'timestamp',
        locationId: /^nam5$/,
        type: /^FIRESTORE_NATIVE$/,
        concurrencyMode: /^(OPTIMISTIC|PESSIMISTIC|OPTIMISTIC_WITH_ENTITY_GROUPS)$/,
        versionRetentionPeriod: 'duration',
        earliestVersionTime: 'timestamp',
        pointInTimeRecoveryEnablement: /^POINT_IN_TIME_RECOVERY_(ENABLED|DISABLED)$/,
        appEngineIntegrationMode: /^(ENABLED|DISABLED)$/,
        deleteProtectionState: /^DELETE_PROTECTION_(ENABLED|DISABLED)$/,
        etag: 'string',
      },
      DATABASE_FIELDS,
      DATABASE_REF,
    );
  });

  it('duplicate 409, missing fields 400, unknown 404, list', async () => {
    await call('POST', '/v1/projects/fs-p/databases?databaseId=(default)', {
      locationId: 'nam5',
      type: 'FIRESTORE_NATIVE',
    });
    const dup = await call('POST', '/v1/projects/fs-p/databases?databaseId=(default)', {
      locationId: 'nam5',
      type: 'FIRESTORE_NATIVE',
    });
    assert.equal(dup.status, 409);
    assert.equal(
      (await call('POST', '/v1/projects/fs-p/databases?databaseId=other', { type: 'FIRESTORE_NATIVE' })).status,
      400,
    );
    assert.equal(
      (
        await call('POST', '/v1/projects/fs-p/databases?databaseId=X!', {
          locationId: 'nam5',
          type: 'FIRESTORE_NATIVE',
        })
      ).status,
      400,
    );
    assert.equal((await call('GET', '/v1/projects/fs-p/databases/memory')).status, 404);
    assert.equal(((await call('GET', '/v1/projects/fs-p/databases')).json.databases as unknown[]).length, 1);
  });
});
