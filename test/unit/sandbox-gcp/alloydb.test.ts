import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { assertMatchesReference, caller, withEmulator, type RawReply } from './helpers';

const CLUSTER_REF = 'https://cloud.google.com/alloydb/docs/reference/rest/v1/projects.locations.clusters#Cluster';
const INSTANCE_REF =
  'https://cloud.google.com/alloydb/docs/reference/rest/v1/projects.locations.clusters.instances#Instance';
const CLUSTER_FIELDS = [
  'name',
  'displayName',
  'uid',
  'createTime',
  'updateTime',
  'deleteTime',
  'labels',
  'state',
  'clusterType',
  'databaseVersion',
  'networkConfig',
  'network',
  'etag',
  'annotations',
  'reconciling',
  'automatedBackupPolicy',
  'sslConfig',
  'encryptionConfig',
  'encryptionInfo',
  'continuousBackupConfig',
  'continuousBackupInfo',
  'secondaryConfig',
  'primaryConfig',
  'satisfiesPzs',
  'pscConfig',
  'maintenanceUpdatePolicy',
  'maintenanceSchedule',
  'subscriptionType',
  'trialMetadata',
  'tags',
  'backupSource',
  'migrationSource',
  'cloudsqlBackupRunSource',
  'initialUser',
];
const INSTANCE_FIELDS = [
  'name',
  'displayName',
  'uid',
  'createTime',
  'updateTime',
  'deleteTime',
  'labels',
  'state',
  'instanceType',
  'machineConfig',
  'availabilityType',
  'gceZone',
  'databaseFlags',
  'writableNode',
  'nodes',
  'queryInsightsConfig',
  'observabilityConfig',
  'readPoolConfig',
  'ipAddress',
  'publicIpAddress',
  'reconciling',
  'etag',
  'annotations',
  'clientConnectionConfig',
  'satisfiesPzs',
  'pscInstanceConfig',
  'networkConfig',
  'outboundPublicIpAddresses',
  'activationPolicy',
  'connectionPoolConfig',
];

const PASSWORD = 'planted-Secret-7f3a9c';
const LOC = '/v1/projects/adb-p/locations/us-central1';
const CLUSTER = `${LOC}/clusters/memory`;
const NETWORK = 'projects/adb-p/global/networks/default';

