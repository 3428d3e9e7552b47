import * as assert from 'node:assert/strict';
import { BrokenCircuitError, BulkheadRejectedError, IsolatedCircuitError } from 'cockatiel';
import { CallTimeoutError, isTransientError } from '../../../src/core/resilience';

function withCode(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

describe('isTransientError', () => {
  it('retries faults of the path to the server', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'])
      assert.equal(isTransientError(withCode(code)), true, code);
    assert.equal(isTransientError(new Error('socket hang up')), true);
    assert.equal(isTransientError(new CallTimeoutError('memory:x', 10)), true);
    assert.equal(isTransientError(new Error('wrapped', { cause: withCode('ECONNRESET') })), true);
  });

  it('retries 429, 502, 503, 504 and nothing else by status', () => {
    for (const status of [429, 502, 503, 504]) assert.equal(isTransientError({ status }), true, String(status));
    for (const status of [400, 401, 403, 404, 409, 500, 501])
      assert.equal(isTransientError({ status }), false, String(status));
  });

  it('never retries an open breaker, an isolated one, or a full bulkhead', () => {
    assert.equal(isTransientError(new BrokenCircuitError()), false);
    assert.equal(isTransientError(new IsolatedCircuitError()), false);
    assert.equal(isTransientError(new BulkheadRejectedError(1, 0)), false);
  });

  it('leaves plain programming errors alone', () => {
    assert.equal(isTransientError(new TypeError('x is not a function')), false);
    assert.equal(isTransientError(undefined), false);
  });
});
