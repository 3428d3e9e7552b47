import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { caller, TEST_TOKEN, withEmulator } from './helpers';

describe('emulator: cross-cutting behaviour', () => {
  let emu: GcpEmulator;
  const call = caller(() => emu);
  before(async () => (emu = await withEmulator({ projects: ['adm-p', 'deny-p', 'dis-p', 'keep-p', 'log-p', 'j-p'] })));
  after(() => emu.close());
  beforeEach(() => emu.reset());

  it("answers a request without a bearer token with 401 UNAUTHENTICATED in Google's shape", async () => {
    const r = await call('GET', '/v1/projects/p/services/run.googleapis.com', undefined, null);
    assert.equal(r.status, 401);
    const error = r.json.error as { code: number; status: string; details: Array<{ reason: string }> };
    assert.equal(error.code, 401);
    assert.equal(error.status, 'UNAUTHENTICATED');
    assert.equal(error.details[0].reason, 'CREDENTIALS_MISSING');
  });

  it('answers 403 SERVICE_DISABLED with ErrorInfo, service and activation URL until the API is enabled', async () => {
    const r = await call('GET', '/v1/projects/dis-p/secrets');
    assert.equal(r.status, 403);
    const error = r.json.error as { status: string; message: string; details: Array<Record<string, unknown>> };
    assert.equal(error.status, 'PERMISSION_DENIED');
    assert.match(error.message, /Secret Manager API has not been used in project \d+ before or it is disabled/);
    const info = error.details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo') as {
      reason: string;
      domain: string;
      metadata: Record<string, string>;
    };
    assert.equal(info.reason, 'SERVICE_DISABLED');
    assert.equal(info.domain, 'googleapis.com');
    assert.equal(info.metadata.service, 'secretmanager.googleapis.com');
    assert.match(
      info.metadata.activationUrl,
      /^https:\/\/console\.developers\.google\.com\/apis\/api\/secretmanager\.googleapis\.com\/overview\?project=\d+$/,
    );
    await call('POST', '/v1/projects/dis-p/services:batchEnable', { serviceIds: ['secretmanager.googleapis.com'] });
    assert.equal((await call('GET', '/v1/projects/dis-p/secrets')).status, 200);
  });

  it('denies a switched-off permission with 403 IAM_PERMISSION_DENIED naming it', async () => {
    emu.setFaults({ deniedPermissions: ['storage.buckets.create'] });
    const r = await call('POST', '/storage/v1/b?project=deny-p', { name: 'deny-p-b' });
    assert.equal(r.status, 403);
    assert.match(JSON.stringify(r.json), /storage\.buckets\.create/);
    const su = await call('POST', '/v1/projects/deny-p/services:batchEnable', { serviceIds: ['run.googleapis.com'] });
    assert.equal(su.status, 200);
    emu.setFaults({ deniedPermissions: ['serviceusage.services.enable'] });
    const denied = await call('POST', '/v1/projects/deny-p/services:batchEnable', {
      serviceIds: ['run.googleapis.com'],
    });
    const info = (denied.json.error as { details: Array<{ reason: string; metadata: { permission: string } }> })
      .details[0];
    assert.equal(info.reason, 'IAM_PERMISSION_DENIED');
    assert.equal(info.metadata.permission, 'serviceusage.services.enable');
  });

  it('injects latency, and 503/429 at the configured rates', async () => {
    emu.setFaults({ latencyMs: 50 });
    const t = performance.now();
    await call('GET', '/v1/projects/f-p/services/run.googleapis.com');
    assert.ok(performance.now() - t >= 45);
    emu.setFaults({ latencyMs: 0, errorRate503: 1 });
    const u = await call('GET', '/v1/projects/f-p/services/run.googleapis.com');
    assert.equal(u.status, 503);
    assert.equal((u.json.error as { status: string }).status, 'UNAVAILABLE');
    emu.setFaults({ errorRate503: 0, errorRate429: 1 });
    const q = await call('GET', '/v1/projects/f-p/services/run.googleapis.com');
    assert.equal(q.status, 429);
    assert.equal((q.json.error as { status: string }).status, 'RESOURCE_EXHAUSTED');
    emu.setFaults({ errorRate429: 0.5 });
    let limited = 0;
    for (let i = 0; i < 200; i++)
      if ((await call('GET', '/v1/projects/f-p/services/run.googleapis.com')).status === 429) limited++;
    assert.ok(limited > 60 && limited < 140, `${limited}/200 limited at rate 0.5`);
  });

  it("answers unknown paths with an HTML 404 page, as Google's front end does, and bad JSON with 400", async () => {
    const r = await call('GET', '/v9/unknown');
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type') ?? '', /text\/html/);
    assert.match(r.text, /<title>Error 404 \(Not Found\)!!1<\/title>/);
    const res = await fetch(`${emu.url}/v1/projects/j-p/services:batchEnable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      body: '{not json',
    });
    assert.equal(res.status, 400);
  });

  it('logs API requests (method, path, query, body, status, kind) and marks operation polls', async () => {
    const op = await call('POST', '/v1/projects/log-p/services:batchEnable', { serviceIds: ['run.googleapis.com'] });
    await call('GET', `/v1/${String(op.json.name)}`);
    await call('GET', '/__admin/health');
    const log = emu.requestLog();
    assert.equal(log.length, 2, 'admin requests are not logged');
    assert.deepEqual(
      { ...log[0], at: undefined },
      {
        method: 'POST',
        path: '/v1/projects/log-p/services:batchEnable',
        query: {},
        body: { serviceIds: ['run.googleapis.com'] },
        status: 200,
        kind: 'api',
        at: undefined,
      },
    );
    assert.equal(log[1].kind, 'operation');
    emu.clearRequestLog();
    assert.equal(emu.requestLog().length, 0);
  });

  it('admin routes: GET/DELETE requests, GET/POST faults, POST reset, GET state, health', async () => {
    await call('POST', '/storage/v1/b?project=adm-p', { name: 'adm-p-b' });
    const requests = await call('GET', '/__admin/requests');
    assert.equal((requests.json.requests as unknown[]).length, 1);
    assert.equal((await call('DELETE', '/__admin/requests')).status, 200);
    assert.equal(emu.requestLog().length, 0);
    const faults = await call('POST', '/__admin/faults', {
      latencyMs: 5,
      deniedPermissions: ['x.y.z'],
      failures: [{ status: 503, count: 1 }],
    });
    assert.equal(faults.json.latencyMs, 5);
    assert.deepEqual(emu.faults().deniedPermissions, ['x.y.z']);
    assert.equal((await call('GET', '/__admin/faults')).json.latencyMs, 5);
    assert.equal(
      (await call('GET', '/v1/projects/adm-p/services/run.googleapis.com')).status,
      503,
      'scripted failure from the admin route',
    );
    assert.ok(Object.keys((await call('GET', '/__admin/state')).json.projects as object).includes('adm-p'));
    assert.equal((await call('POST', '/__admin/reset')).status, 200);
    assert.equal(emu.faults().latencyMs, 0);
    assert.equal((await call('GET', '/storage/v1/b/adm-p-b')).status, 404);
    assert.equal((await call('GET', '/__admin/health')).json.ok, true);
    assert.equal((await call('GET', '/__admin/nope')).status, 404);
  });

  it('persists state across restarts in the data folder (atomic file, no temp left behind)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcp-emu-'));
    try {
      const first = await withEmulator({
        dataDir: dir,
        projects: ['adm-p', 'deny-p', 'dis-p', 'keep-p', 'log-p', 'j-p'],
      });
      const c1 = caller(() => first);
      await c1('POST', '/v1/projects/keep-p/services:batchEnable', { serviceIds: ['secretmanager.googleapis.com'] });
      await c1('POST', '/v1/projects/keep-p/secrets?secretId=cfg', { replication: { automatic: {} } });
      await c1('POST', '/v1/projects/keep-p/secrets/cfg:addVersion', {
        payload: { data: Buffer.from('kept').toString('base64') },
      });
      await first.close();
      assert.deepEqual(fs.readdirSync(dir), ['gcp-emulator.json']);
      const second = await withEmulator({
        dataDir: dir,
        projects: ['adm-p', 'deny-p', 'dis-p', 'keep-p', 'log-p', 'j-p'],
      });
      try {
        const access = await caller(() => second)('GET', '/v1/projects/keep-p/secrets/cfg/versions/latest:access');
        assert.equal(Buffer.from((access.json.payload as { data: string }).data, 'base64').toString(), 'kept');
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
