import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGcpClient, type GcpClientOptions } from '../../../src/core/gcp/client';
import { emulatorOverrides } from '../../../src/core/gcp/endpoints';
import { isGcpError, type GcpApiError } from '../../../src/core/gcp/errors';
import type { GcpClient } from '../../../src/core/gcp/types';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { ALL_SERVICES, withEmulator } from '../sandbox-gcp/helpers';

const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 20, exhaustedInitialDelayMs: 10, exhaustedMaxDelayMs: 30 };

function clientFor(emulator: GcpEmulator, extra: Partial<GcpClientOptions> = {}): GcpClient {
  return createGcpClient({
    gcp: { endpointOverrides: emulatorOverrides(emulator.url), emulator: true },
    retry: FAST_RETRY,
    poll: { initialDelayMs: 5, maxDelayMs: 20 },
    env: {},
    ...extra,
  });
}

async function rejects(promise: Promise<unknown>): Promise<GcpApiError> {
  try {
    await promise;
  } catch (error) {
    if (isGcpError(error)) return error;
    throw error;
  }
  throw new Error('expected a GcpApiError');
}

describe('gcp REST client against the emulator', () => {
  let emulator: GcpEmulator;
  let client: GcpClient;
  const P = 'retry-project';
  const calls = (method: string, pathContains: string) =>
    emulator.requestLog().filter((r) => r.method === method && r.path.includes(pathContains)).length;

  before(async () => {
    emulator = await withEmulator({ projects: ['fresh-project', 'retry-project'] });
  });
  after(() => emulator.close());
  beforeEach(async () => {
    emulator.reset();
    client = clientFor(emulator);
    await client.request({
      api: 'serviceusage',
      method: 'POST',
      path: `/v1/projects/${P}/services:batchEnable`,
      body: { serviceIds: ALL_SERVICES },
    });
    emulator.clearRequestLog();
  });

  it('sends the JSON body and returns the parsed answer', async () => {
    const sa = await client.request<{ email: string }>({
      api: 'iam',
      method: 'POST',
      path: `/v1/projects/${P}/serviceAccounts`,
      body: { accountId: 'orchestra-runtime', serviceAccount: { displayName: 'Runtime' } },
    });
    assert.equal(sa.email, `orchestra-runtime@${P}.iam.gserviceaccount.com`);
    assert.deepEqual(emulator.requestLog()[0].body, {
      accountId: 'orchestra-runtime',
      serviceAccount: { displayName: 'Runtime' },
    });
    assert.deepEqual(client.stats, { requests: 2, retries: 0 });
  });

  it('retries UNAVAILABLE on a GET and succeeds (3 requests for 2 failures)', async () => {
    emulator.setFaults({ failures: [{ status: 503, count: 2, method: 'GET' }] });
    const service = await client.request<{ state: string }>({
      api: 'serviceusage',
      method: 'GET',
      path: `/v1/projects/${P}/services/run.googleapis.com`,
    });
    assert.equal(service.state, 'ENABLED');
    assert.equal(calls('GET', '/services/run.googleapis.com'), 3);
    assert.equal(client.stats.retries, 2);
  });

  it('retries a GET whose connection dropped before an answer', async () => {
    emulator.setFaults({ failures: [{ status: 'drop', count: 1, method: 'GET' }] });
    const service = await client.request<{ state: string }>({
      api: 'serviceusage',
      method: 'GET',
      path: `/v1/projects/${P}/services/run.googleapis.com`,
    });
    assert.equal(service.state, 'ENABLED');
    assert.deepEqual(
      emulator.requestLog().map((r) => r.status),
      [0, 200],
    );
    assert.deepEqual(client.stats, { requests: 3, retries: 1 });
  });

  it('names a 2xx answer that is not JSON instead of throwing a bare SyntaxError', async () => {
    // A JSON 2xx parses; then the same call answered with HTML is named.
    const res = await client.request({
      api: 'run',
      method: 'GET',
      path: `/v2/projects/${P}/locations/us-central1/services`,
    });
    assert.equal(typeof res, 'object');
    const html = createGcpClient({
      gcp: { endpointOverrides: { run: emulator.url }, emulator: true },
      credentials: { accessToken: 'test-token' },
      env: {},
      fetch: async () => ({ status: 200, headers: new Headers(), text: async () => '<html>portal</html>' }),
    });
    await assert.rejects(
      html.request({ api: 'run', method: 'GET', path: '/v2/x' }),
      /answered 2xx with a body that is not JSON: <html>portal/,
    );
  });

  it('gives up on UNAVAILABLE after maxAttempts', async () => {
    emulator.setFaults({ failures: [{ status: 503, count: 10, method: 'GET' }] });
    const c = clientFor(emulator, { retry: { ...FAST_RETRY, maxAttempts: 4 } });
    const e = await rejects(
      c.request({ api: 'serviceusage', method: 'GET', path: `/v1/projects/${P}/services/run.googleapis.com` }),
    );
    assert.equal(e.status, 'UNAVAILABLE');
    assert.equal(calls('GET', '/services/'), 4);
  });

  it('retries RESOURCE_EXHAUSTED with its own lower cap', async () => {
    emulator.setFaults({ failures: [{ status: 429, count: 10 }] });
    const e = await rejects(
      client.request({ api: 'serviceusage', method: 'GET', path: `/v1/projects/${P}/services/run.googleapis.com` }),
    );
    assert.equal(e.status, 'RESOURCE_EXHAUSTED');
    assert.equal(e.reason, 'RATE_LIMIT_EXCEEDED');
    assert.equal(calls('GET', '/services/'), 3, 'exhaustedMaxAttempts (default 3) attempts, not maxAttempts (5)');
  });

  it('waits longer after a 429 than after a 503', async () => {
    const c = clientFor(emulator, {
      retry: { initialDelayMs: 1, maxDelayMs: 2, exhaustedInitialDelayMs: 120, exhaustedMaxDelayMs: 200 },
    });
    emulator.setFaults({ failures: [{ status: 503, count: 1 }] });
    let t = performance.now();
    await c.request({ api: 'serviceusage', method: 'GET', path: `/v1/projects/${P}/services/run.googleapis.com` });
    const after503 = performance.now() - t;
    emulator.setFaults({ failures: [{ status: 429, count: 1 }] });
    t = performance.now();
    await c.request({ api: 'serviceusage', method: 'GET', path: `/v1/projects/${P}/services/run.googleapis.com` });
    const after429 = performance.now() - t;
    assert.ok(after429 >= 60, `429 backoff ${after429} ms`);
    assert.ok(after503 < after429, `${after503} < ${after429}`);
  });

  const never: Array<[string, () => Promise<unknown>, string, string]> = [
    [
      'NOT_FOUND',
      () =>
        client.request({
          api: 'iam',
          method: 'GET',
          path: `/v1/projects/${P}/serviceAccounts/nobody@${P}.iam.gserviceaccount.com`,
        }),
      'GET',
      '/serviceAccounts/',
    ],
    [
      'INVALID_ARGUMENT',
      () =>
        client.request({
          api: 'serviceusage',
          method: 'POST',
          path: `/v1/projects/${P}/services:batchEnable`,
          idempotent: true,
          body: { serviceIds: Array.from({ length: 21 }, (_, i) => `s${i}.googleapis.com`) },
        }),
      'POST',
      ':batchEnable',
    ],
    [
      'PERMISSION_DENIED',
      () => {
        emulator.setFaults({ deniedPermissions: ['run.services.get'] });
        return client.request({
          api: 'run',
          method: 'GET',
          path: `/v2/projects/${P}/locations/us-central1/services/api`,
        });
      },
      'GET',
      '/services/api',
    ],
  ];
  for (const [status, call, method, path] of never) {
    it(`never retries ${status} (exactly one request)`, async () => {
      const e = await rejects(call());
      assert.equal(e.status, status);
      assert.equal(calls(method, path), 1);
      assert.equal(client.stats.retries, 0);
    });
  }

  it('never retries ALREADY_EXISTS on a first attempt: the create was not ours', async () => {
    const create = () =>
      client.request({
        api: 'secretmanager',
        method: 'POST',
        path: `/v1/projects/${P}/secrets`,
        query: { secretId: 'cfg' },
        body: { replication: { automatic: {} } },
        createWithId: { readBackPath: `/v1/projects/${P}/secrets/cfg` },
      });
    await create();
    const e = await rejects(create());
    assert.equal(e.status, 'ALREADY_EXISTS');
    assert.equal(calls('POST', '/secrets'), 2);
    assert.equal(calls('GET', '/secrets/cfg'), 0);
  });

  it('surfaces ABORTED on a stale IAM etag so the caller redoes its read-modify-write', async () => {
    const policy = await client.request<{ etag: string; bindings: unknown[] }>({
      api: 'cloudresourcemanager',
      method: 'POST',
      path: `/v3/projects/${P}:getIamPolicy`,
      idempotent: true,
      body: {},
    });
    await client.request({
      api: 'cloudresourcemanager',
      method: 'POST',
      path: `/v3/projects/${P}:setIamPolicy`,
      body: { policy },
    });
    const e = await rejects(
      client.request({
        api: 'cloudresourcemanager',
        method: 'POST',
        path: `/v3/projects/${P}:setIamPolicy`,
        body: { policy },
      }),
    );
    assert.equal(e.status, 'ABORTED');
    assert.equal(e.httpStatus, 409);
    assert.match(e.hint ?? '', /read the resource again/);
    assert.equal(calls('POST', ':setIamPolicy'), 2);
  });

  it('retries a create with an ID whose answer was lost, and a 409 then reads the resource back', async () => {
    emulator.setFaults({ failures: [{ status: 'lost', count: 1, method: 'POST', pathContains: '/serviceAccounts' }] });
    const sa = await client.request<{ email: string }>({
      api: 'iam',
      method: 'POST',
      path: `/v1/projects/${P}/serviceAccounts`,
      body: { accountId: 'orchestra-runtime' },
      createWithId: {
        readBackPath: `/v1/projects/${P}/serviceAccounts/orchestra-runtime@${P}.iam.gserviceaccount.com`,
      },
    });
    assert.equal(sa.email, `orchestra-runtime@${P}.iam.gserviceaccount.com`);
    const log = emulator.requestLog().map((r) => `${r.method} ${r.status}`);
    assert.deepEqual(log, ['POST 0', 'POST 409', 'GET 200']);
  });

  it('wraps the read-back of an LRO create as a done operation', async () => {
    emulator.setFaults({ failures: [{ status: 'lost', count: 1, method: 'POST', pathContains: '/repositories' }] });
    const base = `/v1/projects/${P}/locations/us-central1/repositories`;
    const op = await client.request<{ done: boolean; response: { name: string } }>({
      api: 'artifactregistry',
      method: 'POST',
      path: base,
      query: { repositoryId: 'orchestra' },
      body: { format: 'DOCKER' },
      createWithId: { readBackPath: `${base}/orchestra`, lro: true },
    });
    assert.equal(op.done, true);
    const repo = await client.waitForOperation<{ name: string; format: string }>('artifactregistry', op as never);
    assert.equal(repo.name, `projects/${P}/locations/us-central1/repositories/orchestra`);
    assert.equal(repo.format, 'DOCKER');
  });

  it('does not retry a non-idempotent POST on 503 or on a lost answer (addVersion)', async () => {
    await client.request({
      api: 'secretmanager',
      method: 'POST',
      path: `/v1/projects/${P}/secrets`,
      query: { secretId: 'env' },
      body: { replication: { automatic: {} } },
    });
    const add = () =>
      client.request({
        api: 'secretmanager',
        method: 'POST',
        path: `/v1/projects/${P}/secrets/env:addVersion`,
        body: { payload: { data: 'YQ==' } },
      });
    emulator.setFaults({ failures: [{ status: 503, count: 1, pathContains: ':addVersion' }] });
    assert.equal((await rejects(add())).status, 'UNAVAILABLE');
    emulator.setFaults({ failures: [{ status: 'lost', count: 1, pathContains: ':addVersion' }] });
    await assert.rejects(add(), /socket hang up|ECONNRESET|other side closed|terminated/i);
    assert.equal(calls('POST', ':addVersion'), 2);
    // The lost answer's version did land: a blind retry would have added a third.
    const versions = await client.request<{ totalSize: number }>({
      api: 'secretmanager',
      method: 'GET',
      path: `/v1/projects/${P}/secrets/env/versions`,
    });
    assert.equal(versions.totalSize, 1);
  });

  it('retries a non-idempotent POST when the connection was refused (it never reached a server)', async () => {
    const port = await freePort();
    const c = createGcpClient({
      gcp: { endpointOverrides: emulatorOverrides(`http://127.0.0.1:${port}`), emulator: true },
      retry: { ...FAST_RETRY, initialDelayMs: 150, maxDelayMs: 150 },
      env: {},
    });
    let late: GcpEmulator | undefined;
    const timer = setTimeout(
      () => void withEmulator({ port, projects: ['fresh-project', 'retry-project'] }).then((e) => (late = e)),
      40,
    );
    try {
      const version = await c.request<{ name: string }>({
        api: 'serviceusage',
        method: 'POST',
        path: `/v1/projects/${P}/services/run.googleapis.com:enable`,
        body: {},
      });
      assert.match(version.name, /^operations\/acf\.p2-/);
      assert.ok(c.stats.retries >= 1);
      assert.equal(late!.requestLog().filter((r) => r.method === 'POST').length, 1);
    } finally {
      clearTimeout(timer);
      await late?.close();
    }
  });

  it('getOrUndefined returns undefined on 404 and throws the rest', async () => {
    assert.equal(await client.getOrUndefined('storage', '/storage/v1/b/no-such-bucket'), undefined);
    emulator.setFaults({ deniedPermissions: ['storage.buckets.get'] });
    await client.request({
      api: 'storage',
      method: 'POST',
      path: '/storage/v1/b',
      query: { project: P },
      body: { name: `${P}-b` },
    });
    const e = await rejects(client.getOrUndefined('storage', `/storage/v1/b/${P}-b`));
    assert.equal(e.status, 'PERMISSION_DENIED');
  });

  it('getOrUndefined throws on a 404 for a wrong URL (HTML page), not "missing"', async () => {
    const e = await rejects(client.getOrUndefined('run', `/v2/projects/${P}/locatons/us-central1/services/api`));
    assert.equal(e.status, 'NOT_FOUND');
    assert.equal(e.fromApi, false);
    assert.match(e.hint ?? '', /No such URL/);
  });

  it('explains SERVICE_DISABLED with the service to enable', async () => {
    const e = await rejects(
      client.request({
        api: 'run',
        method: 'GET',
        path: '/v2/projects/fresh-project/locations/us-central1/services/api',
      }),
    );
    assert.equal(e.httpStatus, 403);
    assert.equal(e.reason, 'SERVICE_DISABLED');
    assert.equal(e.metadata.service, 'run.googleapis.com');
    assert.match(e.hint ?? '', /gcloud services enable run\.googleapis\.com --project \d+/);
  });

  it('honours the caller abort signal', async () => {
    emulator.setFaults({ latencyMs: 3000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('user cancelled')), 30);
    const t = performance.now();
    await assert.rejects(
      client.request({
        api: 'serviceusage',
        method: 'GET',
        path: `/v1/projects/${P}/services/run.googleapis.com`,
        signal: ac.signal,
      }),
      /user cancelled/,
    );
    assert.ok(performance.now() - t < 2000, 'did not wait for the 3 s answer');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
