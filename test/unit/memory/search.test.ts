/**
 * Search through the memory client: vector search over the Orchestra Memory API
 * (the local server's search route), text search over MCP (the reference server's
 * search_nodes, reported as text), and search's own breaker: open, it fails
 * searches fast while key/value reads go on.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { createMemoryClient } from '../../../src/core/memory';
import type { MemoryClient, SearchResult } from '../../../src/core/memory/types';
import { BreakerRegistry } from '../../../src/core/resilience/registry';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { memoryConfig, tempDir } from './helpers';

const SERVER = path.resolve('node_modules/@modelcontextprotocol/server-memory/dist/index.js');
const unit = (i: number) => Array.from({ length: 4 }, (_, j) => (j === i ? 1 : 0));

describe('memory client: search', function () {
  this.timeout(30_000);

  describe('over the Orchestra Memory API (vector)', () => {
    let server: MemoryServerHandle;
    let client: MemoryClient & { searchBreakerName?: string };
    let temp: { dir: string; cleanup: () => Promise<void> };
    const registry = new BreakerRegistry();

    before(async () => {
      temp = await tempDir('search-http');
      server = await startMemoryServer({ dataDir: path.join(temp.dir, 'server') });
      client = await createMemoryClient({
        config: memoryConfig({ transport: 'http' }),
        endpoint: server.url,
        registry,
        outboxDir: path.join(temp.dir, 'outbox'),
      });
      for (let i = 0; i < 4; i++) {
        await client.set(`notes/${i}`, { text: `note ${i}`, agent: i % 2 ? 'coder' : 'planner', embedding: unit(i) });
      }
      await client.set('plain', { text: 'no embedding' });
    });
    after(async () => {
      await client.close();
      await server.close();
      await temp.cleanup();
    });

    it('ranks by cosine similarity, honours k, threshold and filter, and leaves the embedding out', async () => {
      const near = await client.search!([0.9, 0.1, 0, 0], { k: 2 });
      assert.equal(near.mode, 'vector');
      assert.deepEqual(
        near.hits.map((h) => h.key),
        ['notes/0', 'notes/1'],
      );
      assert.ok(near.hits[0].score! > 0.99);
      assert.equal((near.hits[0].content as Record<string, unknown>).embedding, undefined);
      const strict = await client.search!([0.9, 0.1, 0, 0], { threshold: 0.5 });
      assert.deepEqual(
        strict.hits.map((h) => h.key),
        ['notes/0'],
      );
      const coders = await client.search!([1, 1, 1, 1], { filter: { agent: 'coder' } });
      assert.deepEqual(coders.hits.map((h) => h.key).sort(), ['notes/1', 'notes/3']);
    });

    it('an open search breaker fails vector search fast while key/value reads go on', async () => {
      const held = registry.isolate(client.searchBreakerName!);
      try {
        const started = performance.now();
        await assert.rejects(client.search!(unit(0)), /vector search .* is unavailable \(its circuit is open\)/);
        assert.ok(performance.now() - started < 500, 'failed fast');
        assert.equal(((await client.get('notes/2'))?.content as { text: string }).text, 'note 2');
        assert.equal(registry.get(client.searchBreakerName!)?.state, 'isolated');
        assert.equal(registry.get(`memory:${server.url}`)?.state, 'closed');
      } finally {
        held.dispose();
      }
      assert.equal((await client.search!(unit(3), { k: 1 })).hits[0].key, 'notes/3');
    });
  });

  describe('over MCP (the reference server: text only)', () => {
    it('finds records by text through search_nodes, says the search is text, refuses an embedding', async () => {
      const temp = await tempDir('search-mcp');
      const client = await createMemoryClient({
        config: memoryConfig({ transport: 'mcp-stdio', command: process.execPath, args: [SERVER], timeoutMs: 10_000 }),
        env: { MEMORY_FILE_PATH: path.join(temp.dir, 'memory.jsonl') },
        outboxDir: path.join(temp.dir, 'outbox'),
      });
      try {
        await client.set('agents/coder/a', { text: 'the needle is here', agent: 'coder' });
        await client.set('agents/planner/b', { text: 'a haystack', agent: 'planner' });
        const found: SearchResult = await client.search!('needle');
        assert.equal(found.mode, 'text');
        assert.deepEqual(
          found.hits.map((h) => h.key),
          ['agents/coder/a'],
        );
        await assert.rejects(client.search!([1, 0, 0]), /searches text only/);
      } finally {
        await client.close();
        await temp.cleanup();
      }
    });
  });
});
