/**
 * The behaviour every MemoryClient transport must show, run against each of them
 * (HTTP against the local Orchestra Memory API server, MCP against the reference
 * @modelcontextprotocol/server-memory): what a caller may rely on, whatever the wire.
 */
import * as assert from 'node:assert/strict';
import type { MemoryClient } from '../../../src/core/memory/types';

export interface ContractSubject {
  client: MemoryClient;
  cleanup(): Promise<void>;
}

export function describeMemoryContract(label: string, make: () => Promise<ContractSubject>): void {
  describe(`MemoryClient contract: ${label}`, function () {
    this.timeout(30_000);
    let subject: ContractSubject;
    let client: MemoryClient;

    before(async () => {
      subject = await make();
      client = subject.client;
    });
    after(async () => {
      await subject?.cleanup();
    });

    it('reads back what it wrote, for every kind of JSON value', async () => {
      const values = [
        { nested: { list: [1, 'two', null, true], empty: {} } },
        [1, 2, 3],
        'plain text with "quotes" and \n newline',
        42.5,
        false,
        null,
      ];
      for (const [i, value] of values.entries()) {
        const result = await client.set(`contract/value/${i}`, value);
        assert.equal(result.queued, false);
        const record = await client.get(`contract/value/${i}`);
        assert.ok(record, `record ${i} missing`);
        assert.equal(record.key, `contract/value/${i}`);
        assert.deepEqual(record.content, value);
        assert.notEqual(record.stale, true);
      }
    });

    it('answers undefined for a key it never saw', async () => {
      assert.equal(await client.get('contract/never-written'), undefined);
    });

    it('overwrites: the last write wins', async () => {
      await client.set('contract/overwrite', { v: 1 });
      await client.set('contract/overwrite', { v: 2 });
      await client.set('contract/overwrite', { v: 3 });
      assert.deepEqual((await client.get('contract/overwrite'))?.content, { v: 3 });
    });

    it('keeps scope with the record', async () => {
      await client.set('contract/scoped', 'x', { scope: 'team' });
      assert.equal((await client.get('contract/scoped'))?.scope, 'team');
    });

    it('deletes, and deleting a missing key succeeds', async () => {
      await client.set('contract/doomed', 1);
      assert.deepEqual(await client.delete('contract/doomed'), { queued: false });
      assert.equal(await client.get('contract/doomed'), undefined);
      assert.deepEqual(await client.delete('contract/doomed'), { queued: false });
      assert.deepEqual(await client.delete('contract/never-there'), { queued: false });
    });

    it('handles keys with slashes, spaces, unicode and URL metacharacters', async () => {
      const keys = ['contract/odd/a b', 'contract/odd/é☃', 'contract/odd/q?x=1&y=2#h', 'contract/odd/%20'];
      for (const key of keys) await client.set(key, key);
      for (const key of keys) assert.equal((await client.get(key))?.content, key);
    });

    it('lists every key under a prefix exactly once, in pages, in order', async () => {
      const keys = Array.from({ length: 23 }, (_, i) => `contract/list/${String(i).padStart(2, '0')}`);
      for (const key of keys) await client.set(key, { key });
      await client.set('contract/listing-not-this', 0);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await client.list('contract/list/', cursor, { limit: 5 });
        assert.ok(page.keys.length <= 5);
        seen.push(...page.keys);
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 20);
      assert.deepEqual(seen, keys);
      assert.equal(pages, 5);
    });

    it('lists records with their content when asked', async () => {
      const page = await client.list('contract/list/', undefined, { limit: 3, includeContent: true });
      assert.deepEqual(page.keys, ['contract/list/00', 'contract/list/01', 'contract/list/02']);
      assert.deepEqual(
        page.records?.map((r) => r.content),
        page.keys.map((key) => ({ key })),
      );
    });

    it('reports health with the endpoint, the breaker and no pending writes', async () => {
      const health = await client.health();
      assert.equal(health.ok, true, health.message);
      assert.equal(health.breaker, 'closed');
      assert.equal(health.pendingWrites, 0);
      assert.ok(health.endpoint.length > 0);
      assert.equal(typeof health.latencyMs, 'number');
    });
  });
}
