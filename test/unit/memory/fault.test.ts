/**
 * Acceptance: server stopped -> the breaker opens after the threshold; calls then
 * fail fast; server back -> half-open probe -> closed; the writes made meanwhile
 * are all on the server afterwards, in order, none twice (asserted on the server).
 */
import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createMemoryClient, MemoryUnavailableError, type ResilientMemoryClient } from '../../../src/core/memory';
import { BreakerRegistry } from '../../../src/core/resilience';
import { probeDelayMs } from '../../../src/core/resilience/recovery';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { memoryConfig, tempDir, waitFor } from './helpers';

describe('memory client through a server outage', function () {
  this.timeout(30_000);
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let server: MemoryServerHandle | undefined;
  let client: ResilientMemoryClient | undefined;
  const registry = new BreakerRegistry();

  before(async () => {
    temp = await tempDir('fault');
  });
  after(async () => {
    await client?.close();
    await server?.close();
    registry.dispose();
    await temp.cleanup();
  });

  it('opens, fails fast, serves stale reads, queues writes, probes, closes and replays in order exactly once', async () => {
    const dataDir = path.join(temp.dir, 'data');
    server = await startMemoryServer({ dataDir });
    const port = server.port;
    client = await createMemoryClient({
      config: memoryConfig({ endpoint: server.url, timeoutMs: 1_000 }),
      registry,
      outboxDir: path.join(temp.dir, 'outbox'),
      breaker: {
        failureThreshold: 3,
        recoveryTimeoutMs: 600,
        retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20 },
      },
    });
    const states: string[] = [];
    let sawProbeDue = false;
    const subscription = registry.onDidChange((info) => {
      if (info.name !== client!.breakerName) return;
      if (info.probeDue) sawProbeDue = true;
      if (states[states.length - 1] !== info.state) states.push(info.state);
    });

    assert.deepEqual(await client.set('fault/a', 0), { queued: false });
    assert.deepEqual((await client.get('fault/a'))?.content, 0);

    await server.close();
    server = undefined;

    // Two attempts per call (one retry): the third failed attempt opens the breaker, during the second call.
    await assert.rejects(client.get('fault/missing-1'), MemoryUnavailableError);
    assert.equal(registry.get(client.breakerName)?.state, 'closed');
    await assert.rejects(client.get('fault/missing-2'), /circuit open since/);
    const open = registry.get(client.breakerName)!;
    assert.equal(open.state, 'open');
    assert.equal(open.failures, 3);
    assert.ok(open.openedAt && open.nextProbeAt);
    // The first probe comes soon (recovery follows the outage); later ones back off to 600 ms.
    assert.equal(Date.parse(open.nextProbeAt!) - Date.parse(open.openedAt!), probeDelayMs(1, 600));
    assert.match(open.lastFailure?.message ?? '', /ECONNREFUSED/);
    assert.equal(open.probeDue, false);

    // Fails fast: no network, well under a millisecond each on average.
    const started = performance.now();
    for (let i = 0; i < 200; i++) await assert.rejects(client.get(`fault/none-${i}`), MemoryUnavailableError);
    const perCall = (performance.now() - started) / 200;
    assert.ok(perCall < 2, `open-breaker calls took ${perCall.toFixed(3)} ms each`);
    assert.equal(registry.get(client.breakerName)?.failures, 3, 'an open breaker made no further attempts');

    // The last known value is served, marked stale.
    const stale = await client.get('fault/a');
    assert.equal(stale?.content, 0);
    assert.equal(stale?.stale, true);

    // Writes made meanwhile are queued, in order.
    for (let i = 1; i <= 20; i++) assert.deepEqual(await client.set('fault/a', i), { queued: true });
    for (let i = 0; i < 10; i++) assert.deepEqual(await client.set(`fault/k${i}`, { i }), { queued: true });
    assert.deepEqual(await client.delete('fault/k0'), { queued: true });
    const health = await client.health();
    assert.equal(health.ok, false);
    assert.equal(health.pendingWrites, 31);
    assert.match(health.message ?? '', /unavailable \(circuit open since .*next probe at/);
    // Reads see the queued writes (read-your-writes), not the older server value.
    assert.equal((await client.get('fault/a'))?.content, 20);

    // Server back on the same port and data: the probe-due timer triggers the half-open replay.
    server = await startMemoryServer({ dataDir, port });
    await waitFor(() => client!.pendingWrites === 0, 10_000, 'the outbox to drain');
    subscription.dispose();
    assert.equal(registry.get(client.breakerName)?.state, 'closed');
    // A probe that came before the server was back reopens the breaker; the last one closes it.
    assert.equal(states[0], 'open', `states seen: ${states.join(' -> ')}`);
    assert.deepEqual(states.slice(-2), ['half-open', 'closed'], `states seen: ${states.join(' -> ')}`);
    assert.ok(sawProbeDue, 'the registry reported the probe as due');

    // On the server: every write, none twice (version = writes applied), in the order made.
    const a = server.store.get('fault/a')!;
    assert.equal(a.content, 20);
    assert.equal(a.version, 21);
    assert.equal(server.store.get('fault/k0'), undefined);
    for (let i = 1; i < 10; i++) {
      assert.deepEqual(server.store.get(`fault/k${i}`)?.content, { i });
      assert.equal(server.store.get(`fault/k${i}`)?.version, 1);
    }
    const log = (await readFile(path.join(dataDir, 'memory.log.jsonl'), 'utf8')).trim().split('\n');
    const aValues = log
      .map((line) => JSON.parse(line) as { t: string; r?: { key: string; content: number } })
      .filter((line) => line.t === 'set' && line.r?.key === 'fault/a')
      .map((line) => line.r!.content);
    assert.deepEqual(
      aValues,
      Array.from({ length: 21 }, (_, i) => i),
    );
    assert.equal((await client.health()).ok, true);
  });
});
