import * as assert from 'node:assert/strict';
import { createGcpClient, type FetchLike } from '../../../src/core/gcp/client';
import { emulatorOverrides } from '../../../src/core/gcp/endpoints';
import { isGcpError } from '../../../src/core/gcp/errors';
import { OrchestraError } from '../../../src/core/errors';
import type { GcpClient, LongRunningOperation } from '../../../src/core/gcp/types';
import type { GcpEmulator } from '../../../src/sandbox/gcp';
import { ALL_SERVICES, withEmulator } from '../sandbox-gcp/helpers';

describe('gcp long-running operations', () => {
  let emulator: GcpEmulator;
  let client: GcpClient;
  const P = 'lro-project';
  const polls = () => emulator.requestLog().filter((r) => r.kind === 'operation').length;

  // The emulator's clock moves 50 ms per operation poll, not with the wall clock: an
  // operation of 120 ms is done at the third poll however slow the machine is.
  const start = Date.now();
  before(async () => {
    emulator = await withEmulator({ projects: ['lro-project'], now: () => start + polls() * 50 });
  });
  after(() => emulator.close());
  beforeEach(async () => {
    emulator.reset();
    client = createGcpClient({
      gcp: { endpointOverrides: emulatorOverrides(emulator.url), emulator: true },
      poll: { initialDelayMs: 10, maxDelayMs: 40 },
      retry: { initialDelayMs: 5, maxDelayMs: 10 },
      env: {},
    });
    await client.request({
      api: 'serviceusage',
      method: 'POST',
      path: `/v1/projects/${P}/services:batchEnable`,
      body: { serviceIds: ALL_SERVICES },
    });
    emulator.setFaults({ lroDelayMs: 120 });
    emulator.clearRequestLog();
  });

  const createService = (id: string) =>
    client.request<LongRunningOperation<never>>({
      api: 'run',
      method: 'POST',
      path: `/v2/projects/${P}/locations/us-central1/services`,
      query: { serviceId: id },
      body: { template: { containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello' }] } },
    });

  it('polls until done and returns the response (Cloud Run, /v2 operations)', async () => {
    const op = await createService('api');
    assert.equal(op.done, undefined, 'not done at first');
    const service = await client.waitForOperation<{
      name: string;
      terminalCondition: { state: string };
      reconciling: boolean;
    }>('run', op);
    assert.equal(service.name, `projects/${P}/locations/us-central1/services/api`);
    assert.equal(service.terminalCondition.state, 'CONDITION_SUCCEEDED');
    assert.equal(service.reconciling, false);
    assert.ok(polls() >= 2, `polled ${polls()} times`);
    assert.ok(
      emulator
        .requestLog()
        .filter((r) => r.kind === 'operation')
        .every((r) => r.path.startsWith('/v2/projects/')),
    );
  });

  it('uses /v1/operations/... for Service Usage and /v1/projects/p/databases/d/operations for Firestore', async () => {
    const enable = await client.request<LongRunningOperation<never>>({
      api: 'serviceusage',
      method: 'POST',
      path: `/v1/projects/${P}/services/compute.googleapis.com:enable`,
      body: {},
    });
    const r = await client.waitForOperation<{ service: { state: string } }>('serviceusage', enable);
    assert.equal(r.service.state, 'ENABLED');
    const db = await client.request<LongRunningOperation<never>>({
      api: 'firestore',
      method: 'POST',
      path: `/v1/projects/${P}/databases`,
      query: { databaseId: '(default)' },
      body: { locationId: 'nam5', type: 'FIRESTORE_NATIVE' },
    });
    const database = await client.waitForOperation<{ name: string }>('firestore', db);
    assert.equal(database.name, `projects/${P}/databases/(default)`);
    const paths = emulator
      .requestLog()
      .filter((x) => x.kind === 'operation')
      .map((x) => x.path);
    assert.ok(paths.some((p) => p.startsWith('/v1/operations/acf.p2-')));
    assert.ok(paths.some((p) => p.startsWith(`/v1/projects/${P}/databases/(default)/operations/`)));
  });

  it("turns an operation's error into a GcpApiError", async () => {
    emulator.setFaults({
      operationFailures: [{ count: 1, code: 9, message: "Image 'us-docker.pkg.dev/x/y' not found." }],
    });
    const op = await createService('broken');
    await assert.rejects(
      client.waitForOperation('run', op),
      (e: unknown) =>
        isGcpError(e, 'FAILED_PRECONDITION') && /Image .* not found/.test(e.message) && e.path === op.name,
    );
  });

  it('stops at the deadline with an error naming the operation', async () => {
    emulator.setFaults({ lroDelayMs: 60_000 });
    const op = await createService('slow');
    const t = performance.now();
    await assert.rejects(
      client.waitForOperation('run', op, { deadlineMs: 150 }),
      (e: unknown) => e instanceof OrchestraError && e.code === 'GCP_OPERATION_DEADLINE' && e.where === op.name,
    );
    const took = performance.now() - t;
    assert.ok(took >= 140 && took < 5_000, `took ${took} ms`);
  });

  it('stops when the signal aborts, without further polls', async () => {
    // Polls counted where they start, in the client: the server may receive one sent just
    // before the abort after it (a loaded machine delays the request, not the decision).
    const started: number[] = [];
    const fetchLike: FetchLike = (url, init) => {
      if (url.includes('/operations/')) started.push(performance.now());
      return fetch(url, init as RequestInit) as unknown as ReturnType<FetchLike>;
    };
    client = createGcpClient({
      gcp: { endpointOverrides: emulatorOverrides(emulator.url), emulator: true },
      poll: { initialDelayMs: 10, maxDelayMs: 40 },
      retry: { initialDelayMs: 5, maxDelayMs: 10 },
      env: {},
      fetch: fetchLike,
    });
    emulator.setFaults({ lroDelayMs: 60_000 });
    const op = await createService('cancelled');
    const ac = new AbortController();
    let abortedAt = Infinity;
    setTimeout(() => {
      abortedAt = performance.now();
      ac.abort(new Error('cancelled by user'));
    }, 60);
    await assert.rejects(client.waitForOperation('run', op, { signal: ac.signal }), /cancelled by user/);
    assert.ok(started.length >= 1, 'it polled while the operation ran');
    // Five times the longest poll delay: a poll loop still going would have started one.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      started.filter((t) => t > abortedAt),
      [],
      'no poll started after the abort',
    );
  });

  it('returns at once for an operation that is already done', async () => {
    emulator.setFaults({ lroDelayMs: 0 });
    const op = await createService('instant');
    assert.equal(op.done, true);
    await client.waitForOperation('run', op);
    assert.equal(polls(), 0);
  });
});
