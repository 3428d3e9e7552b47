import assert from 'node:assert/strict';
import { vectorBinary } from '../../../src/core/vector/rows';

describe('vector rows: the binary form pgvector receives', () => {
  it('writes dimensions, a zero and each value as the big-endian float32 nearest to it', () => {
    const values = [0.1, -1 / 3, 1e-40, 3.4e38, Math.PI, -0, 123456789.123];
    const bytes = vectorBinary(values);
    assert.equal(bytes.length, 4 + 4 * values.length);
    assert.equal(bytes.readInt16BE(0), values.length);
    assert.equal(bytes.readInt16BE(2), 0);
    values.forEach((v, i) => {
      const expected = Buffer.alloc(4);
      expected.writeFloatBE(v);
      assert.deepEqual(bytes.subarray(4 + 4 * i, 8 + 4 * i), expected, `value ${i} (${v})`);
    });
  });
});
