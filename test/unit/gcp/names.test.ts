import * as assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { isImageDigest, isOperationName, isResourceName } from '../../../src/core/gcp/names';
import { pollOperation } from '../../../src/core/gcp/operations';

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  'a|b',
  'a`b',
  'a\nb',
];
const FAST = { initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, deadlineMs: 5_000 };

describe('Google resource names as the APIs answer them', () => {
  it("operation names: every shape the product's APIs give passes; markup, URLs and separators do not", () => {
    for (const name of [
      'operations/acf.p2-123456789012-3f1c',
      'projects/p/locations/us-central1/operations/operation-1700000000000-abc',
      'projects/p/databases/(default)/operations/ASA3NDEwOTg0NDgw',
    ])
      assert.ok(isOperationName(name), name);
    for (const name of [...HOSTILE, ...HOSTILE.map((h) => `operations/${h}`), 'operations/../x', 'x/y', 42])
      assert.ok(!isOperationName(name), String(name));
  });

  it('names by pattern and image digests', () => {
    const pattern = 'projects/*/secrets/cfg/versions/*';
    assert.ok(isResourceName('projects/123456789012/secrets/cfg/versions/3', pattern));
    assert.ok(!isResourceName('projects/1/secrets/other/versions/3', pattern));
    for (const h of HOSTILE) assert.ok(!isResourceName(`projects/1/secrets/cfg/versions/${h}`, pattern), h);
    assert.ok(isImageDigest(`sha256:${'a1'.repeat(32)}`));
    for (const h of HOSTILE) assert.ok(!isImageDigest(`sha256:${h}`), h);
  });

  it('an operation whose name is not one is refused before any poll, naming the name and the request', async () => {
    let polled = 0;
    const fetchOp = async () => {
      polled++;
      return { name: 'operations/x', done: true };
    };
    await assert.rejects(
      pollOperation('firestore', { name: '<script>alert(1)</script>', done: false }, fetchOp, FAST, {
        origin: 'POST /v1/projects/p/databases',
      }),
      (error: Error & { where?: string }) => {
        assert.match(
          error.message,
          /the answer to POST \/v1\/projects\/p\/databases named its operation "<script>alert\(1\)<\/script>"/,
        );
        assert.match(error.message, /not polled/);
        assert.equal(error.where, 'POST /v1/projects/p/databases');
        return true;
      },
    );
    assert.equal(polled, 0);
  });
});
