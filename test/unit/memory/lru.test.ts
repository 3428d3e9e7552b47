import * as assert from 'node:assert/strict';
import { LruCache } from '../../../src/core/memory/lru';

describe('the last-known-value cache', () => {
  it('keeps what was read recently and evicts what was not', () => {
    const cache = new LruCache<string, number>(3);
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
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 10);
    assert.equal(cache.get('b'), undefined);
  });

  it('stays within its capacity when everything is in use, and holds nothing at capacity 0', () => {
    const cache = new LruCache<number, number>(100);
    for (let i = 0; i < 1_000; i++) {
      cache.set(i, i);
      cache.get(i);
    }
    // Evicted in batches of a sixteenth: never above the capacity, never far below it.
    assert.ok(cache.size <= 100 && cache.size >= 94, `size ${cache.size}`);
    assert.equal(cache.get(999), 999);
    const none = new LruCache<string, number>(0);
    none.set('a', 1);
    assert.equal(none.get('a'), undefined);
  });
});
