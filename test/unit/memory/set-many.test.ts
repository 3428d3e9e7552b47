/**
 * setMany: batched writes over POST /api/memory/batch, through the same resilience
 * policy and outbox as set. A recording proxy between client and server counts the
 * requests per route, hides the batch feature, or loses the answer of a batch the
 * server did apply; every "exactly once" is asserted on the server's own versions.
 */
import * as assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { SetManyRecord } from '../../../src/core/memory';
import type { MemoryFaults, MemoryServerHandle } from '../../../src/sandbox/memory';
import { waitFor } from './helpers';
import type { ProxyHooks } from './proxy';
import { openBreaker, useTestbed } from './testbed';

function records(n: number, prefix = 'b'): SetManyRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `${prefix}/${String(i).padStart(5, '0')}`,
    content: { i, text: `record ${i}` },
    scope: 'team',
  }));
}

describe('memory client setMany', function () {
  this.timeout(30_000);
  const bed = useTestbed('setmany', { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 });
  const server = (faults: Partial<MemoryFaults> = {}) => bed.server('data', faults);
  const proxy = (target: string, hooks: ProxyHooks = {}) => bed.proxy(target, hooks);
  /** One outbox folder for the test: the contentJson test reads its files. */
  const client = (endpoint: string, extra: Parameters<typeof bed.client>[1] = {}) =>
    bed.client(endpoint, { outboxDir: path.join(bed.dir, 'outbox'), ...extra });

  /** A client whose breaker opens after 3 failed calls (no retries) and probes again after `recoveryTimeoutMs`. */
  async function quickBreakerClient(endpoint: string, recoveryTimeoutMs: number) {
    const registry = bed.registry();
    const c = await client(endpoint, {
      registry,
      breaker: {
        failureThreshold: 3,
        recoveryTimeoutMs,
        retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 },
      },
    });
    return { c, registry };
  }

  /** Each expected record on the server with version 1; `size` counts keys checked elsewhere too. */
  function assertOnServerOnce(s: MemoryServerHandle, expected: SetManyRecord[], size = expected.length): void {
    assert.equal(s.store.size, size);
    for (const r of expected) {
      const stored = s.store.get(r.key);
      assert.deepEqual(stored?.content, r.content, `content of ${r.key}`);
      assert.equal(stored?.scope, r.scope, `scope of ${r.key}`);
      assert.equal(stored?.version, 1, `${r.key} applied once`);
    }
  }

  it('writes through the batch route in requests of at most writeBatchSize, each record once', async () => {
    const s = await server();
    const p = await proxy(s.url);
    const c = await client(p.url, { writeBatchSize: 1000 });
    const input = records(2500);
    const results = await c.setMany(input);
    assert.equal(results.length, 2500);
    assert.ok(results.every((r) => !r.queued));
    assert.equal(p.counts.get('POST /api/memory/batch'), 3, '1000 + 1000 + 500');
    assert.equal(p.counts.get('POST /api/memory') ?? 0, 0, 'no single-record writes');
    assertOnServerOnce(s, input);
    // Read-your-writes and the stale cache know the batch's values too.
    assert.deepEqual((await c.get('b/02499'))?.content, input[2499].content);
    assert.deepEqual(await c.setMany([]), []);
  });

  it("applies a caller's idempotency keys once across calls", async () => {
    const s = await server();
    const c = await client(s.url);
    const input = records(10, 'idem').map((r) => ({ ...r, idempotencyKey: `copy-${r.key}` }));
    await c.setMany(input);
    await c.setMany(input);
    assertOnServerOnce(s, input);
  });

  it('falls back to one set per record, in order, when the server does not advertise batch', async () => {
    const s = await server();
    const p = await proxy(s.url, { noBatch: true });
    const c = await client(p.url);
    const input = [...records(20, 'fb'), { key: 'fb/00003', content: 'later', scope: 'team' }];
    const results = await c.setMany(input);
    assert.ok(results.length === 21 && results.every((r) => !r.queued));
    assert.equal(p.counts.get('POST /api/memory/batch') ?? 0, 0, 'the unadvertised route is never called');
    assert.equal(p.counts.get('POST /api/memory'), 21);
    assert.equal(s.store.get('fb/00003')?.content, 'later', 'the later write of a key wins');
    assert.equal(s.store.get('fb/00003')?.version, 2);
    assertOnServerOnce(
      s,
      input.slice(0, 20).filter((r) => r.key !== 'fb/00003'),
      20,
    );
  });

  it('queues every record in the outbox, in order, while the breaker is open, and replays them once', async () => {
    const s = await server({ errorRate: 1 });
    const p = await proxy(s.url);
    const { c, registry } = await quickBreakerClient(p.url, 400);
    await openBreaker(c, registry);
    const before = new Map(p.counts);

    const input = [...records(30, 'q'), { key: 'q/00007', content: 'second', scope: 'team' }];
    const results = await c.setMany(input);
    assert.ok(results.length === 31 && results.every((r) => r.queued));
    assert.deepEqual(p.counts, before, 'an open breaker fails fast: no request reached the server');
    assert.equal(c.pendingWrites, 31);
    assert.equal((await c.get('q/00007'))?.content, 'second', 'a queued write reads back');

    s.setFaults({ errorRate: 0 });
    await waitFor(async () => (await c.flush(), c.pendingWrites === 0), 10_000, 'the outbox to drain');
    assert.equal(s.store.get('q/00007')?.content, 'second', 'replayed in order: the later write of a key wins');
    assert.equal(s.store.get('q/00007')?.version, 2);
    assertOnServerOnce(
      s,
      input.slice(0, 30).filter((r) => r.key !== 'q/00007'),
      30,
    );
  });

  it('retries a batch whose answer was a 503 after the server applied it, without applying it twice', async () => {
    const s = await server();
    const p = await proxy(s.url, { loseBatchAnswers: [2] });
    const registry = bed.registry();
    const c = await client(p.url, { registry, writeBatchSize: 400 });
    const input = records(1000, 'r');
    const results = await c.setMany(input);
    assert.ok(
      results.every((r) => !r.queued),
      'the retry succeeded: nothing was queued',
    );
    assert.equal(p.counts.get('POST /api/memory/batch'), 4, '400 + 400 (answer lost, retried) + 200');
    assert.equal(c.pendingWrites, 0);
    assert.equal(registry.get(c.breakerName)?.state, 'closed');
    assertOnServerOnce(s, input);
  });

  for (const route of ['the batch route', 'writes record by record']) {
    it(`with remember: false (${route}), leaves the last known values of read keys in place and drops the ones it overwrites`, async () => {
      const s = await server();
      const p = await proxy(s.url, { noBatch: route !== 'the batch route' });
      const registry = bed.registry();
      const c = await client(p.url, { registry, cacheSize: 8 });
      await c.set('hot/1', { v: 1 });
      await c.set('hot/2', { v: 1 });
      await c.get('hot/1');
      await c.get('hot/2');
      // A bulk load far larger than the cache, which also overwrites one of the read keys.
      await c.setMany([...records(100, 'bulk'), { key: 'hot/1', content: { v: 2 } }], { remember: false });
      assert.deepEqual(s.store.get('hot/1')?.content, { v: 2 });

      await s.close();
      await openBreaker(c, registry);
      const kept = await c.get('hot/2');
      assert.deepEqual([kept?.content, kept?.stale], [{ v: 1 }, true], 'the bulk load did not push hot/2 out');
      await assert.rejects(c.get('hot/1'), /is unavailable/, 'no stale { v: 1 } after the bulk load wrote { v: 2 }');
      await assert.rejects(c.get('bulk/00099'), /is unavailable/, 'bulk records are not cached');
    });
  }

  it("sends a record's contentJson as its content, and keeps only the content in the outbox", async () => {
    const s = await server({ errorRate: 1 });
    const { c, registry } = await quickBreakerClient(s.url, 300);
    // The caller's text is sent as is: its key order (b before a) reaches the server.
    const sent = { key: 'cj/sent', content: { a: 1, b: 2 }, contentJson: '{"b":2,"a":1}' };
    const queued = { key: 'cj/queued', content: { a: 3, b: 4 }, contentJson: '{"b":4,"a":3}' };
    s.setFaults({ errorRate: 0 });
    await c.setMany([sent]);
    assert.equal(JSON.stringify(s.store.get('cj/sent')?.content), '{"b":2,"a":1}');

    s.setFaults({ errorRate: 1 });
    await openBreaker(c, registry);
    assert.deepEqual(await c.setMany([queued]), [{ queued: true }]);
    const outbox = (await readdir(path.join(bed.dir, 'outbox'))).filter((n) => n.endsWith('.jsonl'));
    const text = (await Promise.all(outbox.map((n) => readFile(path.join(bed.dir, 'outbox', n), 'utf8')))).join('');
    assert.match(text, /"cj\/queued"/);
    assert.doesNotMatch(text, /contentJson/, 'the outbox keeps content, not a second serialized copy');

    s.setFaults({ errorRate: 0 });
    await waitFor(async () => (await c.flush(), c.pendingWrites === 0), 10_000, 'the outbox to drain');
    assert.deepEqual(s.store.get('cj/queued')?.content, { a: 3, b: 4 });
  });
});
