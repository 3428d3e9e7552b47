import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonicalJson, quickSha256, sha256, valueHash } from '../../../src/core/util/canonical';

describe('canonical JSON and its hashes (one implementation for the digest, the copy and the config secret)', () => {
  it('equal values give equal text whatever order their keys came in, at any depth', () => {
    const a = { b: 1, a: { d: [{ y: 2, x: 1 }], c: null } };
    const b = { a: { c: null, d: [{ x: 1, y: 2 }] }, b: 1 };
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.equal(canonicalJson(a), '{"a":{"c":null,"d":[{"x":1,"y":2}]},"b":1}');
  });

  it('a value already in order is written as JSON.stringify writes it; arrays keep their order', () => {
    const ordered = { a: [3, 1, 2], b: { c: 'x' } };
    assert.equal(canonicalJson(ordered), JSON.stringify(ordered));
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  });

  it('the quick hash is SHA-256, in hex or base64url, and a value hash ignores key order', () => {
    const text = 'orchestra';
    assert.equal(quickSha256(text), createHash('sha256').update(text).digest('hex'));
    assert.equal(quickSha256(text, 'base64url'), createHash('sha256').update(text).digest('base64url'));
    assert.equal(sha256(text), quickSha256(text));
    assert.equal(valueHash({ b: 2, a: 1 }), valueHash({ a: 1, b: 2 }));
    assert.notEqual(valueHash({ a: 1 }), valueHash({ a: 2 }));
  });
});
