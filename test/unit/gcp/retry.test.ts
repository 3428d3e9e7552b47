import * as assert from 'node:assert/strict';
import { GcpApiError, STATUS_HTTP, type GcpStatus } from '../../../src/core/gcp/errors';
import { backoffDelay, classifyForRetry, DEFAULT_RETRY, withRetry } from '../../../src/core/gcp/retry';

const apiError = (status: GcpStatus, retryDelayMs?: number) =>
  new GcpApiError({
    api: 'run',
    method: 'GET',
    path: '/v2/x',
    httpStatus: STATUS_HTTP[status],
    status,
    message: status,
    retryDelayMs,
  });
const connError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('gcp retry rules (AIP-194)', () => {
  it('classifies what is retried and what never is', () => {
    assert.equal(classifyForRetry(apiError('UNAVAILABLE'), true), 'unavailable');
    assert.equal(classifyForRetry(apiError('RESOURCE_EXHAUSTED'), true), 'exhausted');
    for (const never of [
      'NOT_FOUND',
      'ALREADY_EXISTS',
      'PERMISSION_DENIED',
      'INVALID_ARGUMENT',
      'ABORTED',
      'FAILED_PRECONDITION',
      'UNAUTHENTICATED',
      'INTERNAL',
    ] as GcpStatus[]) {
      assert.equal(classifyForRetry(apiError(never), true), undefined, never);
    }
    assert.equal(classifyForRetry(apiError('UNAVAILABLE'), false), undefined, 'a non-idempotent call may have landed');
    assert.equal(classifyForRetry(connError('ECONNRESET'), true), 'unavailable');
    assert.equal(classifyForRetry(connError('ECONNRESET'), false), undefined);
    assert.equal(classifyForRetry(connError('ECONNREFUSED'), false), 'unavailable', 'refused: never reached a server');
    assert.equal(
      classifyForRetry(Object.assign(new Error('request failed'), { cause: connError('ECONNREFUSED') }), false),
      'unavailable',
    );
    assert.equal(classifyForRetry(new Error('boom'), true), undefined);
  });

  it('backs off exponentially with jitter, capped, longer for 429, at least what the server asks', () => {
    const o = {
      ...DEFAULT_RETRY,
      initialDelayMs: 100,
      maxDelayMs: 1000,
      exhaustedInitialDelayMs: 2000,
      exhaustedMaxDelayMs: 8000,
    };
    assert.equal(
      backoffDelay('unavailable', 0, o, 0, () => 0),
      50,
    );
    assert.equal(
      backoffDelay('unavailable', 0, o, 0, () => 1),
      100,
    );
    assert.equal(
      backoffDelay('unavailable', 3, o, 0, () => 1),
      800,
    );
    assert.equal(
      backoffDelay('unavailable', 10, o, 0, () => 1),
      1000,
      'capped',
    );
    assert.equal(
      backoffDelay('exhausted', 0, o, 0, () => 0),
      1000,
    );
    assert.equal(
      backoffDelay('exhausted', 5, o, 0, () => 1),
      8000,
    );
    assert.equal(
      backoffDelay('unavailable', 0, o, 700, () => 0),
      700,
      'RetryInfo wins when longer',
    );
    assert.equal(
      backoffDelay('unavailable', 0, o, 60_000, () => 0),
      1000,
      'but never beyond the cap',
    );
  });

  it('counts attempts per kind and stops at each cap', async () => {
    const o = {
      ...DEFAULT_RETRY,
      maxAttempts: 4,
      exhaustedMaxAttempts: 2,
      initialDelayMs: 1,
      maxDelayMs: 1,
      exhaustedInitialDelayMs: 1,
      exhaustedMaxDelayMs: 1,
    };
    let calls = 0;
    await assert.rejects(
      withRetry(async () => (calls++, Promise.reject(apiError('UNAVAILABLE'))), o, { idempotent: true }),
      /UNAVAILABLE/,
    );
    assert.equal(calls, 4);
    calls = 0;
    await assert.rejects(
      withRetry(async () => (calls++, Promise.reject(apiError('RESOURCE_EXHAUSTED'))), o, { idempotent: true }),
      /RESOURCE_EXHAUSTED/,
    );
    assert.equal(calls, 2);
    calls = 0;
    const value = await withRetry(async (n) => (calls++, n < 3 ? Promise.reject(connError('ECONNRESET')) : 'ok'), o, {
      idempotent: true,
    });
    assert.equal(value, 'ok');
    assert.equal(calls, 3);
  });

  it('stops waiting when the signal aborts', async () => {
    const ac = new AbortController();
    const o = { ...DEFAULT_RETRY, initialDelayMs: 10_000, maxDelayMs: 10_000 };
    setTimeout(() => ac.abort(new Error('stop')), 20);
    const t = performance.now();
    await assert.rejects(
      withRetry(() => Promise.reject(apiError('UNAVAILABLE')), o, { idempotent: true, signal: ac.signal }),
      /stop/,
    );
    assert.ok(performance.now() - t < 1000);
  });
});
