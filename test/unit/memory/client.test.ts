import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createMemoryClient, MemoryUnavailableError, OutboxLockedError } from '../../../src/core/memory';
import { BreakerRegistry } from '../../../src/core/resilience';
import { startMemoryServer, type MemoryServerHandle } from '../../../src/sandbox/memory';
import { memoryConfig, tempDir } from './helpers';

const quick = {
  failureThreshold: 3,
  recoveryTimeoutMs: 60_000,
  retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
};

describe('memory client', function () {
  this.timeout(30_000);
  let temp: Awaited<ReturnType<typeof tempDir>>;
  const servers: MemoryServerHandle[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  beforeEach(async () => (temp = await tempDir('client')));
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    for (const server of servers.splice(0)) await server.close().catch(() => undefined);
    await temp.cleanup();
  });

  async function server(name = 'data', faults = {}) {
    const handle = await startMemoryServer({ dataDir: path.join(temp.dir, name), faults });
    servers.push(handle);
    return handle;
  }

  async function client(endpoint: string, extra: Partial<Parameters<typeof createMemoryClient>[0]> = {}) {
    const c = await createMemoryClient({
      config: memoryConfig({ endpoint, timeoutMs: 500 }),
      outboxDir: path.join(temp.dir, 'outbox'),
      breaker: quick,
      ...extra,
    });
    closers.push(() => c.close());
    return c;
  }

  it('keeps a write in the outbox until the server acknowledges it, across a client restart', async () => {
    const s = await server('data', { errorRate: 1 });
    const first = await client(s.url);
    assert.deepEqual(await first.set('o/1', 'one'), { queued: true });
    assert.deepEqual(await first.set('o/2', 'two'), { queued: true });
    assert.equal(await first.flush(), 0, 'nothing is acknowledged while the server answers 503');
    assert.equal((await first.health()).pendingWrites, 2);
    await first.close();
    closers.length = 0;
    s.setFaults({ errorRate: 0 });
    const second = await client(s.url);
    assert.equal(second.pendingWrites, 2, 'the outbox survived the restart');
    // The new client replays on its own at start; flush waits for that pass.
    await second.flush();
    assert.equal(second.pendingWrites, 0);
    assert.equal(s.store.get('o/1')?.content, 'one');
    assert.equal(s.store.get('o/2')?.content, 'two');
    const outboxFiles = (await readdir(path.join(temp.dir, 'outbox'))).filter((f) => f.endsWith('.jsonl'));
    assert.equal(
      (await readFile(path.join(temp.dir, 'outbox', outboxFiles[0]), 'utf8')).trim(),
      '',
      'compacted once empty',
    );
  });

  it("gives a second live client of the same endpoint its own outbox, and adopts a dead process's outbox", async () => {
    const s = await server();
    const endpointId = `http ${s.url}`;
    const base = `outbox-${createHash('sha256').update(endpointId).digest('hex').slice(0, 12)}`;
    const dir = path.join(temp.dir, 'outbox');
    // An outbox left by a process that died (pid 2^22 + 1 is above Linux's pid_max default).
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    const orphan = path.join(dir, `${base}-4194305.jsonl`);
    await writeFile(
      orphan,
      [
        JSON.stringify({
          t: 'w',
          seq: 1,
          id: 'dead-1',
          op: 'set',
          key: 'adopt/a',
          content: 1,
          at: new Date().toISOString(),
        }),
        JSON.stringify({
          t: 'w',
          seq: 2,
          id: 'dead-2',
          op: 'set',
          key: 'adopt/b',
          content: 2,
          at: new Date().toISOString(),
        }),
        JSON.stringify({ t: 'a', seq: 1 }),
        '{"t":"w","seq":3,"id":"dead-3","op":"set","key":"adopt/torn"',
      ].join('\n'),
    );
    await writeFile(`${orphan}.lock`, '4194305');
    const a = await client(s.url);
    await a.flush();
    assert.equal(s.store.get('adopt/b')?.content, 2, 'the unacknowledged write of the dead process was replayed');
    assert.equal(s.store.get('adopt/a'), undefined, 'the acknowledged one was not');
    assert.equal(s.store.get('adopt/torn'), undefined);
    const b = await client(s.url);
    assert.deepEqual(await b.set('adopt/c', 3), { queued: false });
    const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();
    assert.deepEqual(files, [`${base}-${process.pid}.jsonl`, `${base}.jsonl`]);
  });

  it('sets aside a queued write the server refuses for good, and delivers the ones behind it', async () => {
    const s = await server('data', { errorRate: 1 });
    const registry = new BreakerRegistry();
    closers.push(async () => registry.dispose());
    const c = await client(s.url, { registry });
    assert.deepEqual(await c.set('r/1', 1), { queued: true });
    assert.deepEqual(await c.set('r/' + 'x'.repeat(2000), 'too long a key'), { queued: true });
    assert.deepEqual(await c.set('r/3', 3), { queued: true });
    s.setFaults({ errorRate: 0 });
    registry.reset(c.breakerName);
    await c.flush();
    assert.equal(c.pendingWrites, 0);
    assert.equal(s.store.get('r/1')?.content, 1);
    assert.equal(s.store.get('r/3')?.content, 3);
    const dir = path.join(temp.dir, 'outbox');
    const rejectedFile = (await readdir(dir)).find((f) => f.endsWith('.rejected'))!;
    const rejected = JSON.parse(await readFile(path.join(dir, rejectedFile), 'utf8')) as {
      key: string;
      reason: string;
    };
    assert.equal(rejected.key.length, 2002);
    assert.match(rejected.reason, /400: key must be a non-empty string of at most 1024 characters/);
  });

  it('shares one breaker between clients of one endpoint and registry', async () => {
    const s = await server();
    const registry = new BreakerRegistry();
    closers.push(async () => registry.dispose());
    const first = await client(s.url, { registry });
    const second = await client(s.url, { registry });
    assert.equal(registry.snapshot().length, 1);
    await s.close();
    servers.length = 0;
    await first.get('b/1').catch(() => undefined);
    await first.get('b/2').catch(() => undefined);
    assert.equal(registry.get(first.breakerName)?.state, 'open');
    await assert.rejects(second.get('b/3'), /circuit open since/);
    await first.close();
    assert.equal(registry.snapshot().length, 1, 'still used by the second client');
    await second.close();
    assert.equal(registry.snapshot().length, 0);
  });

  it('refuses a third client in the same process with a clear error', async () => {
    const s = await server();
    await client(s.url);
    await client(s.url);
    await assert.rejects(client(s.url), OutboxLockedError);
  });

  it('times out a call to a server that holds requests, and reports it unavailable', async () => {
    const s = await server('data', { paused: true });
    const c = await client(s.url);
    const started = Date.now();
    await assert.rejects(c.get('t/1'), (error: unknown) => {
      assert.ok(error instanceof MemoryUnavailableError);
      assert.match(error.message, /timed out after 500 ms/);
      return true;
    });
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 5_000, `two attempts of 500 ms took ${took} ms`);
    s.setFaults({ paused: false });
  });

  it('says clearly when a server cannot list keys', async () => {
    const plain = http.createServer((req, res) => {
      res.writeHead(req.url === '/api/status' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(req.url === '/api/status' ? '{"status":"ok"}' : '{"error":{"code":"not_found","message":"no route"}}');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => plain.close(resolve)));
    const c = await client(`http://127.0.0.1:${(plain.address() as AddressInfo).port}`);
    await assert.rejects(c.list('x/'), /cannot list keys/);
    assert.equal((await c.health()).breaker, 'closed', 'a missing route is not a server fault');
  });

  it('serves the last known value marked stale while the breaker is open, and says when it has none', async () => {
    const s = await server();
    const registry = new BreakerRegistry();
    closers.push(async () => registry.dispose());
    const c = await client(s.url, { registry });
    await c.set('st/1', { v: 1 });
    await c.get('st/1');
    await s.close();
    servers.length = 0;
    for (let i = 0; i < 3 && registry.get(c.breakerName)?.state !== 'open'; i++)
      await c.get(`st/x${i}`).catch(() => undefined);
    assert.equal(registry.get(c.breakerName)?.state, 'open');
    const stale = await c.get('st/1');
    assert.deepEqual([stale?.content, stale?.stale], [{ v: 1 }, true]);
    await assert.rejects(c.get('st/unknown'), /is unavailable \(circuit open since .+, next probe at .+\)/);
    assert.deepEqual(await c.delete('st/1'), { queued: true });
    assert.equal(await c.get('st/1'), undefined, 'a queued delete reads as absent');
    registry.isolate(c.breakerName);
    assert.equal((await c.health()).breaker, 'isolated');
  });
});
