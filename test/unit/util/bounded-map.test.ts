import * as assert from 'node:assert/strict';
import { BoundedMap } from '../../../src/core/util/bounded-map';

describe('util/bounded-map: the memory client cache', () => {
  it('keeps what was read recently and evicts what was not', () => {
    const cache = new BoundedMap<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 1);
    cache.set('d', 4);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined, 'b, never read, went first');
    assert.deepEqual(
      ['a', 'c', 'd'].map((k) => cache.get(k)),
      [1, 3, 4],
    );
  });

  it('keeps the newest value of a key, and a rewrite counts as a use', () => {
    const cache = new BoundedMap<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 10);
    assert.equal(cache.get('b'), undefined);
  });

  it('stays within its capacity when everything is in use, and holds nothing at capacity 0', () => {
    const cache = new BoundedMap<number, number>(100);
    for (let i = 0; i < 1_000; i++) {
      cache.set(i, i);
      cache.get(i);
    }
    // Evicted in batches of a sixteenth: never above the capacity, never far below it.
    assert.ok(cache.size <= 100 && cache.size >= 94, `size ${cache.size}`);
    assert.equal(cache.get(999), 999);
    const none = new BoundedMap<string, number>(0);
    none.set('a', 1);
    assert.equal(none.get('a'), undefined);
  });
});

describe('util/bounded-map as a memory of request ids', () => {
  it('answers has() and lists its entries oldest first, within the bound', () => {
    const ids = new BoundedMap<string, string>(32);
    for (let i = 0; i < 100; i++) ids.set(`id-${i}`, `outcome-${i}`);
    assert.ok(ids.size <= 32, `size ${ids.size}`);
    assert.equal(ids.has('id-99'), true);
    assert.equal(ids.has('id-0'), false, 'the oldest, never looked up, went first');
    const entries = [...ids.entries()];
    assert.equal(entries.length, ids.size);
    assert.deepEqual(entries.at(-1), ['id-99', 'outcome-99']);
  });
});