describe('emulator: AlloyDB Admin API', function () {
  // Each primary instance starts a real PostgreSQL (WASM): seconds on a busy machine.
  this.timeout(180_000);
  let emu: GcpEmulator;
  let dataDir: string;
  const call = caller(() => emu);

  async function waitDone(op: RawReply): Promise<Record<string, unknown>> {
    assert.equal(op.status, 200, op.text);
    for (;;) {
      // Starting PGlite's WASM holds this process's event loop for seconds, and a keep-alive
      // socket may be reset meanwhile: the poll is a GET, safe to send again, as clients do.
      const polled = await call('GET', `/v1/${String(op.json.name)}`).catch(() => ({ json: {} }) as RawReply);
      if (polled.json.done) return polled.json;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloydb-emu-'));
    emu = await withEmulator({ dataDir, projects: ['adb-p'] });
    await call('POST', '/v1/projects/adb-p/services:batchEnable', { serviceIds: ['alloydb.googleapis.com'] });
  });
  after(async () => {
    await emu.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a cluster without a network or without the initial password, as Google does', async () => {
    const noNetwork = await call('POST', `${LOC}/clusters?clusterId=x1`, { initialUser: { password: PASSWORD } });
    assert.equal(noNetwork.status, 400);
    assert.match(String((noNetwork.json.error as { message: string }).message), /network/);
    const noPassword = await call('POST', `${LOC}/clusters?clusterId=x2`, { networkConfig: { network: NETWORK } });
    assert.equal(noPassword.status, 400);
    assert.match(String((noPassword.json.error as { message: string }).message), /initial_user\.password/);
    const foreign = await call('POST', `${LOC}/clusters?clusterId=x3`, {
      networkConfig: { network: 'projects/other-project/global/networks/default' },
      initialUser: { password: PASSWORD },
    });
    assert.equal(foreign.status, 400);
    assert.equal((await call('GET', `${LOC}/clusters/x1`)).status, 404);
  });

  it('refuses an instance in a missing cluster (404) and a bad instance type (400)', async () => {
    const missing = await call('POST', `${LOC}/clusters/nope/instances?instanceId=p`, { instanceType: 'PRIMARY' });
    assert.equal(missing.status, 404);
  });

  it('cluster and primary instance as LROs, Google shapes; the instance serves PostgreSQL with pgvector behind the password', async () => {
    const created = await waitDone(
      await call('POST', `${LOC}/clusters?clusterId=memory`, {
        networkConfig: { network: NETWORK },
        initialUser: { user: 'postgres', password: PASSWORD },
        labels: { 'managed-by': 'orchestra-migrate' },
      }),
    );
    assert.equal(
      (created.response as Record<string, string>)['@type'],
      'type.googleapis.com/google.cloud.alloydb.v1.Cluster',
    );
    const cluster = (await call('GET', CLUSTER)).json;
    assertMatchesReference(
      cluster,
      {
        name: 'string',
        uid: 'string',
        createTime: 'timestamp',
        state: /^READY$/,
        databaseVersion: /^POSTGRES_\d+$/,
        networkConfig: 'object',
      },
      CLUSTER_FIELDS,
      CLUSTER_REF,
    );
    assert.equal((cluster.networkConfig as { network: string }).network, NETWORK);
    assert.equal(cluster.initialUser, undefined, 'initialUser is input only');

    const bad = await call('POST', `${CLUSTER}/instances?instanceId=p`, { instanceType: 'SECONDARY_THING' });
    assert.equal(bad.status, 400);
    const op = await call('POST', `${CLUSTER}/instances?instanceId=primary`, {
      instanceType: 'PRIMARY',
      machineConfig: { cpuCount: 2 },
    });
    assert.equal(
      (op.json.metadata as Record<string, string>)['@type'],
      'type.googleapis.com/google.cloud.alloydb.v1.OperationMetadata',
    );
    const done = await waitDone(op);
    assert.equal(done.error, undefined, JSON.stringify(done.error));
    const instance = (await call('GET', `${CLUSTER}/instances/primary`)).json;
    assertMatchesReference(
      instance,
      {
        name: 'string',
        uid: 'string',
        state: /^READY$/,
        instanceType: /^PRIMARY$/,
        ipAddress: 'string',
        reconciling: 'boolean',
      },
      INSTANCE_FIELDS,
      INSTANCE_REF,
    );
    const second = await call('POST', `${CLUSTER}/instances?instanceId=primary2`, { instanceType: 'PRIMARY' });
    assert.equal(second.status, 409);
    const listed = (await call('GET', `${CLUSTER}/instances`)).json.instances as unknown[];
    assert.equal(listed.length, 1);

    const endpoint = (await call('GET', `/emulator/alloydb/${String(instance.name)}`)).json as {
      host: string;
      port: number;
    };
    assert.equal(endpoint.host, instance.ipAddress);
    const client = new pg.Client({
      host: endpoint.host,
      port: endpoint.port,
      user: 'postgres',
      password: PASSWORD,
      database: 'postgres',
    });
    await client.connect();
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      const ext = await client.query<{ extversion: string }>(
        "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
      );
      assert.match(ext.rows[0].extversion, /^0\.8\./);
      const d = await client.query<{ d: number }>("SELECT '[1,0,0]'::vector <=> '[0,1,0]'::vector AS d");
      assert.equal(Number(d.rows[0].d), 1);
    } finally {
      await client.end();
    }
    const intruder = new pg.Client({
      host: endpoint.host,
      port: endpoint.port,
      user: 'postgres',
      password: 'wrong',
      database: 'postgres',
    });
    await assert.rejects(intruder.connect(), /password authentication failed/);
  });

  it('keeps the password out of its state file and request log', async () => {
    const state = fs.readFileSync(path.join(dataDir, 'gcp-emulator.json'), 'utf8');
    assert.ok(!state.includes(PASSWORD), 'state file holds the password');
    assert.ok(!JSON.stringify(emu.requestLog()).includes(PASSWORD), 'request log holds the password');
  });

  it('refuses to delete a cluster that has instances unless forced, then deletes as an LRO', async () => {
    const refused = await call('DELETE', CLUSTER);
    assert.equal(refused.status, 400);
    assert.equal((refused.json.error as { status: string }).status, 'FAILED_PRECONDITION');
    await waitDone(await call('DELETE', `${CLUSTER}?force=true`));
    assert.equal((await call('GET', CLUSTER)).status, 404);
    assert.equal((await call('GET', `${CLUSTER}/instances/primary`)).status, 404);
  });
});
