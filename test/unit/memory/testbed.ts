/**
 * What the client suites that talk to real local servers share: a temp folder per test,
 * memory servers, recording proxies and clients in it, all closed after the test (last
 * opened, first closed).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { afterEach, beforeEach } from 'mocha';
import { createMemoryClient, type ResilientMemoryClient } from '../../../src/core/memory';
import { BreakerRegistry } from '../../../src/core/resilience';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import type { MemoryFaults } from '../../../src/sandbox/memory';
import { memoryConfig, tempDir } from './helpers';
import { startProxy, type Proxy, type ProxyHooks } from './proxy';

type ClientOptions = Partial<Parameters<typeof createMemoryClient>[0]>;

export interface Testbed {
  /** This test's temp folder. */
  readonly dir: string;
  /** A memory server keeping its data in `<dir>/<folder>`. */
  server(folder?: string, faults?: Partial<MemoryFaults>): Promise<MemoryServerHandle>;
  proxy(target: string, hooks?: ProxyHooks): Promise<Proxy>;
  /** A client with a 2 s timeout and a breaker that opens after 3 failures; `extra` overrides. */
  client(endpoint: string, extra?: ClientOptions): Promise<ResilientMemoryClient>;
  /** A breaker registry of the test's own, disposed with it. */
  registry(): BreakerRegistry;
}

/** Registers the hooks; call it in a describe block. */
export function useTestbed(label: string, retry = { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 }): Testbed {
  let temp: Awaited<ReturnType<typeof tempDir>>;
  const closers: (() => Promise<unknown>)[] = [];
  let clients = 0;
  beforeEach(async () => (temp = await tempDir(label)));
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await temp.cleanup();
  });
  return {
    get dir() {
      return temp.dir;
    },
    async server(folder = 'data', faults = {}) {
      const handle = await startMemoryServer({ dataDir: path.join(temp.dir, folder), faults });
      closers.push(() => handle.close());
      return handle;
    },
    async proxy(target, hooks = {}) {
      const p = await startProxy(target, hooks);
      closers.push(() => p.close());
      return p;
    },
    async client(endpoint, extra = {}) {
      const c = await createMemoryClient({
        config: memoryConfig({ endpoint, timeoutMs: 2_000 }),
        outboxDir: path.join(temp.dir, `outbox-${++clients}`),
        breaker: { failureThreshold: 3, recoveryTimeoutMs: 60_000, retry },
        ...extra,
      });
      closers.push(() => c.close());
      return c;
    },
    registry() {
      const registry = new BreakerRegistry();
      closers.push(async () => registry.dispose());
      return registry;
    },
  };
}

/** Fails reads until the client's breaker is open (the server must be down or faulting). */
export async function openBreaker(client: ResilientMemoryClient, registry: BreakerRegistry): Promise<void> {
  for (let i = 0; i < 3 && registry.get(client.breakerName)?.state !== 'open'; i++)
    await client.get(`down/${i}`).catch(() => undefined);
  assert.equal(registry.get(client.breakerName)?.state, 'open');
}
