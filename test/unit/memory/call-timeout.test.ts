/**
 * The per-call timeout of the HTTP transport is the connection pool's headers and body
 * timeout, not a timer per request: a wedged server must still be given up on in time,
 * on a reused connection as on a new one, and the pool must serve again afterwards.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { createMemoryClient } from '../../../src/core/memory';
import { MemoryUnavailableError } from '../../../src/core/memory/errors';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { memoryConfig, tempDir } from './helpers';

describe('memory client: per-call timeout on pooled sockets', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let server: MemoryServerHandle;

  before(async () => {
    dir = await tempDir('call-timeout');
    server = await startMemoryServer({ dataDir: path.join(dir.dir, 'data') });
  });
  after(async () => {
    server.setFaults({ paused: false });
    await server.close();
    await dir.cleanup();
  });

  it('gives up on a paused server within the timeout on a reused socket, then serves again', async () => {
    const client = await createMemoryClient({
      config: memoryConfig({ endpoint: server.url, timeoutMs: 300, poolSize: 1 }),
      outboxDir: path.join(dir.dir, 'outbox'),
      // One attempt and a breaker that stays closed: the test sees the timeout itself.
      breaker: { failureThreshold: 100, retry: { maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 10 } },
    });
    try {
      await client.set('t/a', { n: 1 });
      // The one pooled socket is warm now; the next call reuses it.
      server.setFaults({ paused: true });
      const started = Date.now();
      await assert.rejects(client.get('t/b'), (error: unknown) => {
        assert.ok(error instanceof MemoryUnavailableError, String(error));
        return true;
      });
      const waited = Date.now() - started;
      assert.ok(waited >= 250 && waited < 2_000, `gave up after ${waited} ms (timeout 300 ms)`);
      server.setFaults({ paused: false });
      // A slow answer under the timeout is not cut.
      server.setFaults({ latencyMs: 150 });
      assert.deepEqual((await client.get('t/a'))?.content, { n: 1 });
      server.setFaults({ latencyMs: 0 });
    } finally {
      await client.close();
    }
  });
});
